// @ts-check
// The product form: texts in the eight languages, price, commission, and, for a new product,
// either one stock figure or options (size, colour...) with a variant per combination.
// Editing a product changes its texts, price, image and commission (docs/protocol.md#catalogue):
// options and variants stay as listed, stock is set per variant in the list.

import { api } from "./api.js";
import { LANGUAGES, LANGUAGE_NAMES, currentLanguage, t } from "./i18n.js";
import { $, el, toast } from "./ui.js";
import { errorText } from "./seller_errors.js";
import { CURRENCIES, minorToInput, parseMinor, parseRate, rateToInput } from "./seller_money.js";

const MAX_OPTIONS = 3;
const MAX_VARIANTS = 100;

let editing = null;     // the product being edited, or null for a new one
let onSaved = null;
let options = [];       // [{name, values}] as typed
const variantInputs = new Map();  // combination key -> {sku, stock, price} typed so far

export function openProductForm(product, saved) {
  editing = product;
  onSaved = saved;
  options = [];
  variantInputs.clear();
  const box = $("#product-editor");
  box.replaceChildren(buildForm());
  box.hidden = false;
  $("#new-product").setAttribute("aria-expanded", "true");
  if (product) fillFrom(product);
  else addOption(false);
  refreshVariants();
  box.scrollIntoView({ block: "start" });
  $("#pf-language").focus();
}

export function closeProductForm() {
  $("#product-editor").hidden = true;
  $("#product-editor").replaceChildren();
  $("#new-product").setAttribute("aria-expanded", "false");
  editing = null;
}

function field(id, labelKey, control, hintKey) {
  control.id = id;
  if (hintKey) control.setAttribute("aria-describedby", `${id}-hint`);
  return el("div", { class: "field" },
    el("label", { for: id }, t(labelKey)),
    control,
    hintKey ? el("p", { class: "muted small", id: `${id}-hint` }, t(hintKey)) : "");
}

function buildForm() {
  const main = editing ? editing.language : currentLanguage();
  const language = el("select", { onchange: markMainLanguage },
    ...LANGUAGES.map((lang) => el("option", { value: lang, lang }, LANGUAGE_NAMES[lang])));
  language.value = main;
  if (editing) language.disabled = true;
  const currency = el("select", {}, ...CURRENCIES.map((c) => el("option", { value: c }, c)));
  if (editing) currency.disabled = true;

  const texts = el("fieldset", { class: "texts" },
    el("legend", {}, t("seller.pf.texts")),
    field("pf-language", "seller.pf.main_language", language, "seller.pf.main_language_hint"),
    el("div", { class: "lang-grid", role: "group" },
      el("span", { class: "lang-head", "aria-hidden": "true" }, t("seller.pf.language")),
      el("span", { class: "lang-head", "aria-hidden": "true" }, t("seller.pf.title")),
      el("span", { class: "lang-head", "aria-hidden": "true" }, t("seller.pf.description")),
      ...LANGUAGES.flatMap(languageRow)));

  const price = el("fieldset", { class: "price-fields" },
    el("legend", {}, t("seller.pf.price_legend")),
    field("pf-price", "seller.pf.price", el("input", { inputmode: "decimal", autocomplete: "off", required: "" })),
    field("pf-currency", "seller.pf.currency", currency),
    field("pf-commission", "seller.pf.commission", el("input", { inputmode: "decimal", autocomplete: "off" }), "seller.pf.commission_hint"),
    field("pf-image", "seller.pf.image", el("input", { type: "url", autocomplete: "off", placeholder: "https://" })));

  const parts = [el("h3", { id: "pf-heading" }, editing ? t("seller.pf.edit_title", { title: editing.title }) : t("seller.pf.new_title")), texts, price];
  if (!editing) parts.push(variantsFieldset());
  parts.push(
    el("p", { class: "error", id: "pf-error", role: "alert" }),
    el("div", { class: "row actions" },
      el("button", { type: "submit", class: "primary", id: "pf-save" }, editing ? t("seller.pf.save") : t("seller.pf.create")),
      el("button", { type: "button", id: "pf-cancel", onclick: () => { closeProductForm(); $("#new-product").focus(); } }, t("common.cancel"))));
  const form = el("form", { id: "product-form", class: "product-form", "aria-labelledby": "pf-heading", novalidate: "" }, ...parts);
  form.addEventListener("submit", (event) => { event.preventDefault(); submit(); });
  queueMicrotask(markMainLanguage);
  return form;
}

