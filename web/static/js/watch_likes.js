// @ts-check
// Likes: a tap floats a heart at once; taps are gathered and sent as one `like {count}` (1-10)
// a few times a second, as the protocol asks. The room's `likes {added, total}` floats the
// hearts other people sent, and the total only ever grows.

import { t } from "./i18n.js";

const GATHER_MS = 300;
const MOST_PER_EMIT = 10;
const MOST_FLOATING = 24;
const COLOURS = ["#ff4f7b", "#ff7a59", "#ffb347", "#ff5fa2", "#c77dff"];

export class Likes {
  // send(count) resolves with the ack; onRefused(error) is told when the server says no.
  constructor({ button, layer, counter, send, onRefused }) {
    this.layer = layer;
    this.counter = counter;
    this.send = send;
    this.onRefused = onRefused;
    this.total = 0;
    this.pending = 0;
    this.unechoed = 0; // our likes the room's next `likes` event will count as added
    this.timer = null;
    button.addEventListener("click", () => this.tap());
  }

  set(total) {
    this.total = Math.max(0, Number(total) || 0);
    this.pending = 0;
    this.render();
  }

  render() {
    this.counter.textContent = t("common.likes", { count: this.total });
  }

  tap() {
    this.float(true);
    this.total += 1;
    this.pending += 1;
    this.render();
    if (this.pending >= MOST_PER_EMIT) this.flush();
    else if (!this.timer) this.timer = setTimeout(() => this.flush(), GATHER_MS);
  }

  async flush() {
    clearTimeout(this.timer);
    this.timer = null;
    const count = Math.min(this.pending, MOST_PER_EMIT);
    if (!count) return;
    this.pending -= count;
    this.unechoed += count;
    const ack = await this.send(count);
    if (!ack.ok) {
      this.unechoed = Math.max(0, this.unechoed - count);
      this.total = Math.max(0, this.total - count);
      this.render();
      this.onRefused(ack.error);
    }
    if (this.pending) this.timer = setTimeout(() => this.flush(), GATHER_MS);
  }

  // The room's tick: hearts for what others sent, and the show's total.
  remote({ added, total }) {
    const ours = Math.min(this.unechoed, added);
    this.unechoed -= ours;
    const others = Math.min(added - ours, 8);
    for (let i = 0; i < others; i++) setTimeout(() => this.float(false), i * 120);
    this.total = Math.max(this.total, Number(total) || 0);
    this.render();
  }

  float(mine) {
    if (this.layer.childElementCount >= MOST_FLOATING) return;
    const heart = document.createElement("span");
    heart.className = mine ? "float-heart mine" : "float-heart";
    heart.style.setProperty("--drift", `${Math.round((Math.random() - 0.5) * 90)}px`);
    heart.style.setProperty("--tilt", `${Math.round((Math.random() - 0.5) * 40)}deg`);
    heart.style.setProperty("--colour", COLOURS[Math.floor(Math.random() * COLOURS.length)]);
    heart.style.setProperty("--rise", `${1.6 + Math.random() * 0.9}s`);
    heart.addEventListener("animationend", () => heart.remove());
    setTimeout(() => heart.remove(), 3000); // reduced motion, a hidden tab: never pile up
    this.layer.append(heart);
  }
}
