// @ts-check
// The shop's products: each with its price, commission, title languages and a table of its
// variants, where stock is edited in place (PATCH /api/products/{id}/variants/{sku}).

import { api } from "./api.js";
import { LANGUAGES, currentLanguage, formatPrice, t } from "./i18n.js";
import { $, el, toast } from "./ui.js";
import { failed } from "./seller_errors.js";
import { formatRate } from "./seller_money.js";
import { openProductForm } from "./seller_product_form.js";

let shop = null;
let products = [];

export function setUpProducts() {
  $("#new-product").addEventListener("click", () => openProductForm(null, added));
}

export async function loadProducts(ofShop) {
  shop = ofShop;
  try {
    const answer = await api("GET", `/api/products?seller_id=${shop.id}&lang=${currentLanguage()}`);
    products = answer.products;
  } catch (error) {
    failed(error);
  }
  renderProducts();
}

// The shop's default rate changed: products without their own rate follow it.
export function shopChanged(next) {
  shop = next;
  for (const product of products) {
    if (product.commission_bp === null) product.effective_commission_bp = next.commission_bp ?? 0;
  }
  renderProducts();
}

function added(product) {
  products.unshift(product);
  renderProducts();
  $(`#product-${product.id} h3`)?.focus();
}

function replaced(product) {
  products = products.map((p) => (p.id === product.id ? product : p));
  renderProducts();
}

export function renderProducts() {
  const sorted = [...products].sort((a, b) => b.id - a.id);
  $("#product-list").replaceChildren(...sorted.map(card));
  $("#products-empty").hidden = products.length > 0;
}

// The title in the page's language when the product has one, else in its own.
function titleOf(product) {
  return product.titles[currentLanguage()] || product.titles[product.language] || product.title;
}

function card(product) {
  const title = titleOf(product);
  const own = product.commission_bp !== null;
  const commission = t(own ? "seller.commission_own" : "seller.commission_shop", { rate: formatRate(product.effective_commission_bp) });
  const languages = LANGUAGES.filter((lang) => product.titles[lang]);
  return el("article", { class: "product-card", id: `product-${product.id}`, "aria-labelledby": `product-${product.id}-title` },
    el("div", { class: "product-head" },
      product.image_url ? el("img", { src: product.image_url, alt: "", loading: "lazy" }) : "",
      el("div", { class: "grow" },
        el("h3", { id: `product-${product.id}-title`, tabindex: "-1" }, title),
        el("p", { class: "facts" },
          el("span", { class: "price" }, formatPrice(product.price_minor, product.currency)),
          el("span", { class: "muted" }, commission),
          el("span", { class: "muted total-stock" }, t("seller.total_stock", { count: product.stock }))),
        el("p", { class: "muted small" },
          t("seller.title_languages", { languages: languages.map((l) => l.toUpperCase()).join(" · ") }))),
      el("button", {
        type: "button",
        class: "edit",
        "aria-label": t("seller.edit_label", { title }),
        onclick: () => openProductForm(product, replaced),
      }, t("seller.edit"))),
    variantsTable(product, title));
}

function variantsTable(product, title) {
  const plain = product.options.length === 0;
  return el("table", { class: "data variants" },
    el("caption", { class: "visually-hidden" }, t("seller.variants_of", { title })),
    el("thead", {}, el("tr", {},
      el("th", { scope: "col" }, t("seller.col_sku")),
      el("th", { scope: "col" }, t("seller.col_options")),
      el("th", { scope: "col", class: "num" }, t("seller.col_price")),
      el("th", { scope: "col" }, t("seller.col_stock")))),
    el("tbody", {}, ...product.variants.map((variant) => el("tr", { "data-sku": variant.sku },
      el("td", {}, el("code", {}, variant.sku)),
      el("td", {}, plain ? "—" : Object.entries(variant.options).map(([k, v]) => `${k}: ${v}`).join(" · ")),
      el("td", { class: "num" }, formatPrice(variant.price_minor, product.currency)),
      el("td", {}, stockForm(product, variant))))));
}

// Enter or Save sends the new figure; Save shows once the figure differs from the stored one.
function stockForm(product, variant) {
  const id = `stock-${product.id}-${variant.sku}`;
  const input = el("input", {
    id, type: "number", min: "0", step: "1", inputmode: "numeric", class: "stock-input",
    value: String(variant.stock), "aria-label": t("seller.stock_of", { sku: variant.sku }),
  });
  const save = el("button", { type: "submit", class: "save-stock", hidden: "", "aria-label": t("seller.save_stock_of", { sku: variant.sku }) }, t("common.save"));
  input.addEventListener("input", () => { save.hidden = input.value === String(variant.stock); });
  const form = el("form", { class: "stock-form" }, input, save);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const stock = Number(input.value);
    if (!Number.isInteger(stock) || stock < 0) {
      toast(t("seller.pf.bad_stock"));
      input.focus();
      return;
    }
    try {
      const sku = encodeURIComponent(variant.sku);
      const changed = await api("PATCH", `/api/products/${product.id}/variants/${sku}?lang=${currentLanguage()}`, { stock });
      replaced(changed);
      toast(t("seller.stock_saved", { sku: variant.sku, count: stock }), "ok");
      document.getElementById(id)?.focus();
    } catch (error) {
      failed(error);
    }
  });
  return form;
}