function languageRow(lang) {
  const name = LANGUAGE_NAMES[lang];
  return [
    el("span", { class: "lang-name", lang, id: `pf-lang-${lang}` }, name),
    el("input", {
      id: `pf-title-${lang}`, lang, maxlength: "200", autocomplete: "off",
      "aria-label": t("seller.pf.title_in", { language: name }),
    }),
    el("textarea", {
      id: `pf-description-${lang}`, lang, rows: "1", maxlength: "2000",
      "aria-label": t("seller.pf.description_in", { language: name }),
    }),
  ];
}

// The main language's title is the one required: its row is marked and comes first.
function markMainLanguage() {
  const main = $("#pf-language")?.value;
  const grid = $("#product-form .lang-grid");
  if (!main || !grid) return;
  for (const lang of [main, ...LANGUAGES.filter((l) => l !== main)]) {
    $(`#pf-title-${lang}`).required = lang === main;
    const name = $(`#pf-lang-${lang}`);
    name.classList.toggle("main", lang === main);
    name.textContent = lang === main
      ? t("seller.pf.language_required", { language: LANGUAGE_NAMES[lang] })
      : LANGUAGE_NAMES[lang];
    grid.append(name, $(`#pf-title-${lang}`), $(`#pf-description-${lang}`));
  }
}

function variantsFieldset() {
  return el("fieldset", { class: "variants-fields" },
    el("legend", {}, t("seller.pf.variants_legend")),
    el("p", { class: "muted small" }, t("seller.pf.variants_hint")),
    el("div", { id: "pf-options", class: "options" }),
    el("button", { type: "button", id: "pf-add-option", onclick: () => addOption(true) }, t("seller.pf.add_option")),
    el("div", { id: "pf-simple" }, field("pf-stock", "seller.pf.stock", el("input", { type: "number", min: "0", step: "1", value: "0", inputmode: "numeric" }))),
    el("div", { id: "pf-variants-box", hidden: "" },
      el("table", { class: "data", id: "pf-variants" },
        el("caption", { class: "visually-hidden" }, t("seller.pf.variants_legend")),
        el("thead", {}, el("tr", {},
          el("th", { scope: "col" }, t("seller.pf.variant")),
          el("th", { scope: "col" }, t("seller.col_sku")),
          el("th", { scope: "col" }, t("seller.pf.stock")),
          el("th", { scope: "col" }, t("seller.pf.variant_price")))),
        el("tbody", {})),
      el("p", { class: "muted small" }, t("seller.pf.variant_price_hint"))));
}

function addOption(focus) {
  if (options.length >= MAX_OPTIONS) return;
  options.push({ name: "", values: "" });
  renderOptions();
  if (focus) $(`#pf-option-name-${options.length - 1}`).focus();
}

function renderOptions() {
  const box = $("#pf-options");
  if (!box) return;
  box.replaceChildren(...options.map((option, i) => {
    const name = el("input", { id: `pf-option-name-${i}`, maxlength: "40", autocomplete: "off", placeholder: t("seller.pf.option_name_example") });
    name.value = option.name;
    name.addEventListener("input", () => { option.name = name.value; refreshVariants(); });
    const values = el("input", { id: `pf-option-values-${i}`, autocomplete: "off", placeholder: t("seller.pf.option_values_example"), "aria-describedby": "pf-values-hint" });
    values.value = option.values;
    values.addEventListener("input", () => { option.values = values.value; refreshVariants(); });
    return el("div", { class: "option-row" },
      el("div", { class: "field" }, el("label", { for: name.id }, t("seller.pf.option_name", { n: i + 1 })), name),
      el("div", { class: "field grow" }, el("label", { for: values.id }, t("seller.pf.option_values", { n: i + 1 })), values),
      el("button", {
        type: "button",
        class: "quiet",
        "aria-label": t("seller.pf.remove_option", { n: i + 1 }),
        onclick: () => { options.splice(i, 1); renderOptions(); refreshVariants(); $("#pf-add-option").focus(); },
      }, t("seller.pf.remove")));
  }), el("p", { class: "muted small", id: "pf-values-hint" }, t("seller.pf.values_hint")));
  $("#pf-add-option").hidden = options.length >= MAX_OPTIONS;
}

