// @ts-check
// The viewer page's poll card: the question, one button per option with its live share (the
// server's percentages, coalesced per window), the vote count, and the time left when the poll
// has an end. One vote per account, or per guest and device: the page remembers its choice,
// and the server refuses a second vote (already_voted) whatever the page remembers.

import { t } from "./i18n.js";
import { EngageCard } from "./watch_engage.js";
import { errorText } from "./watch_buy.js";
import { el } from "./ui.js";

/**
 * @typedef {object} PollPage
 * @property {(name: string, payload: object) => Promise<import("./room.js").Ack>} emit
 * @property {() => Promise<boolean>} joinIn asks for a name (an account or a guest's)
 * @property {() => (number | string | null)} voter who votes on this page (an account or a guest)
 * @property {(productId: number) => string} title
 */

const VOTED = "shopcast.poll.";

export class PollCard extends EngageCard {
  /**
   * @param {HTMLElement} root
   * @param {PollPage} page
   */
  constructor(root, page) {
    super(root, "poll");
    this.page = page;
    this.question = el("p", { class: "poll-question", id: "poll-question" });
    this.options = el("ul", { class: "poll-options", id: "poll-options" });
    this.total = el("p", { class: "engage-sub", id: "poll-total" });
    root.append(this.head(), this.question, this.options, this.total, this.status);
  }

  /** @param {any} poll */
  running(poll) {
    return poll.open;
  }

  /** @param {number} id */
  key(id) {
    return `${VOTED}${id}.${this.page.voter()}`;
  }

  choice() {
    const kept = this.view ? localStorage.getItem(this.key(this.view.id)) : null;
    return kept === null ? null : Number(kept);
  }

  render() {
    const p = this.view;
    this.root.hidden = !this.shown();
    if (this.root.hidden) return;
    const mine = this.choice();
    const voted = mine !== null;
    this.root.dataset.open = String(p.open);
    this.heading.textContent = t(p.open ? "watch.poll.live" : "watch.poll.closed");
    this.question.textContent = p.question;
    this.options.replaceChildren(...p.options.map((option, index) => {
      const text = option.product_id ? this.page.title(option.product_id) : option.text;
      const share = `${option.percent}%`;
      const bar = el("span", { class: "poll-bar" });
      bar.style.width = share; // through the CSSOM: the pages' policy refuses style attributes
      const button = el("button", {
        type: "button", class: "poll-option", "data-choice": String(index), "aria-pressed": String(mine === index),
        onclick: () => this.vote(index),
      }, bar, el("span", { class: "poll-text" }, text), el("span", { class: "poll-share" }, share));
      button.disabled = !p.open || voted;
      button.setAttribute("aria-label", t("watch.poll.option", { option: text, share }));
      return el("li", {}, button);
    }));
    this.total.textContent = t("watch.poll.votes", { count: p.total });
    this.status.dataset.kind = this.error ? "error" : "";
    this.status.textContent = this.error ? errorText(this.error) : (voted && p.open ? t("watch.poll.thanks") : "");
    this.tick();
  }

  /** @param {number} index */
  async vote(index) {
    const p = this.view;
    if (!p || this.page.voter() === null && !(await this.page.joinIn())) return;
    const ack = await this.page.emit("vote", { poll_id: p.id, choice: index });
    this.error = ack.ok || ack.error.code === "already_voted" ? null : ack.error;
    if (ack.ok) localStorage.setItem(this.key(p.id), String(index));
    else if (ack.error.code === "already_voted") localStorage.setItem(this.key(p.id), "-1"); // voted before, elsewhere
    if (ack.ok) this.set(ack.poll); else this.render();
  }
}
