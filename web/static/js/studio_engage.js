// @ts-check
// The studio's auctions, giveaways and polls (issue 16): a form to start each, its live state
// as the room tells it (`auction_updated`/`auction_ended`, `giveaway_updated`, `poll_updated`),
// a button to stop or end it, and its result. Countdowns run on the server's clock
// (engage_clock.js). Shapes and codes: docs/protocol.md "Auctions", "Giveaways", "Polls".

import { formatPrice, t } from "./i18n.js";
import { countdown, localEnd, msLeft } from "./engage_clock.js";
import { parseMinor } from "./studio_deals.js";
import { errorText } from "./studio_errors.js";
import { productTitle } from "./studio_lineup.js";
import { el } from "./ui.js";

const AUCTION_DURATIONS_S = [10, 20, 30, 60, 120, 180, 300];
const GIVEAWAY_WINDOWS_S = [30, 60, 120, 300, 600];
const POLL_DURATIONS_S = [0, 30, 60, 120, 300, 600]; // 0: open until the host closes it
const POLL_OPTIONS = 6;

/** @param {number} seconds */
function span(seconds) {
  return seconds < 60 ? t("studio.seconds", { count: seconds }) : t("studio.minutes", { count: seconds / 60 });
}

/** @param {string} id @param {string} label @param {HTMLElement} input */
function field(id, label, input) {
  input.id = id;
  return el("div", { class: "studio-field" }, el("label", { for: id }, label), input);
}

/** @param {number[]} values @param {(v: number) => string} label @param {number} chosen */
function choices(values, label, chosen) {
  const select = el("select", {}, ...values.map((v) => el("option", { value: String(v) }, label(v))));
  select.value = String(chosen);
  return select;
}

// An optional money field: null when empty, NaN when not money.
/** @param {HTMLInputElement} input */
function optionalMinor(input) {
  if (!input.value.trim()) return null;
  const minor = parseMinor(input.value);
  return minor === null ? Number.NaN : minor;
}

// One of the three: its start form, its live panel, the last refusal.
class Desk {
  /**
   * @param {string} name "auction", "giveaway", "poll"
   * @param {any} room
   * @param {string} endEvent the event that ends it: "stop_auction", "end_giveaway", "close_poll"
   * @param {string} endId its button's id after `studio-<name>-`
   */
  constructor(name, room, endEvent, endId) {
    this.name = name;
    this.room = room;
    this.current = null;
    this.end = null;
    this.endEvent = endEvent;
    this.endId = endId;
    this.products = []; // the line-up, for the forms
    this.form = el("form", { class: "studio-engage-form", id: `studio-${name}-form` });
    this.live = el("div", { class: "studio-engage-live", id: `studio-${name}-live`, "aria-live": "polite" });
    this.error = el("p", { class: "studio-form-error", role: "alert", id: `studio-${name}-error` });
    this.root = el("section", { class: "studio-engage-part", "aria-labelledby": `studio-${name}-heading` });
    this.heading = el("h3", { id: `studio-${name}-heading` });
    this.form.addEventListener("submit", (event) => { event.preventDefault(); this.start(); });
  }

  /** @param {string} event @param {object} payload */
  async send(event, payload) {
    this.error.textContent = "";
    const ack = await this.room.emit(event, payload);
    if (!ack.ok) { this.error.textContent = errorText(ack.error); return null; }
    return ack;
  }

  // Send, and show the answer's view (`ack.auction`, `ack.giveaway`, `ack.poll`).
  /** @param {string} event @param {object} payload */
  async ask(event, payload) {
    const ack = await this.send(event, payload);
    if (ack) this.set(ack[this.name]);
  }

  // Stop the auction, end the giveaway's window, close the poll.
  async finish() {
    await this.ask(this.endEvent, { [`${this.name}_id`]: this.current.id });
  }

  /** @param {any} view */
  set(view) {
    if (!view || (this.current && view.id < this.current.id)) return;
    this.current = view;
    this.end = this.running() ? localEnd(view) : null;
    this.render();
  }

  running() { return false; }

  async start() {}

  render() {
    if (!this.current) { this.live.replaceChildren(); this.form.hidden = false; return; }
    this.draw(this.current);
    this.tick();
  }

  /** @param {any} view */
  draw(view) { this.live.replaceChildren(String(view.id)); }

