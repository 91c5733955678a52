// @ts-check
// Flash deals in the line-up: a start form per product, the running deal with its units left and
// a countdown, and an End deal button.
//
// The countdown is drawn from the server's `remaining_ms` at the moment it arrived, counted on
// this page's monotonic clock (performance.now), never from the device's wall clock: every
// viewer sees the same second (docs/protocol.md, `deal`).

import { formatPrice, locale, t } from "./i18n.js";
import { errorText } from "./studio_errors.js";
import { el } from "./ui.js";

const DURATIONS_S = [30, 60, 120, 300, 600, 900, 1800, 3600];
const DEFAULT_DURATION_S = 300;

// "39.90" or "39,9" → 3990 minor units (every currency sold has two decimals); null if not money.
export function parseMinor(text) {
  const match = String(text).trim().replace(/\s/g, "").match(/^(\d{1,9})(?:[.,](\d{1,2}))?$/);
  if (!match) return null;
  return Number(match[1]) * 100 + Number((match[2] || "0").padEnd(2, "0"));
}

function clock(ms) {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, "0");
  return h ? `${h}:${String(m).padStart(2, "0")}:${s}` : `${m}:${s}`;
}

// 3990 → "39.90" with the language's decimal sign, for a price field the host may edit.
function asInput(minor) {
  const sign = new Intl.NumberFormat(locale()).formatToParts(1.5).find((p) => p.type === "decimal")?.value || ".";
  return `${Math.floor(minor / 100)}${sign}${String(minor % 100).padStart(2, "0")}`;
}

function durationLabel(seconds) {
  if (seconds < 60) return t("studio.seconds", { count: seconds });
  if (seconds < 3600) return t("studio.minutes", { count: seconds / 60 });
  return t("studio.hours", { count: seconds / 3600 });
}

function variantName(variant) {
  const values = Object.values(variant.options || {});
  return values.length ? `${values.join(" · ")} (${variant.sku})` : variant.sku;
}

export class Deals {
  constructor(room, changed) {
    this.room = room;
    this.changed = changed;  // (productId): the line-up redraws that product's deal slot
    this.running = new Map();  // deal id → {deal, startAt, endAt} on performance.now()'s clock
    setInterval(() => this.tick(), 250);
  }

  apply(deals) {
    const touched = new Set([...this.running.values()].map((entry) => entry.deal.product_id));
    this.running.clear();
    for (const deal of deals) { this.keep(deal); touched.add(deal.product_id); }
    touched.forEach((id) => this.changed(id));
  }

  bind(room) {
    room.on("deal_updated", ({ deal }) => this.update(deal));
  }

  update(deal) {
    this.keep(deal);
    this.changed(deal.product_id);
  }

  keep(deal) {
    if (deal.phase === "ended") { this.running.delete(deal.id); return; }
    const now = performance.now();
    const length = Date.parse(deal.ends_at) - Date.parse(deal.starts_at);  // both the server's
    const startAt = deal.phase === "upcoming" ? now + deal.remaining_ms : now;
    const endAt = deal.phase === "upcoming" ? startAt + length : now + deal.remaining_ms;
    this.running.set(deal.id, { deal, startAt, endAt });
  }

  forProduct(productId) {
    return [...this.running.values()].find((entry) => entry.deal.product_id === productId) || null;
  }

  // What the line-up shows under a product: its running deal, else the form to start one.
  slot(product, title) {
    const entry = this.forProduct(product.id);
    return entry ? this.strip(product, entry, title) : this.form(product, title);
  }

  strip(product, entry, title) {
    const { deal } = entry;
    const variant = product.variants.find((v) => v.id === deal.variant_id);
    const regular = variant ? variant.price_minor : product.price_minor;
    const end = el("button", { type: "button", class: "studio-small-button", "aria-label": t("studio.end_deal_label", { title }) }, t("studio.end_deal"));
    end.addEventListener("click", () => this.end(deal, end));
    return el("div", { class: "studio-deal", "data-deal-id": String(deal.id) },
      el("div", { class: "studio-deal-line" },
        el("span", { class: "pill studio-deal-badge" }, t("studio.flash_deal")),
        el("strong", { class: "studio-deal-price" }, formatPrice(deal.price_minor, deal.currency)),
        el("s", { class: "muted" }, formatPrice(regular, deal.currency)),
        el("span", { class: "studio-countdown", role: "timer", "data-deal-id": String(deal.id) }, this.countdownText(entry))),
      el("div", { class: "studio-deal-line" },
        el("span", { class: "studio-deal-left" }, t("studio.deal_left", { count: deal.left, quantity: deal.quantity })),
        variant ? el("span", { class: "muted studio-small" }, variantName(variant)) : "",
        end));
  }

