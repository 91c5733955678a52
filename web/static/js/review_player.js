// @ts-check
// Playing a review (docs/protocol.md, "Clip review"): the reviewed recording in a <video>, one
// clip's span at a time (or the whole recording), and the timed comments coming up as the
// playhead reaches their moments. Shared by the coaches' workspace (review.js) and the host's
// Reviews view in the studio (studio_reviews.js); each page draws the comments its own way.

import { formatNumber } from "./i18n.js";
import { el } from "./ui.js";

/**
 * @typedef {{id: number, body: string, author: string | null, created_at: string}} Reply
 * @typedef {{id: number, review_id: number, offset_ms: number, category: string,
 *   rating: number | null, body: string, author: string | null, created_at: string,
 *   read_at: string | null, replies: Reply[]}} Comment
 * @typedef {{id: number, review_id: number, start_ms: number, end_ms: number, title: string,
 *   comment_ids: number[], export_url: string}} Clip
 * @typedef {{id: number, stream: {id: number, title: string, host_id: number, host: string | null},
 *   recording_id: number, duration_ms: number, content_type: string, video_url: string,
 *   author: string | null, created_at: string, unread: number, clips: Clip[],
 *   comments: Comment[]}} Review
 * @typedef {{start_ms: number, end_ms: number}} Span
 */

export const CATEGORIES = ["product_presentation", "energy", "pacing", "answering_questions", "compliance"];

/**
 * A moment of the recording as people read it: m:ss.s (h:mm:ss past an hour).
 * @param {number} ms
 */
export function formatOffset(ms) {
  const tenths = Math.floor(Math.max(0, ms) / 100);
  const seconds = Math.floor(tenths / 10) % 60;
  const minutes = Math.floor(tenths / 600) % 60;
  const hours = Math.floor(tenths / 36000);
  const pad = (/** @type {number} */ n) => String(n).padStart(2, "0");
  const tail = `${pad(seconds)}${formatNumber(0.1).charAt(1)}${tenths % 10}`;
  return hours ? `${hours}:${pad(minutes)}:${tail}` : `${minutes}:${tail}`;
}

export class ReviewPlayer {
  /**
   * @param {HTMLVideoElement} video
   * @param {{moment: (comment: Comment, atMs: number) => void, reset: () => void}} hooks
   *   `moment`: the playhead reached a comment (in the span playing); `reset`: a seek back or a
   *   new span, every comment comes up again from there
   */
  constructor(video, hooks) {
    this.video = video;
    this.hooks = hooks;
    /** @type {Review | null} */
    this.review = null;
    /** @type {Span | null} */
    this.span = null;
    /** @type {Set<number>} */
    this.shown = new Set();
    video.addEventListener("timeupdate", () => this.tick());
    video.addEventListener("seeked", () => this.rewind());
  }

  /** @param {Review} review */
  load(review) {
    const changed = this.review?.video_url !== review.video_url;
    this.review = review;
    if (changed) {
      this.video.src = review.video_url;
      this.span = null;
      this.shown.clear();
      this.hooks.reset();
    }
  }

  /**
   * Play `span` (null: the whole recording) from its start.
   * @param {Span | null} span
   */
  async play(span) {
    this.span = span;
    this.shown.clear();
    this.hooks.reset();
    this.video.currentTime = (span ? span.start_ms : 0) / 1000;
    await this.video.play().catch(() => {});  // a refused autoplay leaves the controls to the person
  }

  /** The comments of the span playing, in order of their moments. */
  comments() {
    const all = this.review ? this.review.comments : [];
    const span = this.span;
    return span ? all.filter((c) => c.offset_ms >= span.start_ms && c.offset_ms <= span.end_ms) : all;
  }

  now() {
    return Math.round(this.video.currentTime * 1000);
  }

  tick() {
    const now = this.now();
    for (const comment of this.comments()) {
      if (comment.offset_ms <= now && !this.shown.has(comment.id)) {
        this.shown.add(comment.id);
        this.hooks.moment(comment, now);
      }
    }
    if (this.span && now >= this.span.end_ms && !this.video.paused) this.video.pause();
  }

  // After a seek, the comments before the playhead are up and the later ones wait again.
  rewind() {
    const now = this.now();
    if ([...this.shown].every((id) => (this.review?.comments.find((c) => c.id === id)?.offset_ms ?? 0) <= now)) return;
    this.shown.clear();
    this.hooks.reset();
    this.tick();
  }
}

/**
 * The recording as a bar: clips as spans, comments as marks, each at its moment; a mark's
 * button seeks there.
 * @param {HTMLElement} bar
 * @param {Review} review
 * @param {(ms: number) => void} seek
 * @param {(comment: Comment) => string} label the accessible name of a comment's mark
 */
export function drawTimeline(bar, review, seek, label) {
  const share = (/** @type {number} */ ms) => `${(100 * ms) / Math.max(1, review.duration_ms)}%`;
  bar.replaceChildren();
  for (const clip of review.clips) {
    const span = el("div", { class: "review-span", "data-clip": String(clip.id), title: clip.title });
    span.style.left = share(clip.start_ms);
    span.style.width = share(clip.end_ms - clip.start_ms);
    bar.append(span);
  }
  for (const comment of review.comments) {
    const mark = el("button", {
      type: "button",
      class: "review-mark",
      "data-comment": String(comment.id),
      "aria-label": label(comment),
      onclick: () => seek(comment.offset_ms),
    });
    mark.style.left = share(comment.offset_ms);
    bar.append(mark);
  }
}