  // Labelled fields side by side: [id suffix, studio.engage.<key>, input] each.
  /** @param {[string, string, HTMLElement][]} fields */
  grid(fields) {
    return el("div", { class: "studio-engage-grid" },
      ...fields.map(([name, key, input]) => field(`studio-${this.name}-${name}`, t(`studio.engage.${key}`), input)));
  }

  // The countdown and the button that ends it, while it runs.
  /** @param {boolean} running @param {string} label */
  controls(running, label) {
    if (!running) return "";
    return el("div", { class: "row" }, el("span", { class: "studio-countdown", role: "timer" }),
      el("button", { type: "button", class: "studio-danger", id: `studio-${this.name}-${this.endId}`, onclick: () => this.finish() }, label));
  }

  tick() {
    const timer = this.live.querySelector(".studio-countdown");
    if (timer) timer.textContent = countdown(msLeft(this.end));
  }

  /** @param {string} heading @param {...any} parts */
  panel(heading, ...parts) {
    this.live.replaceChildren(el("h4", {}, heading), ...parts);
    this.form.hidden = this.running();
  }
}

class AuctionDesk extends Desk {
  constructor(room) {
    super("auction", room, "stop_auction", "stop");
  }

  running() { return Boolean(this.current && this.current.status === "running"); }

  buildForm() {
    const inputs = this.inputs = {
      product: el("select", {}, ...this.products.flatMap((p) => (p.variants.length > 1 ? p.variants : [null]).map((v) =>
        el("option", { value: JSON.stringify([p.id, v ? v.sku : null]) }, v ? `${productTitle(p)} · ${v.sku}` : productTitle(p))))),
      start: el("input", { inputmode: "decimal", autocomplete: "off", required: "", value: "1.00" }),
      increment: el("input", { inputmode: "decimal", autocomplete: "off", required: "", value: "1.00" }),
      duration: choices(AUCTION_DURATIONS_S, span, 60),
      reserve: el("input", { inputmode: "decimal", autocomplete: "off" }),
      buyNow: el("input", { inputmode: "decimal", autocomplete: "off" }),
      sudden: el("input", { type: "checkbox" }),
      unpaid: el("select", {}, ...["second_chance", "unsold"].map((u) => el("option", { value: u }, t(`studio.engage.unpaid_${u}`)))),
    };
    const id = (n) => `studio-auction-${n}`;
    this.form.replaceChildren(
      field(id("product"), t("studio.engage.product"), inputs.product),
      this.grid([["start-price", "start_price", inputs.start], ["increment", "increment", inputs.increment],
        ["duration", "duration", inputs.duration], ["reserve", "reserve", inputs.reserve],
        ["buy-now", "buy_now", inputs.buyNow], ["unpaid", "unpaid", inputs.unpaid]]),
      el("div", { class: "row" }, inputs.sudden, el("label", { for: id("sudden") }, t("studio.engage.sudden_death"))),
      el("button", { type: "submit", class: "primary", id: id("start") }, t("studio.engage.start_auction")));
    inputs.sudden.id = id("sudden");
  }

  async start() {
    const i = this.inputs;
    const [productId, sku] = JSON.parse(i.product.value || "[null,null]");
    const money = { start_minor: parseMinor(i.start.value), increment_minor: parseMinor(i.increment.value), reserve_minor: optionalMinor(i.reserve), buy_now_minor: optionalMinor(i.buyNow) };
    if (Object.values(money).some((m) => Number.isNaN(m)) || money.start_minor === null || money.increment_minor === null) {
      this.error.textContent = errorText({ code: "bad_price_minor" });
      return;
    }
    /** @type {Record<string, unknown>} */
    const payload = { product_id: productId, ...money, duration_s: Number(i.duration.value), sudden_death: i.sudden.checked, unpaid: i.unpaid.value };
    if (sku) payload.sku = sku;
    await this.ask("start_auction", payload);
  }

