// @ts-check
// What the viewer page's auction, giveaway and poll cards share: a heading, a countdown on the
// server's clock (engage_clock.js), a status line for answers, and the rule that a card shows
// the show's latest one (an older one's late news is ignored), its result for a minute after it
// ends (longer while it still asks something of this viewer: a won auction to pay).

import { countdown, localEnd, msLeft } from "./engage_clock.js";
import { el } from "./ui.js";

const LINGER_MS = 60000; // how long a finished one's result stays on the screen

export class EngageCard {
  /**
   * @param {HTMLElement} root
   * @param {string} name "auction", "giveaway", "poll": the prefix of the card's ids
   */
  constructor(root, name) {
    this.root = root;
    this.view = null; // the server's latest view
    this.end = null; // its end on performance.now()'s clock, while it runs
    this.error = null; // the last refusal, shown in words
    this.doneAt = null; // when this page saw it finished (performance.now())
    this.heading = el("h2", { id: `${name}-heading` });
    this.time = el("span", { class: "engage-time", role: "timer", id: `${name}-time` });
    this.status = el("p", { class: "engage-status", role: "status", "aria-live": "polite", id: `${name}-status` });
  }

  head() {
    return el("div", { class: "engage-head" }, this.heading, this.time);
  }

  /** @param {any} view the server's view, or null for none */
  set(view) {
    if (!view) { this.view = null; this.root.hidden = true; return; }
    if (this.view && view.id < this.view.id) return;
    if (!this.view || this.view.id !== view.id) { this.error = null; this.doneAt = null; }
    this.view = view;
    this.end = this.running(view) ? localEnd(view) : null;
    if (!this.running(view) && this.doneAt === null) this.doneAt = performance.now();
    this.render();
  }

  /** @param {any} view */
  running(view) {
    return Boolean(view);
  }

  // Whether the card is on the screen: running, just finished, or still asking something.
  shown() {
    if (!this.view) return false;
    return this.doneAt === null || performance.now() - this.doneAt < LINGER_MS || this.pending();
  }

  pending() {
    return false;
  }

  render() {}

  tick() {
    if (this.root.hidden !== !this.shown()) this.render();
    if (!this.view || this.root.hidden) return;
    this.time.hidden = !this.running(this.view) || this.end === null;
    this.time.textContent = countdown(msLeft(this.end));
  }
}
