// @ts-check
// Pinned products as cards over the video: title in the viewer's language, price in their
// locale, stock, a variant picker, the flash deal's countdown, Add to cart and Buy now.
// Product texts come from sellers: they only ever go in as text.

import { currentLanguage, formatPrice, t } from "./i18n.js";
import { el, stockLabel } from "./ui.js";
import { dealPhase, formatCountdown } from "./watch_deals.js";

let cardCount = 0;

export function localTitle(product, lang = currentLanguage()) {
  const titles = product.titles || {};
  return titles[lang] || titles[product.language] || product.title;
}

export function variantOf(product, choice) {
  const variants = product.variants || [];
  if (!product.options || !product.options.length) return variants[0] || null;
  return variants.find((v) => product.options.every((o) => v.options[o.name] === choice[o.name])) || null;
}

export function describeVariant(product, variant) {
  if (!variant || !product.options || !product.options.length) return "";
  return product.options.map((o) => variant.options[o.name]).join(" · ");
}

function firstChoice(product) {
  const variants = product.variants || [];
  const pick = variants.find((v) => v.stock > 0) || variants[0];
  return pick ? { ...pick.options } : {};
}

export function svgIcon(name) {
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("class", "icon");
  svg.setAttribute("aria-hidden", "true");
  const use = document.createElementNS(ns, "use");
  use.setAttribute("href", `#i-${name}`);
  svg.append(use);
  return svg;
}

export class ProductCard {
  // actions: {deals, canBuy(), onBuy(card), onAddToCart(card)}
  constructor(product, actions) {
    this.product = product;
    this.actions = actions;
    this.uid = ++cardCount;
    this.choice = firstChoice(product);
    this.status = null; // {kind: "ok" | "error", text(), retry}
    this.busy = null; // "buy" | "cart" while a request is out
    this.lastPhase = null;
    this.element = this.build();
    this.refresh();
  }

  get variant() {
    return variantOf(this.product, this.choice);
  }

  build() {
    const p = this.product;
    const title = el("h3", { class: "card-title", id: `card-title-${this.uid}` });
    this.parts = {
      title,
      media: el("div", { class: "card-media", "aria-hidden": "true" }),
      price: el("span", { class: "card-price" }),
      regular: el("s", { class: "card-regular" }),
      regularLabel: el("span", { class: "visually-hidden" }), // "regular price", for screen readers
      dealBox: el("p", { class: "card-deal" }),
      dealLabel: el("span", { class: "deal-label" }),
      dealTimer: el("span", { class: "deal-timer" }),
      dealLeft: el("span", { class: "deal-left" }),
      stock: el("p", { class: "stock" }),
      variants: el("div", { class: "card-variants" }),
      cart: el("button", { type: "button", class: "cart-add", onclick: () => this.actions.onAddToCart(this) }),
      buy: el("button", { type: "button", class: "buy buy-button", onclick: () => this.actions.onBuy(this) }),
      status: el("p", { class: "card-status", role: "status", "aria-live": "polite" }),
    };
    const { parts } = this;
    parts.dealBox.append(svgIcon("bolt"), parts.dealLabel, parts.dealTimer, parts.dealLeft);
    parts.cartText = el("span", { class: "visually-hidden" });
    parts.cart.append(svgIcon("cart"), parts.cartText);
    this.buildMedia();
    this.buildVariants();
    return el("li", { class: "product-card", "data-product-id": String(p.id), "aria-labelledby": title.id },
      el("div", { class: "card-top" },
        parts.media,
        el("div", { class: "card-body" },
          title,
          el("p", { class: "card-prices" }, parts.price, " ", parts.regularLabel, parts.regular),
          parts.dealBox,
          parts.stock)),
      parts.variants,
      el("div", { class: "card-actions" }, parts.cart, parts.buy),
      parts.status);
  }

