// @ts-check
// The cart: a sheet over the video (the show keeps playing behind it), kept on the server per
// show (GET /api/streams/{id}/cart, PUT …/cart/items), checked out and paid in one tap
// (POST …/cart/checkout {idempotency_key, pay: true}); with a provider that needs the card
// first (Stripe), checked out unpaid and paid through watch_pay.js. A coupon and the address
// it ships to go along (watch_checkout.js).

import { api } from "./api.js";
import { formatNumber, formatPrice, t } from "./i18n.js";
import { el, toast } from "./ui.js";
import { errorText, Intents, isRetryable, orderText } from "./watch_buy.js";
import { CheckoutOptions } from "./watch_checkout.js";
import { dealPhase } from "./watch_deals.js";
import { finishPayment, needsCard, payOrder } from "./watch_pay.js";
import { describeVariant, localTitle } from "./watch_products.js";

const MOST_PER_LINE = 10;
const CHECKOUT = "checkout";

export class Cart {
  // host: {streamId, product(id), deals, isAccount(), needAccount()}
  constructor(host, nodes) {
    this.host = host;
    this.nodes = nodes; // {dialog, lines, empty, total, status, checkout, badge, button, close}
    this.items = [];
    this.intents = new Intents();
    this.busy = false;
    this.message = null; // {kind, text()}
    this.options = new CheckoutOptions({
      streamId: host.streamId, product: host.product, isAccount: host.isAccount, changed: () => this.render(),
    }, nodes.dialog);
    nodes.button.addEventListener("click", () => this.open());
    nodes.close.addEventListener("click", () => nodes.dialog.close());
    nodes.checkout.addEventListener("click", () => this.checkout());
    nodes.dialog.addEventListener("click", (event) => {
      if (event.target === nodes.dialog) nodes.dialog.close(); // a tap on the backdrop
    });
  }

  get path() {
    return `/api/streams/${this.host.streamId}/cart`;
  }

  get count() {
    return this.items.reduce((sum, item) => sum + item.quantity, 0);
  }

  async load() {
    this.options.load();
    if (!this.host.isAccount()) { this.set([]); return; }
    try {
      this.set((await api("GET", this.path)).items);
    } catch {
      // the badge stays as it was; the next join tries again
    }
  }

  set(items) {
    const changed = JSON.stringify(items) !== JSON.stringify(this.items);
    this.items = items;
    if (changed && this.intents.pending(CHECKOUT)) {
      // Another cart is another order. But a cart emptied while a checkout's answer was lost
      // means that checkout went through: find its order by the key.
      const key = this.intents.keyFor(CHECKOUT);
      this.intents.forget(CHECKOUT);
      if (!items.length) this.findOrder(key, null).then((answer) => answer && this.paid(answer.order));
    }
    this.render();
  }

  async add(product, variant) {
    if (!(await this.host.needAccount())) return false;
    const found = this.items.find((i) => i.variant_id === variant.id);
    const quantity = Math.min((found ? found.quantity : 0) + 1, MOST_PER_LINE);
    await this.put(product, variant, quantity);
    return true;
  }

  async put(product, variant, quantity) {
    const cart = await api("PUT", `${this.path}/items`, { product_id: product.id, sku: variant.sku, quantity });
    this.message = null;
    this.set(cart.items);
  }

  async open() {
    if (!(await this.host.needAccount())) return;
    this.render();
    if (!this.nodes.dialog.open) this.nodes.dialog.showModal();
    await this.load();
  }

  line(item) {
    const product = this.host.product(item.product_id);
    if (!product) return el("li", { class: "cart-line" }, t("watch.unavailable"));
    const variant = (product.variants || []).find((v) => v.id === item.variant_id) || null;
    const unit = this.unitPrice(product, variant);
    const title = localTitle(product);
    const change = (quantity) => async () => {
      try { await this.put(product, variant, quantity); } catch (error) { this.fail(error); }
    };
    const more = el("button", { type: "button", class: "icon-button", "data-focus": `${item.variant_id}+`, "aria-label": t("watch.increase"), onclick: change(item.quantity + 1) }, "+");
    more.disabled = item.quantity >= MOST_PER_LINE;
    return el("li", { class: "cart-line", "data-product-id": String(product.id) },
      el("div", { class: "cart-line-text" },
        el("strong", { class: "cart-line-title" }, title),
        el("span", { class: "muted" }, describeVariant(product, variant)),
        el("span", { class: "cart-line-price" }, formatPrice(unit * item.quantity, product.currency))),
      el("div", { class: "stepper", role: "group", "aria-label": t("watch.quantity_of", { title }) },
        el("button", { type: "button", class: "icon-button", "data-focus": `${item.variant_id}-`, "aria-label": t("watch.decrease"), onclick: change(item.quantity - 1) }, "−"),
        el("output", {}, formatNumber(item.quantity)),
        more),
      el("button", { type: "button", class: "link-button", onclick: change(0) }, t("watch.remove")));
  }

