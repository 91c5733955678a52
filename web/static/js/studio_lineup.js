// @ts-check
// The show's line-up: each product with its price, live stock, one-click pin/unpin (up to three
// pins; pinning a fourth unpins the oldest, server-side) and its flash deal.
//
// Items are built once and updated in place, so a stock change never wipes a deal form the host
// is filling in.

import { currentLanguage, formatPrice, t } from "./i18n.js";
import { report } from "./studio_errors.js";
import { el, stockLabel } from "./ui.js";

export const MAX_PINS = 3;

export function productTitle(product) {
  return (product.titles && product.titles[currentLanguage()]) || product.title;
}

export class Lineup {
  constructor(list, count, room, deals) {
    this.list = list;
    this.count = count;
    this.room = room;
    this.deals = deals;
    this.products = [];
    this.pins = [];  // pinned product ids, oldest first
    this.items = new Map();  // product id → {li, stock, marker, button, slot}
  }

  apply(state) {
    this.products = state.stream.lineup;
    this.pins = state.pins.map((product) => product.id);
    this.render();
  }

  bind(room) {
    room
      .on("product_pinned", ({ pins }) => this.setPins(pins))
      .on("product_unpinned", ({ product_id }) => this.setPins(this.pins.filter((id) => id !== product_id)))
      .on("stock_changed", ({ product_id, stock }) => {
        const product = this.products.find((p) => p.id === product_id);
        if (product) { product.stock = stock; this.refresh(product); }
      });
  }

  render() {
    this.items.clear();
    this.list.replaceChildren(...this.products.map((product) => this.build(product)));
    if (!this.products.length) this.list.append(el("li", { class: "muted" }, t("studio.lineup_empty")));
    this.products.forEach((product) => this.refresh(product));
    this.renderCount();
  }

  build(product) {
    const title = productTitle(product);
    const button = el("button", { type: "button", class: "studio-pin" });
    button.addEventListener("click", () => this.toggle(product, button));
    const item = {
      button,
      stock: el("span", { class: "stock" }),
      marker: el("span", { class: "pill studio-pin-marker" }),
      slot: el("div", { class: "studio-deal-slot" }, this.deals.slot(product, title)),
    };
    item.li = el("li", { class: "card studio-product", "data-product-id": String(product.id) },
      el("div", { class: "studio-product-head" },
        product.image_url ? el("img", { src: product.image_url, alt: "" }) : "",
        el("div", { class: "studio-product-info" },
          el("div", { class: "studio-product-title" }, title),
          el("div", { class: "row studio-product-facts" },
            el("span", { class: "price" }, formatPrice(product.price_minor, product.currency)),
            item.stock, item.marker)),
        button),
      item.slot);
    this.items.set(product.id, item);
    return item.li;
  }

  // Pin marker, button and stock of one product, in place.
  refresh(product) {
    const item = this.items.get(product.id);
    if (!item) return;
    const position = this.pins.indexOf(product.id);
    const pinned = position >= 0;
    const title = productTitle(product);
    item.li.dataset.pinned = String(pinned);
    item.li.classList.toggle("pinned-now", pinned);
    item.marker.hidden = !pinned;
    item.marker.textContent = pinned && position === 0 && this.pins.length >= MAX_PINS ? t("studio.pinned_oldest") : t("studio.pinned");
    item.button.textContent = pinned ? t("studio.unpin") : t("studio.pin");
    item.button.setAttribute("aria-label", t(pinned ? "studio.unpin_label" : "studio.pin_label", { title }));
    item.button.setAttribute("aria-pressed", String(pinned));
    item.button.className = pinned ? "studio-pin" : "studio-pin primary";
    item.stock.textContent = stockLabel(product.stock);
    item.stock.className = product.stock > 0 ? "stock" : "stock out";
  }

  renderCount() {
    const text = t("studio.pins_count", { count: this.pins.length, max: MAX_PINS });
    this.count.textContent = this.pins.length >= MAX_PINS ? `${text} · ${t("studio.pins_full")}` : text;
  }

  setPins(pins) {
    this.pins = pins;
    this.products.forEach((product) => this.refresh(product));
    this.renderCount();
  }

  async toggle(product, button) {
    const pinned = this.pins.includes(product.id);
    button.disabled = true;
    const ack = await this.room.emit(pinned ? "unpin_product" : "pin_product", { product_id: product.id });
    button.disabled = false;
    if (!ack.ok) { report(ack.error); return; }
    if (pinned) this.setPins(this.pins.filter((id) => !ack.unpinned.includes(id)));
    else this.setPins(ack.pins);
  }

  // A deal started or ended: redraw that product's deal slot only.
  dealChanged(productId) {
    const item = this.items.get(productId);
    const product = this.products.find((p) => p.id === productId);
    if (item && product) item.slot.replaceChildren(this.deals.slot(product, productTitle(product)));
  }
}
