// @ts-check
// The replay's chat, scrolling with the playhead: the lines said up to the moment playing,
// newest at the bottom, answered questions and the pinned message marked. Lines come by
// windows of a minute (GET /api/streams/{id}/replay/chat?from_ms=&to_ms=), fetched around the
// playhead as it moves or jumps; the server never sends deleted or shadow-banned lines.
// Lines are plain text from people: they only ever go in as text nodes.

import { api } from "./api.js";
import { t } from "./i18n.js";
import { el } from "./ui.js";

const WINDOW_MS = 60_000;
const SHOWN = 60; // lines on screen at most
const BADGES = new Set(["host", "moderator", "seller"]);

/**
 * @typedef {{id: number, display_name: string, role: string, text: string, language: string,
 *   question: boolean, answered: boolean, pinned: boolean, offset_ms: number}} ReplayLine
 */

/** @param {ReplayLine} message */
function line(message) {
  const badge = BADGES.has(message.role)
    ? el("span", { class: `badge ${message.role}` }, t(`watch.role.${message.role}`))
    : "";
  const marks = [];
  if (message.answered) marks.push(el("span", { class: "badge answered" }, t("watch.replay.answered")));
  if (message.pinned) marks.push(el("span", { class: "badge pinned" }, t("watch.replay.pinned")));
  return el("li", {
    class: "chat-line", "data-id": String(message.id), "data-offset": String(message.offset_ms),
    lang: message.language || "",
  },
  badge,
  el("strong", { class: "author" }, message.display_name),
  el("span", { class: "text" }, message.text),
  ...marks);
}

export class ReplayChat {
  /**
   * @param {number} streamId
   * @param {HTMLElement} list
   * @param {number} durationMs
   */
  constructor(streamId, list, durationMs) {
    this.streamId = streamId;
    this.list = list;
    this.durationMs = durationMs;
    /** @type {Map<number, Promise<ReplayLine[]>>} */
    this.windows = new Map();
    /** @type {Map<number, ReplayLine[]>} */
    this.loaded = new Map();
    this.shownKey = "";
    this.at = 0;
  }

  /** @param {number} index */
  async fetchWindow(index) {
    const end = (index + 1) * WINDOW_MS;
    let from = index * WINDOW_MS;
    /** @type {ReplayLine[]} */
    const lines = [];
    for (;;) {
      const page = await api("GET", `/api/streams/${this.streamId}/replay/chat?from_ms=${from}&to_ms=${end}`);
      lines.push(...page.messages);
      if (page.next_from_ms == null || page.next_from_ms >= end) break;
      from = page.next_from_ms;
    }
    return lines;
  }

  /** @param {number} index */
  load(index) {
    if (index < 0 || index * WINDOW_MS > this.durationMs || this.windows.has(index)) return;
    const loading = this.fetchWindow(index);
    this.windows.set(index, loading);
    loading.then((lines) => {
      this.loaded.set(index, lines);
      this.render();
    }, () => this.windows.delete(index)); // asked again at the next move
  }

  // The playhead is at `ms`: show what was said up to then (a seek redraws at once).
  /** @param {number} ms */
  follow(ms) {
    this.at = ms;
    const index = Math.floor(ms / WINDOW_MS);
    for (const near of [index - 1, index, index + 1]) this.load(near);
    this.render();
  }

  render() {
    const index = Math.floor(this.at / WINDOW_MS);
    const said = [];
    for (let i = index - 1; i <= index; i++) said.push(...(this.loaded.get(i) || []));
    const shown = said.filter((m) => m.offset_ms <= this.at).slice(-SHOWN);
    const key = shown.map((m) => m.id).join(",");
    if (key === this.shownKey) return;
    this.shownKey = key;
    this.list.replaceChildren(...shown.map(line));
    this.list.scrollTop = this.list.scrollHeight;
  }

  // A language switch retells the badges.
  redraw() {
    this.shownKey = "";
    this.render();
  }
}