// The options that have a name and at least one value, values split on commas, duplicates out.
function usedOptions() {
  return options
    .map((o) => ({
      name: o.name.trim(),
      values: [...new Set(o.values.split(",").map((v) => v.trim()).filter(Boolean))],
    }))
    .filter((o) => o.name && o.values.length);
}

function combinations(opts) {
  return opts.reduce((acc, o) => acc.flatMap((combo) => o.values.map((v) => ({ ...combo, [o.name]: v }))), [{}]);
}

function skuBase() {
  const main = $("#pf-language").value;
  const title = ($(`#pf-title-${main}`).value || "")
    .normalize("NFKD").replace(/[^A-Za-z0-9]+/g, "-").replace(/^-+|-+$/g, "").toUpperCase();
  return title.slice(0, 16).replace(/-+$/, "") || "ITEM";
}

function suggestSku(combo) {
  const parts = Object.values(combo).map((v) => v.normalize("NFKD").replace(/[^A-Za-z0-9]+/g, "").toUpperCase() || "X");
  return [skuBase(), ...parts].join("-").slice(0, 64);
}

// One row per combination of the options typed so far, keeping what was typed in each.
function refreshVariants() {
  if (editing || !$("#pf-variants")) return;
  const opts = usedOptions();
  const combos = opts.length ? combinations(opts) : [];
  $("#pf-simple").hidden = combos.length > 0;
  $("#pf-variants-box").hidden = combos.length === 0;
  if (combos.length > MAX_VARIANTS) {
    $("#pf-error").textContent = t("seller.pf.too_many_variants", { count: combos.length, max: MAX_VARIANTS });
    $("#pf-variants tbody").replaceChildren();
    return;
  }
  $("#pf-error").textContent = "";
  $("#pf-variants tbody").replaceChildren(...combos.map((combo, i) => {
    const key = JSON.stringify(combo);
    const typed = variantInputs.get(key) || { sku: "", stock: "0", price: "" };
    variantInputs.set(key, typed);
    const label = Object.values(combo).join(" / ");
    const sku = el("input", { id: `pf-sku-${i}`, maxlength: "64", autocomplete: "off", "aria-label": t("seller.pf.sku_of", { variant: label }) });
    sku.value = typed.sku || suggestSku(combo);
    sku.addEventListener("input", () => { typed.sku = sku.value; });
    const stock = el("input", { id: `pf-variant-stock-${i}`, type: "number", min: "0", step: "1", inputmode: "numeric", "aria-label": t("seller.pf.stock_of", { variant: label }) });
    stock.value = typed.stock;
    stock.addEventListener("input", () => { typed.stock = stock.value; });
    const price = el("input", { id: `pf-variant-price-${i}`, inputmode: "decimal", autocomplete: "off", "aria-label": t("seller.pf.price_of", { variant: label }) });
    price.value = typed.price;
    price.addEventListener("input", () => { typed.price = price.value; });
    return el("tr", { "data-key": key, "data-combo": label }, el("th", { scope: "row" }, label), el("td", {}, sku), el("td", {}, stock), el("td", {}, price));
  }));
}

function fillFrom(product) {
  for (const lang of LANGUAGES) {
    $(`#pf-title-${lang}`).value = product.titles[lang] || "";
    $(`#pf-description-${lang}`).value = product.descriptions[lang] || "";
  }
  $("#pf-price").value = minorToInput(product.price_minor);
  $("#pf-currency").value = product.currency;
  $("#pf-commission").value = rateToInput(product.commission_bp);
  $("#pf-image").value = product.image_url || "";
}