  draw(a) {
    const product = this.products.find((p) => p.id === a.product_id);
    const money = (minor) => formatPrice(minor, a.currency);
    const facts = el("dl", { class: "studio-engage-facts" },
      el("dt", {}, t("studio.engage.price")), el("dd", { id: "studio-auction-price" }, money(a.price_minor)),
      el("dt", {}, t("studio.engage.leader")), el("dd", { id: "studio-auction-leader" }, a.leader || "—"),
      el("dt", {}, t("studio.engage.bids")), el("dd", { id: "studio-auction-bids" }, String(a.bids)));
    if (a.reserve_met !== null) facts.append(el("dt", {}, t("studio.engage.reserve")), el("dd", {}, t(a.reserve_met ? "studio.engage.reserve_met" : "studio.engage.reserve_not_met")));
    const running = this.running();
    const result = running ? "" : el("p", { id: "studio-auction-result", class: "studio-engage-result" },
      a.result === "sold" ? t("studio.engage.sold", { name: a.leader || "", price: money(a.sold_minor ?? a.price_minor), id: String(a.order_id ?? "") }) : t(`studio.engage.result_${a.result || "no_bids"}`));
    this.panel(`${t(running ? "studio.engage.auction_running" : "studio.engage.auction_ended")}: ${product ? productTitle(product) : ""}`,
      facts, this.controls(running, t("studio.engage.stop_auction")), result);
  }
}

class GiveawayDesk extends Desk {
  constructor(room) {
    super("giveaway", room, "end_giveaway", "end");
  }

  running() { return Boolean(this.current && this.current.phase !== "drawn"); }

  buildForm() {
    const inputs = this.inputs = {
      prize: el("select", {}, el("option", { value: "" }, t("studio.engage.prize_text_option")),
        ...this.products.map((p) => el("option", { value: String(p.id) }, productTitle(p)))),
      text: el("input", { autocomplete: "off", maxlength: "200" }),
      window: choices(GIVEAWAY_WINDOWS_S, span, 60),
      winners: el("input", { type: "number", min: "1", max: "50", step: "1", value: "1", required: "" }),
      eligibility: el("select", {}, ...["everyone", "buyers", "keyword", "followers"].map((e) => el("option", { value: e }, t(`studio.engage.eligibility_${e}`)))),
      keyword: el("input", { autocomplete: "off", maxlength: "40" }),
    };
    this.form.replaceChildren(
      this.grid([["prize", "prize", inputs.prize], ["prize-text", "prize_text", inputs.text],
        ["window", "window", inputs.window], ["winners", "winners", inputs.winners],
        ["eligibility", "eligibility", inputs.eligibility], ["keyword", "keyword", inputs.keyword]]),
      el("button", { type: "submit", class: "primary", id: "studio-giveaway-start" }, t("studio.engage.start_giveaway")));
  }

  async start() {
    const i = this.inputs;
    const payload = { window_s: Number(i.window.value), winners: Number(i.winners.value), eligibility: i.eligibility.value };
    if (i.prize.value) payload.prize_product_id = Number(i.prize.value);
    else payload.prize_text = i.text.value;
    if (i.eligibility.value === "keyword") payload.keyword = i.keyword.value;
    await this.ask("start_giveaway", payload);
  }

  draw(g) {
    const product = g.prize.product_id ? this.products.find((p) => p.id === g.prize.product_id) : null;
    const prize = product ? productTitle(product) : g.prize.text || "";
    const facts = el("dl", { class: "studio-engage-facts" },
      el("dt", {}, t("studio.engage.entrants")), el("dd", { id: "studio-giveaway-entrants" }, String(g.entrants)),
      el("dt", {}, t("studio.engage.commitment")), el("dd", { class: "engage-hash" }, g.commitment));
    if (g.seed) facts.append(el("dt", {}, t("studio.engage.seed")), el("dd", { class: "engage-hash", id: "studio-giveaway-seed" }, g.seed));
    const open = g.phase === "open";
    const winners = g.phase === "drawn"
      ? el("ul", { id: "studio-giveaway-winners", class: "studio-engage-winners", "aria-label": t("studio.engage.winners_drawn") }, ...(g.winners.length ? g.winners.map((w) => el("li", {}, w.display_name)) : [el("li", { class: "muted" }, t("studio.engage.no_winners"))]))
      : "";
    const heading = t(`studio.engage.giveaway_${g.phase}`);
    this.panel(`${heading}: ${prize}`, facts, this.controls(open, t("studio.engage.end_giveaway")), winners);
  }
}

class PollDesk extends Desk {
  constructor(room) {
    super("poll", room, "close_poll", "close");
  }

  running() { return Boolean(this.current && this.current.open); }