  buildMedia() {
    const { media } = this.parts;
    media.replaceChildren();
    const initial = el("span", { class: "card-initial" }, (localTitle(this.product).trim()[0] || "?").toUpperCase());
    if (this.product.image_url) {
      const img = el("img", { alt: "", loading: "lazy", decoding: "async" });
      img.addEventListener("error", () => img.replaceWith(initial));
      img.src = this.product.image_url;
      media.append(img);
    } else {
      media.append(initial);
    }
  }

  // One group of chips per option ("size": S M L), radio buttons underneath: arrows move
  // between values, Tab moves on.
  buildVariants() {
    const box = this.parts.variants;
    box.replaceChildren();
    this.chips = [];
    for (const [index, option] of (this.product.options || []).entries()) {
      const name = `opt-${this.uid}-${index}`;
      const chips = el("div", { class: "chips" });
      const group = el("fieldset", { class: "option" }, el("legend", {}, option.name), chips);
      for (const value of option.values) {
        const input = el("input", { type: "radio", name, value, class: "visually-hidden" });
        input.checked = this.choice[option.name] === value;
        input.addEventListener("change", () => {
          this.choice = { ...this.choice, [option.name]: value };
          this.status = null;
          this.refresh();
        });
        const label = el("label", { class: "chip" }, input, el("span", {}, value));
        this.chips.push({ option: option.name, value, input, label });
        chips.append(label);
      }
      box.append(group);
    }
    box.hidden = !this.chips.length;
  }

  // A new copy of the product (stock, prices, texts): keep the viewer's choice if it still exists.
  update(product) {
    const sameOptions = JSON.stringify(product.options) === JSON.stringify(this.product.options);
    const sameImage = product.image_url === this.product.image_url;
    this.product = product;
    if (!sameOptions) {
      this.choice = firstChoice(product);
      this.buildVariants();
    }
    if (!sameImage) this.buildMedia();
    this.refresh();
  }

  // text: a function, so a language switch retells it; retry: the Buy button says "Try again".
  setStatus(kind, text, retry = false) {
    this.status = kind ? { kind, text, retry } : null;
    this.refresh();
  }

  setBusy(what) {
    this.busy = what;
    this.refresh();
  }

  refresh() {
    const { parts, product } = this;
    const variant = this.variant;
    const title = localTitle(product);
    parts.title.textContent = title;
    parts.title.lang = (product.titles || {})[currentLanguage()] ? currentLanguage() : product.language || "";
    const stock = variant ? variant.stock : product.stock;
    const regular = variant ? variant.price_minor : product.price_minor;
    const deal = this.actions.deals.forProduct(product.id, variant ? variant.id : null);
    const phase = deal ? dealPhase(deal) : null;
    const onDeal = phase && phase.phase === "active";
    parts.price.textContent = formatPrice(onDeal ? deal.price_minor : regular, product.currency);
    parts.price.classList.toggle("deal-price", Boolean(onDeal));
    parts.regular.hidden = !onDeal;
    parts.regular.textContent = onDeal ? formatPrice(regular, product.currency) : "";
    parts.regularLabel.hidden = !onDeal;
    parts.regularLabel.textContent = t("watch.regular_price");
    this.renderDeal(deal, phase);
    parts.stock.textContent = variant || product.variants?.length === 0 ? stockLabel(stock) : t("watch.unavailable");
    parts.stock.classList.toggle("out", !(stock > 0));
    parts.stock.classList.toggle("low", stock > 0 && stock <= 5);
    for (const chip of this.chips) {
      chip.input.checked = this.choice[chip.option] === chip.value;
      const candidate = variantOf(product, { ...this.choice, [chip.option]: chip.value });
      chip.label.classList.toggle("unavailable", !candidate || candidate.stock <= 0);
    }
    const soldOut = !variant || !(stock > 0);
    const open = this.actions.canBuy();
    parts.buy.textContent = this.busy === "buy" ? t("watch.buying")
      : soldOut ? t("common.sold_out")
        : this.status && this.status.retry ? t("watch.retry_buy") : t("watch.buy_now");
    parts.buy.disabled = soldOut || !open || Boolean(this.busy);
    parts.buy.setAttribute("aria-busy", String(this.busy === "buy"));
    parts.cartText.textContent = t("watch.add_to_cart_named", { title });
    parts.cart.title = t("watch.add_to_cart");
    parts.cart.disabled = soldOut || !open || Boolean(this.busy);
    parts.cart.setAttribute("aria-busy", String(this.busy === "cart"));
    parts.status.textContent = this.status ? this.status.text() : "";
    parts.status.className = `card-status ${this.status ? this.status.kind : ""}`;
  }