// Fails with a message and the field to fix.
class Invalid extends Error {
  constructor(message, field) {
    super(message);
    this.field = field;
  }
}

function texts(prefix, before) {
  const out = {};
  for (const lang of LANGUAGES) {
    const text = $(`#pf-${prefix}-${lang}`).value.trim();
    if (text) out[lang] = text;
    else if (before && before[lang]) out[lang] = "";  // "" takes an existing translation away
  }
  return out;
}

function commonFields() {
  const main = $("#pf-language").value;
  const title = texts("title", editing && editing.titles);
  if (!title[main]) throw new Invalid(t("seller.pf.need_title", { language: LANGUAGE_NAMES[main] }), `pf-title-${main}`);
  const description = texts("description", editing && editing.descriptions);
  if (!editing && Object.keys(description).length && !description[main]) {
    throw new Invalid(t("seller.pf.need_description", { language: LANGUAGE_NAMES[main] }), `pf-description-${main}`);
  }
  const price = parseMinor($("#pf-price").value);
  if (price === null) throw new Invalid(t("seller.pf.bad_price"), "pf-price");
  const rate = parseRate($("#pf-commission").value);
  if (rate === null) throw new Invalid(t("seller.pf.bad_rate"), "pf-commission");
  const body = { title, price_minor: price };
  if (Object.keys(description).length) body.description = description;
  if (rate !== undefined) body.commission_bp = rate;
  else if (editing && editing.commission_bp !== null) body.commission_bp = null;  // back to the shop's rate
  const image = $("#pf-image").value.trim();
  if (image || (editing && editing.image_url)) body.image_url = image;
  return body;
}

function stockOf(id) {
  const stock = Number($(`#${id}`).value);
  if (!Number.isInteger(stock) || stock < 0) throw new Invalid(t("seller.pf.bad_stock"), id);
  return stock;
}

function newProduct() {
  const body = { ...commonFields(), language: $("#pf-language").value, currency: $("#pf-currency").value };
  const opts = usedOptions();
  if (!opts.length) return { ...body, stock: stockOf("pf-stock") };
  const rows = [...$("#pf-variants tbody").children];
  if (!rows.length) throw new Invalid(t("seller.pf.too_many_variants", { count: combinations(opts).length, max: MAX_VARIANTS }), "pf-option-values-0");
  const variants = rows.map((row, i) => {
    const variant = { sku: $(`#pf-sku-${i}`).value.trim(), options: JSON.parse(row.dataset.key), stock: stockOf(`pf-variant-stock-${i}`) };
    if (!variant.sku) throw new Invalid(t("seller.pf.need_sku"), `pf-sku-${i}`);
    const typed = $(`#pf-variant-price-${i}`).value.trim();
    if (typed) {
      const price = parseMinor(typed);
      if (price === null) throw new Invalid(t("seller.pf.bad_price"), `pf-variant-price-${i}`);
      variant.price_minor = price;
    }
    return variant;
  });
  return { ...body, options: opts, variants };
}

async function submit() {
  const error = $("#pf-error");
  error.textContent = "";
  let body;
  try {
    body = editing ? commonFields() : newProduct();
  } catch (invalid) {
    if (!(invalid instanceof Invalid)) throw invalid;
    error.textContent = invalid.message;
    $(`#${invalid.field}`)?.focus();
    return;
  }
  $("#pf-save").disabled = true;
  try {
    const product = editing
      ? await api("PATCH", `/api/products/${editing.id}`, body)
      : await api("POST", "/api/products", body);
    toast(editing ? t("seller.pf.saved", { title: product.title }) : t("seller.pf.created", { title: product.title }), "ok");
    closeProductForm();
    onSaved(product);
  } catch (failure) {
    error.textContent = errorText(failure);
    $("#pf-save").disabled = false;
  }
}
