// @ts-check
// The viewer page's giveaway card: the prize, Enter (one tap, signed-in people only), the
// entrants count, the time left on the server's clock, and the draw's proof: before the window
// opens the server commits to a secret seed (its SHA-256, shown here); after the draw it reveals
// the seed, and anyone can recompute the winners from it and the entries JSON linked here with
// docs/verify_giveaway.py (docs/giveaways.md).

import { t } from "./i18n.js";
import { EngageCard } from "./watch_engage.js";
import { errorText } from "./watch_buy.js";
import { el } from "./ui.js";

/**
 * @typedef {object} GiveawayPage
 * @property {(name: string, payload: object) => Promise<import("./room.js").Ack>} emit
 * @property {() => Promise<boolean>} needAccount
 * @property {() => (number | null)} me
 * @property {(productId: number) => string} title
 */

const ENTERED = "shopcast.giveaway.";

export class GiveawayCard extends EngageCard {
  /**
   * @param {HTMLElement} root
   * @param {GiveawayPage} page
   */
  constructor(root, page) {
    super(root, "giveaway");
    this.page = page;
    const id = (name) => ({ id: `giveaway-${name}` });
    this.prize = el("p", { class: "giveaway-prize", ...id("prize") });
    this.entrants = el("p", { class: "engage-sub", ...id("entrants") });
    this.enter = el("button", { type: "button", class: "buy-button", ...id("enter"), onclick: () => this.join() });
    this.winners = el("ul", { class: "giveaway-winners", ...id("winners") });
    this.proofSummary = el("summary", {});
    this.commitmentLabel = el("dt", {});
    this.commitment = el("dd", { class: "engage-hash", ...id("commitment") });
    this.seedLabel = el("dt", {});
    this.seed = el("dd", { class: "engage-hash", ...id("seed") });
    this.entries = el("a", { ...id("entries"), target: "_blank", rel: "noopener" });
    this.how = el("p", { class: "engage-sub" });
    root.append(
      this.head(), this.prize, this.entrants, this.enter, this.status, this.winners,
      el("details", { class: "giveaway-proof" }, this.proofSummary,
        el("dl", {}, this.commitmentLabel, this.commitment, this.seedLabel, this.seed), this.entries, this.how),
    );
  }

  /** @param {any} giveaway */
  running(giveaway) {
    return giveaway.phase === "open";
  }

  entered() {
    return this.view !== null && localStorage.getItem(this.enteredKey(this.view.id)) === "1";
  }

  // Remembered per giveaway and account: another account on this browser has not entered.
  /** @param {number} id */
  enteredKey(id) {
    return `${ENTERED}${id}.${this.page.me()}`;
  }

  render() {
    const g = this.view;
    this.root.hidden = !this.shown();
    if (this.root.hidden) return;
    const open = g.phase === "open";
    const drawn = g.phase === "drawn";
    this.root.dataset.phase = g.phase;
    this.heading.textContent = t(drawn ? "watch.giveaway.drawn" : "watch.giveaway.live");
    const prize = g.prize.product_id ? this.page.title(g.prize.product_id) : g.prize.text;
    this.prize.textContent = t("watch.giveaway.prize", { prize: prize || "" });
    this.entrants.textContent = t("watch.giveaway.entrants", { count: g.entrants });
    const keyword = g.eligibility === "keyword" && g.keyword;
    this.enter.hidden = !open || Boolean(keyword);
    this.enter.disabled = this.entered();
    this.enter.textContent = t(this.entered() ? "watch.giveaway.entered" : "watch.giveaway.enter");
    this.status.dataset.kind = this.error ? "error" : "";
    if (this.error) this.status.textContent = errorText(this.error);
    else if (open && keyword) this.status.textContent = t("watch.giveaway.keyword", { keyword: g.keyword });
    else if (open) this.status.textContent = this.entered() ? t("watch.giveaway.good_luck") : "";
    else if (!drawn) this.status.textContent = t("watch.giveaway.drawing");
    else this.status.textContent = this.iWon() ? t("watch.giveaway.you_won") : t("watch.giveaway.winners", { count: (g.winners || []).length });
    this.status.dataset.kind = drawn && this.iWon() ? "ok" : this.status.dataset.kind;
    this.winners.replaceChildren(...(drawn ? g.winners : []).map((w) => el("li", {}, w.display_name)));
    this.proofSummary.textContent = t("watch.giveaway.proof");
    this.commitmentLabel.textContent = t("watch.giveaway.commitment");
    this.commitment.textContent = g.commitment;
    this.seedLabel.textContent = t("watch.giveaway.seed");
    this.seed.textContent = g.seed || t("watch.giveaway.seed_after");
    this.entries.href = `/api/giveaways/${g.id}/entries`;
    this.entries.textContent = t("watch.giveaway.entries");
    this.how.textContent = t("watch.giveaway.verify");
    this.tick();
  }

  iWon() {
    const me = this.page.me();
    return me !== null && (this.view.winners || []).some((w) => w.subject === `u:${me}`);
  }

  async join() {
    const g = this.view;
    if (!g || !(await this.page.needAccount())) return;
    this.enter.disabled = true;
    const ack = await this.page.emit("enter_giveaway", { giveaway_id: g.id });
    this.error = ack.ok ? null : ack.error;
    if (ack.ok) {
      localStorage.setItem(this.enteredKey(g.id), "1");
      this.set(ack.giveaway);
    } else {
      this.render();
    }
  }
}
