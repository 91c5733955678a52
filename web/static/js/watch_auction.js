// @ts-check
// The viewer page's auction card: the current price, the leader (masked by the server, e.g.
// "Ka***"), the bid count, the time left on the server's clock (engage_clock.js), one-tap bid
// buttons for the next amounts the server allows, buy it now, and a maximum the server bids up
// to (docs/protocol.md "Auctions"). Each bid carries an idempotency key (watch_buy.js's
// Intents): a bid asked again after a lost answer is decided once.
//
// At the end the card says the result; the winner's own page shows its order and a Pay button.

import { formatPrice, t } from "./i18n.js";
import { msLeft } from "./engage_clock.js";
import { EngageCard } from "./watch_engage.js";
import { parseMinor } from "./studio_deals.js";
import { errorText, Intents, isRetryable } from "./watch_buy.js";
import { payOrder } from "./watch_pay.js";
import { el } from "./ui.js";

/**
 * @typedef {object} AuctionPage
 * @property {(name: string, payload: object) => Promise<import("./room.js").Ack>} emit
 * @property {() => Promise<boolean>} needAccount asks a guest to sign in; true once signed in
 * @property {() => (number | null)} me this page's account id
 * @property {(productId: number) => string} title
 */

export class AuctionCard extends EngageCard {
  /**
   * @param {HTMLElement} root
   * @param {AuctionPage} page
   */
  constructor(root, page) {
    super(root, "auction");
    this.page = page;
    this.intents = new Intents();
    this.busy = false;
    /** @type {[string, () => string] | null} the last answer's kind and text (redrawn in a new language) */
    this.message = null;
    this.paid = new Set(); // orders paid from this card
    const id = (name) => ({ id: `auction-${name}` });
    this.product = el("p", { class: "engage-sub", ...id("product") });
    this.price = el("strong", { class: "auction-price", ...id("price") });
    this.leader = el("span", id("leader"));
    this.bids = el("span", id("bids"));
    this.reserve = el("span", { class: "engage-sub", ...id("reserve") });
    this.buttons = el("div", { class: "auction-bids", ...id("buttons") });
    this.buyNow = el("button", { type: "button", class: "buy-button", ...id("buy-now"), onclick: () => this.bid({ buy_now: true }) });
    this.maxInput = el("input", { ...id("max"), inputmode: "decimal", autocomplete: "off", required: "" });
    this.maxLabel = el("label", { for: "auction-max" });
    this.maxButton = el("button", { type: "submit", ...id("max-set") });
    this.maxForm = el("form", { class: "auction-max", ...id("max-form"), onsubmit: (event) => this.setMax(event) },
      this.maxLabel, el("div", { class: "row" }, this.maxInput, this.maxButton));
    this.pay = el("button", { type: "button", class: "buy-button", ...id("pay"), hidden: "", onclick: () => this.payWon() });
    root.append(
      this.head(),
      this.product,
      el("div", { class: "auction-line" }, this.price, el("span", { class: "engage-sub" }, this.leader, " ", this.bids)),
      this.reserve, this.buttons, this.buyNow, this.maxForm, this.status, this.pay,
    );
  }

  /** @param {any} auction */
  running(auction) {
    return auction.status === "running";
  }

  /** @param {any} auction */
  set(auction) {
    if (auction && (!this.view || this.view.id !== auction.id)) this.message = null;
    super.set(auction);
  }

  leading() {
    return this.view !== null && this.view.leader_id !== null && this.view.leader_id === this.page.me();
  }

  pending() {
    return this.won() && !this.paid.has(this.view.order_id);
  }

  // This page's account has the auction's order: the winner's, or a second chance's.
  won() {
    const a = this.view;
    return a !== null && a.status === "ended" && a.order_id !== null && a.winner_id === this.page.me();
  }