  form(product, title) {
    const id = (name) => `deal-${name}-${product.id}`;
    const inputs = {
      sku: product.variants.length > 1
        ? el("select", { id: id("sku") }, el("option", { value: "" }, t("studio.deal_all_variants")),
          ...product.variants.map((v) => el("option", { value: v.sku }, variantName(v))))
        : null,
      price: el("input", { id: id("price"), inputmode: "decimal", autocomplete: "off", required: "", value: asInput(Math.floor(product.price_minor * 0.8)), "aria-describedby": id("regular") }),
      duration: el("select", { id: id("duration") }, ...DURATIONS_S.map((s) => el("option", { value: String(s) }, durationLabel(s)))),
      quantity: el("input", { id: id("quantity"), type: "number", min: "1", step: "1", required: "", value: String(Math.max(1, Math.min(10, product.stock))) }),
      limit: el("input", { id: id("limit"), type: "number", min: "1", step: "1", required: "", value: "1" }),
    };
    inputs.duration.value = String(DEFAULT_DURATION_S);
    const field = (name, label, ...extra) => el("div", { class: "studio-field" }, el("label", { for: id(name) }, label), inputs[name], ...extra);
    const error = el("p", { class: "studio-form-error", role: "alert" });
    const submit = el("button", { type: "submit", class: "primary" }, t("studio.start_deal"));
    const form = el("form", { class: "studio-deal-form", "aria-label": t("studio.deal_form_label", { title }) },
      inputs.sku ? field("sku", t("studio.deal_variant")) : "",
      field("price", t("studio.deal_price", { currency: product.currency }),
        el("span", { class: "muted studio-small", id: id("regular") }, t("studio.regular_price", { price: formatPrice(product.price_minor, product.currency) }))),
      field("duration", t("studio.deal_duration")),
      field("quantity", t("studio.deal_quantity")),
      field("limit", t("studio.deal_limit")),
      el("div", { class: "row studio-deal-actions" }, submit, error));
    form.addEventListener("submit", (event) => { event.preventDefault(); this.start(product, inputs, error, submit); });
    return el("details", { class: "studio-deal-details" }, el("summary", {}, t("studio.deal_summary")), form);
  }

  async start(product, inputs, error, submit) {
    error.textContent = "";
    const price = parseMinor(inputs.price.value);
    if (price === null) { error.textContent = errorText({ code: "bad_price_minor" }); inputs.price.focus(); return; }
    const payload = {
      product_id: product.id,
      price_minor: price,
      duration_s: Number(inputs.duration.value),
      quantity: Number(inputs.quantity.value),
      per_buyer_limit: Number(inputs.limit.value),
    };
    if (inputs.sku && inputs.sku.value) payload.sku = inputs.sku.value;
    submit.disabled = true;
    const ack = await this.room.emit("start_deal", payload);
    submit.disabled = false;
    if (!ack.ok) { error.textContent = errorText(ack.error); return; }
    this.update(ack.deal);
    /** @type {HTMLElement | null} */ (document.querySelector(`.studio-deal[data-deal-id="${ack.deal.id}"] button`))?.focus();
  }

  countdownText(entry, now = performance.now()) {
    if (now < entry.startAt) return t("studio.deal_starts_in", { time: clock(entry.startAt - now) });
    if (entry.deal.left <= 0) return t("studio.deal_sold_out", { time: clock(entry.endAt - now) });
    return t("studio.deal_ends_in", { time: clock(entry.endAt - now) });
  }

  tick() {
    const now = performance.now();
    for (const [id, entry] of this.running) {
      if (now >= entry.endAt) {
        this.running.delete(id);
        this.changed(entry.deal.product_id);
        continue;
      }
      for (const span of document.querySelectorAll(`.studio-countdown[data-deal-id="${id}"]`)) {
        span.textContent = this.countdownText(entry, now);
      }
    }
  }

  async end(deal, button) {
    button.disabled = true;
    const ack = await this.room.emit("end_deal", { deal_id: deal.id });
    if (ack.ok) {
      this.update(ack.deal);
      /** @type {HTMLElement | null} */ (document.querySelector(`[data-product-id="${deal.product_id}"] .studio-deal-details summary`))?.focus();
    } else {
      button.disabled = false;
      button.parentElement.querySelector(".studio-form-error")?.remove();
      button.before(el("span", { class: "studio-form-error", role: "alert" }, errorText(ack.error)));
    }
  }
}
