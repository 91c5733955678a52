// @ts-check
// The replay of an ended show on the viewer page: its recording in the <video> (through the
// signed link the server hands out: a plain src, seeking by HTTP Range), the product chapters
// beside it (a click jumps there), the products pinned at the playhead as cards, the show's
// flash deals as they ran, and the chat scrolling along (watch_replay_chat.js).
//
// Offsets are milliseconds from the recording's first frame (docs/protocol.md, "Replays").

import { api } from "./api.js";
import { currentLanguage, t } from "./i18n.js";
import { el } from "./ui.js";
import { ReplayChat } from "./watch_replay_chat.js";

// The show has no replay (yet, any more, or ever): the page says "ended" instead.
const NO_REPLAY = new Set(["replay_not_ended", "replay_no_recording", "replay_unavailable"]);
const MAX_CARDS = 3;

/**
 * @typedef {{product_id: number, title: string, image_url: string, start_ms: number, end_ms: number}} Chapter
 * @typedef {{id: number, product_id: number, variant_id: number | null, price_minor: number,
 *   currency: string, quantity: number, sold: number, start_ms: number, end_ms: number}} DealAsItRan
 */

/**
 * The show's replay, or null when it has none to watch.
 * @param {number} streamId
 */
export async function fetchReplay(streamId) {
  try {
    return await api("GET", `/api/streams/${streamId}/replay?lang=${currentLanguage()}`);
  } catch (error) {
    if (NO_REPLAY.has(error.code)) return null;
    throw error;
  }
}

// 65_000 -> "1:05", 3_725_000 -> "1:02:05".
/** @param {number} ms */
export function formatClock(ms) {
  const total = Math.max(0, Math.floor(ms / 1000));
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = String(total % 60).padStart(2, "0");
  return hours ? `${hours}:${String(minutes).padStart(2, "0")}:${seconds}` : `${minutes}:${seconds}`;
}

// The products pinned at `ms`, oldest pin first (the server's rule: start <= ms < end).
/**
 * @param {Chapter[]} chapters
 * @param {number} ms
 */
export function productsAt(chapters, ms) {
  const ids = [];
  for (const c of chapters) {
    if (c.start_ms <= ms && ms < c.end_ms && !ids.includes(c.product_id)) ids.push(c.product_id);
  }
  return ids.slice(-MAX_CARDS);
}

// A deal as it ran, in the shape the cards read (watch_deals.js): always over.
/** @param {DealAsItRan} deal */
function asEnded(deal) {
  const now = new Date().toISOString();
  return { ...deal, phase: "ended", left: deal.quantity - deal.sold, server_time: now, starts_at: now, ends_at: now };
}

export class ReplayView {
  /**
   * @param {any} replay the answer of GET /api/streams/{id}/replay
   * @param {{video: HTMLVideoElement, section: HTMLElement, list: HTMLElement, count: HTMLElement, chat: HTMLElement}} nodes
   * @param {{onCards: (ids: number[]) => void, onDeals: (deals: object[]) => void}} hooks
   */
  constructor(replay, nodes, hooks) {
    this.replay = replay;
    this.nodes = nodes;
    this.hooks = hooks;
    this.chat = new ReplayChat(replay.stream_id, nodes.chat, replay.media.duration_ms);
    this.cardsKey = null;
    this.dealsKey = null;
    /** @type {HTMLElement[]} */
    this.items = [];
    this.renewing = false;
  }

  get ms() {
    return Math.round(this.nodes.video.currentTime * 1000);
  }

  start() {
    const { video } = this.nodes;
    video.controls = true;
    video.src = this.replay.media.url;
    for (const name of ["timeupdate", "seeked", "seeking", "loadedmetadata"]) video.addEventListener(name, () => this.sync());
    video.addEventListener("error", () => this.renew());
    video.play().catch(() => {}); // muted autoplay; else the controls start it
    this.render();
    this.sync();
  }

  // The signed link ran out (an hour): ask for a new one and go on where it stopped.
  async renew() {
    if (this.renewing) return;
    this.renewing = true;
    try {
      const fresh = await fetchReplay(this.replay.stream_id);
      if (!fresh) return;
      const { video } = this.nodes;
      const at = video.currentTime;
      this.replay = { ...this.replay, media: fresh.media };
      video.src = fresh.media.url;
      video.currentTime = at;
      video.play().catch(() => {});
    } finally {
      this.renewing = false;
    }
  }

  /** @param {number} ms */
  seek(ms) {
    const { video } = this.nodes;
    video.currentTime = ms / 1000;
    video.play().catch(() => {});
    this.sync();
  }

  sync() {
    const ms = this.ms;
    this.chat.follow(ms);
    const ids = productsAt(this.replay.chapters, ms);
    const cardsKey = ids.join(",");
    if (cardsKey !== this.cardsKey) {
      this.cardsKey = cardsKey;
      this.hooks.onCards(ids);
    }
    const deals = this.replay.deals.filter((/** @type {DealAsItRan} */ d) => d.start_ms <= ms && ms < d.end_ms);
    const dealsKey = deals.map((/** @type {DealAsItRan} */ d) => d.id).join(",");
    if (dealsKey !== this.dealsKey) {
      this.dealsKey = dealsKey;
      this.hooks.onDeals(deals.map(asEnded));
    }
    this.replay.chapters.forEach((/** @type {Chapter} */ c, i) => {
      const current = c.start_ms <= ms && ms < c.end_ms;
      const item = this.items[i];
      if (item && (item.getAttribute("aria-current") === "true") !== current) {
        if (current) item.setAttribute("aria-current", "true");
        else item.removeAttribute("aria-current");
      }
    });
  }

  render() {
    const { section, list, count } = this.nodes;
    const chapters = /** @type {Chapter[]} */ (this.replay.chapters);
    this.items = chapters.map((c) => {
      const thumb = el("span", { class: "chapter-thumb", "aria-hidden": "true" }, (c.title.trim()[0] || "?").toUpperCase());
      if (c.image_url) {
        const img = el("img", { alt: "", loading: "lazy", decoding: "async" });
        img.addEventListener("error", () => img.remove());
        img.src = c.image_url;
        thumb.replaceChildren(img);
      }
      const button = el("button", { type: "button", class: "chapter", "data-start": String(c.start_ms), onclick: () => this.seek(c.start_ms) },
        thumb,
        el("span", { class: "chapter-title" }, c.title),
        el("span", { class: "chapter-time" }, formatClock(c.start_ms)));
      return el("li", { "data-product-id": String(c.product_id) }, button);
    });
    list.replaceChildren(...this.items);
    count.textContent = t("watch.replay.chapter_count", { count: chapters.length });
    section.hidden = !chapters.length;
    this.cardsKey = null;
    this.sync();
  }

  // A language switch: the chapter titles come in the new language.
  async relabel() {
    const fresh = await fetchReplay(this.replay.stream_id);
    if (fresh) this.replay = { ...this.replay, chapters: fresh.chapters, lineup: fresh.lineup };
    this.render();
    this.chat.redraw();
  }
}