  buildForm() {
    const id = (n) => `studio-poll-${n}`;
    this.question = el("input", { autocomplete: "off", maxlength: "200", required: "" });
    this.kind = el("select", {}, ...["text", "products"].map((k) => el("option", { value: k }, t(`studio.engage.answers_${k}`))));
    this.kind.addEventListener("change", () => this.buildOptions());
    this.optionGrid = el("div", { class: "studio-engage-grid" });
    this.duration = choices(POLL_DURATIONS_S, (s) => (s ? span(s) : t("studio.engage.until_closed")), 0);
    this.form.replaceChildren(
      field(id("question"), t("studio.engage.question"), this.question),
      field(id("kind"), t("studio.engage.answers"), this.kind),
      this.optionGrid,
      field(id("duration"), t("studio.engage.poll_duration"), this.duration),
      el("button", { type: "submit", class: "primary", id: id("start") }, t("studio.engage.start_poll")));
    this.buildOptions();
  }

  // Up to six answers: texts, or line-up products ("which product next?").
  buildOptions() {
    const products = this.kind.value === "products";
    this.optionInputs = Array.from({ length: POLL_OPTIONS }, (_, n) => {
      const required = n < 2 ? { required: "" } : {};
      return products
        ? el("select", required, el("option", { value: "" }, "—"), ...this.products.map((p) => el("option", { value: String(p.id) }, productTitle(p))))
        : el("input", { autocomplete: "off", maxlength: "80", ...required });
    });
    this.optionGrid.replaceChildren(...this.optionInputs.map((input, n) => field(`studio-poll-option-${n}`, t("studio.engage.option", { n: n + 1 }), input)));
  }

  async start() {
    const products = this.kind.value === "products";
    const options = this.optionInputs.map((input) => input.value.trim()).filter(Boolean)
      .map((value) => (products ? { product_id: Number(value) } : value));
    /** @type {Record<string, unknown>} */
    const payload = { question: this.question.value, options };
    if (Number(this.duration.value)) payload.duration_s = Number(this.duration.value);
    await this.ask("start_poll", payload);
  }

  /** @param {{text: string | null, product_id: number | null}} option */
  answer(option) {
    const product = option.product_id ? this.products.find((p) => p.id === option.product_id) : null;
    return product ? productTitle(product) : option.text || "";
  }

  draw(p) {
    const results = el("ol", { class: "studio-engage-results", id: "studio-poll-results" }, ...p.options.map((o) =>
      el("li", {}, el("span", {}, this.answer(o)), " ", el("strong", {}, `${o.percent}%`), " ", el("span", { class: "muted" }, t("studio.engage.votes", { count: o.votes })))));
    const controls = this.controls(p.open, t("studio.engage.close_poll"));
    if (controls && !p.ends_at) controls.querySelector(".studio-countdown").remove(); // open until closed
    this.panel(`${t(p.open ? "studio.engage.poll_open" : "studio.engage.poll_closed")}: ${p.question}`,
      results, el("p", { class: "muted", id: "studio-poll-total" }, t("studio.engage.votes", { count: p.total })), controls);
  }
}

export class Engage {
  /** @param {HTMLElement} root @param {any} room */
  constructor(root, room) {
    this.room = room;
    this.auction = new AuctionDesk(room);
    this.giveaway = new GiveawayDesk(room);
    this.poll = new PollDesk(room);
    this.desks = [this.auction, this.giveaway, this.poll];
    for (const desk of this.desks) {
      desk.root.append(desk.heading, desk.live, desk.form, desk.error);
      root.append(desk.root);
    }
    setInterval(() => this.desks.forEach((desk) => desk.tick()), 250);
  }

  bind(room) {
    room
      .on("auction_updated", ({ auction }) => this.auction.set(auction))
      .on("auction_ended", ({ auction }) => this.auction.set(auction))
      .on("giveaway_updated", ({ giveaway }) => this.giveaway.set(giveaway))
      .on("poll_updated", ({ poll }) => this.poll.set(poll));
  }

  // After joining: the line-up for the forms, then what is running (or ran last).
  async apply(state) {
    this.auction.products = this.giveaway.products = this.poll.products = state.stream.lineup;
    this.render(true);
    const [a, g, p] = await Promise.all(["auction_state", "giveaway_state", "poll_state"].map((name) => this.room.emit(name, {})));
    if (a.ok) this.auction.set(a.auction);
    if (g.ok) this.giveaway.set(g.giveaway);
    if (p.ok) this.poll.set(p.poll);
  }

  // `forms`: rebuild the start forms too (a new line-up, another language), clearing them.
  render(forms = false) {
    for (const desk of this.desks) {
      desk.heading.textContent = t(`studio.engage.${desk.name}`);
      if (forms || !desk.form.childElementCount) desk.buildForm();
      desk.render();
    }
  }
}