  render() {
    const a = this.view;
    this.root.hidden = !this.shown();
    if (this.root.hidden) return;
    const running = a.status === "running";
    const money = (minor) => formatPrice(minor, a.currency);
    this.root.dataset.status = a.status;
    this.heading.textContent = t(running ? "watch.auction.live" : "watch.auction.ended");
    this.product.textContent = this.page.title(a.product_id);
    this.price.textContent = money(a.price_minor);
    this.leader.textContent = a.leader === null
      ? t("watch.auction.no_leader")
      : this.leading() ? t("watch.auction.you_lead") : t("watch.auction.leader", { name: a.leader });
    this.leader.hidden = !running; // once ended, the status line says who won
    this.bids.textContent = t("watch.auction.bids", { count: a.bids });
    this.reserve.hidden = a.reserve_met === null || !running;
    this.reserve.textContent = t(a.reserve_met ? "watch.auction.reserve_met" : "watch.auction.reserve_not_met");
    this.buttons.replaceChildren(...(running ? a.next_bids_minor : []).map((amount) => el("button", {
      type: "button", class: "auction-bid", "data-amount": String(amount), onclick: () => this.bid({ amount_minor: amount }),
    }, t("watch.auction.bid", { price: money(amount) }))));
    this.buyNow.hidden = !running || a.buy_now_minor === null;
    if (a.buy_now_minor !== null) this.buyNow.textContent = t("watch.auction.buy_now", { price: money(a.buy_now_minor) });
    this.maxForm.hidden = !running;
    this.maxLabel.textContent = t("watch.auction.max_label", { currency: a.currency });
    this.maxButton.textContent = t("watch.auction.max_set");
    for (const button of [...this.buttons.children, this.buyNow, this.maxButton]) /** @type {HTMLButtonElement} */ (button).disabled = this.busy;
    this.renderEnd();
    this.tick();
  }

  // The result once ended, and the winner's order.
  renderEnd() {
    const a = this.view;
    const won = this.won();
    this.pay.hidden = !won || this.paid.has(a.order_id);
    this.pay.textContent = t("watch.auction.pay");
    if (a.status === "running") {
      const [kind, text] = this.message || ["", () => ""];
      this.status.dataset.kind = kind;
      this.status.textContent = text();
      return;
    }
    this.status.dataset.kind = won ? "ok" : "";
    const price = formatPrice(a.sold_minor ?? a.price_minor, a.currency);
    if (won) this.status.textContent = t(this.paid.has(a.order_id) ? "watch.auction.won_paid" : "watch.auction.won", { price, id: String(a.order_id) });
    else if (a.result === "sold") this.status.textContent = t("watch.auction.sold", { name: a.leader || "", price });
    else this.status.textContent = t(`watch.auction.result.${a.result || "no_bids"}`);
  }

  tick() {
    super.tick();
    if (this.view) this.time.dataset.soon = String(msLeft(this.end) < this.view.anti_snipe_s * 1000);
  }

  /** @param {{amount_minor?: number, buy_now?: boolean, max_minor?: number}} what */
  async bid(what) {
    const a = this.view;
    if (!a || this.busy || !(await this.page.needAccount())) return;
    const intent = `${a.id}/${JSON.stringify(what)}`;
    this.busy = true;
    this.render();
    const event = "max_minor" in what ? "set_max_bid" : "bid";
    const ack = await this.page.emit(event, { auction_id: a.id, ...what, idempotency_key: this.intents.keyFor(intent) });
    this.intents.settle(intent, ack);
    this.busy = false;
    if (ack.ok) {
      if ("max_minor" in what) this.message = ["ok", () => t("watch.auction.max_saved", { price: formatPrice(what.max_minor, a.currency) })];
      else this.message = ["ok", () => t(ack.bid.leading ? "watch.auction.bid_leading" : "watch.auction.bid_outbid")];
      this.set(ack.auction);
    } else {
      const retry = isRetryable(ack.error.code);
      this.message = ["error", () => errorText(ack.error) + (retry ? ` ${t("watch.retry_hint")}` : "")];
      this.render();
    }
  }

  /** @param {Event} event */
  async setMax(event) {
    event.preventDefault();
    const max = parseMinor(this.maxInput.value);
    if (max === null || max <= 0) {
      this.message = ["error", () => t("watch.error.bad_bid_amount")];
      this.render();
      return;
    }
    await this.bid({ max_minor: max });
    if (this.message && this.message[0] === "ok") this.maxInput.value = "";
  }

  async payWon() {
    const a = this.view;
    if (!a || !a.order_id) return;
    this.pay.disabled = true;
    try {
      const order = await payOrder({ id: a.order_id });
      if (order.status === "paid") this.paid.add(a.order_id);
    } catch (error) {
      this.status.dataset.kind = "error";
      this.status.textContent = errorText(error);
      this.pay.disabled = false;
      return;
    }
    this.pay.disabled = false;
    this.render();
  }
}