  renderDeal(deal, phase) {
    const { parts } = this;
    const other = !deal && this.actions.deals.elsewhere(this.product.id, this.variant ? this.variant.id : null);
    parts.dealBox.hidden = !deal && !other;
    this.lastPhase = phase ? phase.phase : null;
    if (other) {
      parts.dealBox.className = "card-deal elsewhere";
      parts.dealLabel.textContent = t("watch.deal_other_variant");
      parts.dealTimer.textContent = "";
      parts.dealLeft.textContent = "";
      return;
    }
    if (!deal) return;
    parts.dealBox.className = `card-deal ${phase.phase}`;
    const price = formatPrice(deal.price_minor, deal.currency);
    if (phase.phase === "active") {
      parts.dealLabel.textContent = t("watch.deal");
      parts.dealTimer.textContent = t("watch.deal_ends_in", { time: formatCountdown(phase.remainingMs) });
      parts.dealLeft.textContent = t("watch.deal_left", { count: deal.left });
    } else if (phase.phase === "upcoming") {
      parts.dealLabel.textContent = t("watch.deal_upcoming", { price });
      parts.dealTimer.textContent = t("watch.deal_starts_in", { time: formatCountdown(phase.remainingMs) });
      parts.dealLeft.textContent = "";
    } else if (deal.start_ms !== undefined) { // a replay's deal, shown as it ran: never bought at its price
      parts.dealLabel.textContent = t("watch.replay.deal_was", { price });
      parts.dealTimer.textContent = "";
      parts.dealLeft.textContent = "";
    } else {
      parts.dealLabel.textContent = t(phase.phase === "sold_out" ? "watch.deal_sold_out" : "watch.deal_ended");
      parts.dealTimer.textContent = "";
      parts.dealLeft.textContent = "";
    }
  }

  // Called a few times a second: move the countdown, and redraw when the deal changes phase.
  tick() {
    const variant = this.variant;
    const deal = this.actions.deals.forProduct(this.product.id, variant ? variant.id : null);
    if (!deal) return;
    const phase = dealPhase(deal);
    if (phase.phase !== this.lastPhase) this.refresh();
    else if (phase.phase === "active") this.parts.dealTimer.textContent = t("watch.deal_ends_in", { time: formatCountdown(phase.remainingMs) });
    else if (phase.phase === "upcoming") this.parts.dealTimer.textContent = t("watch.deal_starts_in", { time: formatCountdown(phase.remainingMs) });
  }
}

// The pinned cards, oldest pin first (as the server orders `pins`), at most three.
export class PinBoard {
  constructor(section, list, actions) {
    this.section = section;
    this.list = list;
    this.actions = actions;
    this.cards = new Map();
  }

  show(products) {
    const keep = new Set(products.map((p) => p.id));
    for (const [id, card] of this.cards) {
      if (!keep.has(id)) { card.element.remove(); this.cards.delete(id); }
    }
    products.forEach((product, index) => {
      let card = this.cards.get(product.id);
      if (card) card.update(product);
      else {
        card = new ProductCard(product, this.actions);
        this.cards.set(product.id, card);
        if (this.actions.onShown) this.actions.onShown(product);  // a card view (show report)
      }
      if (this.list.children[index] !== card.element) this.list.insertBefore(card.element, this.list.children[index] || null);
    });
    this.section.hidden = !products.length;
    this.section.dataset.count = String(products.length);
  }

  get ids() {
    return [...this.cards.keys()];
  }

  card(productId) {
    return this.cards.get(productId) || null;
  }

  refresh() {
    for (const card of this.cards.values()) card.refresh();
  }

  tick() {
    for (const card of this.cards.values()) card.tick();
  }
}