  // The price the order will take: an active flash deal's, else the variant's.
  unitPrice(product, variant) {
    const regular = variant ? variant.price_minor : product.price_minor;
    const deal = this.host.deals.forProduct(product.id, variant ? variant.id : null);
    return deal && dealPhase(deal).phase === "active" ? deal.price_minor : regular;
  }

  totals() {
    const sums = new Map();
    for (const item of this.items) {
      const product = this.host.product(item.product_id);
      if (!product) continue;
      const variant = (product.variants || []).find((v) => v.id === item.variant_id) || null;
      sums.set(product.currency, (sums.get(product.currency) || 0) + this.unitPrice(product, variant) * item.quantity);
    }
    return sums;
  }

  render() {
    const { nodes } = this;
    const count = this.count;
    nodes.badge.hidden = !count;
    nodes.badge.textContent = count ? formatNumber(count) : "";
    nodes.button.setAttribute("aria-label", count ? t("watch.open_cart_count", { count }) : t("watch.open_cart"));
    const ids = this.items.map((item) => item.product_id);
    this.options.render(ids);
    if (!nodes.dialog.open) return;
    const active = /** @type {HTMLElement | null} */ (document.activeElement);
    const focused = active && active.dataset ? active.dataset.focus : null;
    nodes.lines.replaceChildren(...this.items.map((item) => this.line(item)));
    // Redrawn lines are new buttons: keep the keyboard where it was (else on the sheet's close).
    if (focused) (nodes.lines.querySelector(`[data-focus="${CSS.escape(focused)}"]`) || nodes.close).focus();
    nodes.empty.hidden = Boolean(this.items.length);
    const totals = this.totals();
    nodes.total.textContent = [...totals].map(([currency, minor]) => formatPrice(minor, currency)).join(" + ");
    nodes.total.parentElement.hidden = !this.items.length;
    const mixed = totals.size > 1;
    const unshipped = this.options.refusal(ids); // said before the tap, not after
    const message = mixed ? { kind: "error", text: () => t("watch.error.mixed_currencies") }
      : unshipped ? { kind: "error", text: () => unshipped } : this.message;
    nodes.status.textContent = message ? message.text() : "";
    nodes.status.className = `cart-status ${message ? message.kind : ""}`;
    nodes.checkout.disabled = !this.items.length || mixed || Boolean(unshipped) || this.busy;
    nodes.checkout.setAttribute("aria-busy", String(this.busy));
    nodes.checkout.textContent = this.busy ? t("watch.paying") : t("watch.checkout");
  }

  fail(error) {
    this.message = { kind: "error", text: () => errorText(error) };
    this.render();
  }

  async checkout() {
    if (this.busy || !(await this.host.needAccount())) return;
    const retrying = this.intents.pending(CHECKOUT);
    const key = this.intents.keyFor(CHECKOUT);
    this.busy = true;
    this.message = null;
    this.render();
    let answer;
    try {
      const card = await needsCard();
      const order = await api("POST", `${this.path}/checkout`, { idempotency_key: key, pay: !card, ...this.options.extras() });
      answer = { ok: true, order: card ? await payOrder(order) : await finishPayment(order) };
    } catch (error) {
      answer = { ok: false, error: { code: error.code, message: error.message } };
      // The first try went through but its answer was lost: the cart is gone, the order is ours.
      if (retrying && error.code === "cart_empty") answer = await this.findOrder(key, answer);
    }
    this.intents.settle(CHECKOUT, answer);
    this.busy = false;
    if (answer.ok) {
      this.paid(answer.order);
    } else if (answer.error.code === "account_required") {
      this.nodes.dialog.close();
      await this.host.needAccount();
    } else {
      const retry = isRetryable(answer.error.code);
      this.message = { kind: "error", text: () => errorText(answer.error) + (retry ? ` ${t("watch.retry_hint")}` : "") };
      if (!retry) await this.load();
    }
    this.render();
  }

  paid(order) {
    this.items = [];
    this.message = { kind: order.status === "cancelled" ? "error" : "ok", text: () => orderText(order) };
    if (!this.nodes.dialog.open) toast(orderText(order), "ok"); // else the sheet says it
    this.render();
  }

  async findOrder(key, otherwise) {
    try {
      const { orders } = await api("GET", "/api/orders");
      const order = orders.find((o) => o.idempotency_key === key);
      return order ? { ok: true, order } : otherwise;
    } catch {
      return otherwise;
    }
  }
}
