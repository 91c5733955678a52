// @ts-check
// The studio's Reviews view: the reviews coaches left on this host's shows (docs/protocol.md,
// "Clip review"). A clip plays from the recording with its comments coming up at their moments;
// the host replies to a comment and marks it read. Opened from the studio's header; the studio
// itself keeps running underneath (a live show goes on).

import { api } from "./api.js";
import { t } from "./i18n.js";
import { commentCard } from "./review_cards.js";
import { ReviewPlayer, formatOffset } from "./review_player.js";
import { errorText } from "./studio_errors.js";
import { $, el, toast } from "./ui.js";

/** @typedef {import("./review_player.js").Review} Review */
/** @typedef {import("./review_player.js").Comment} Comment */

/** @param {string} key @param {Record<string, unknown>} [params] */
const words = (key, params) => t(`studio.review_${key}`, params);

export class StudioReviews {
  constructor() {
    /** @type {Review[]} */
    this.reviews = [];
    /** @type {Review | null} */
    this.review = null;
    this.player = new ReviewPlayer($("#review-video"), {
      moment: (comment, atMs) => this.moment(comment, atMs),
      reset: () => $("#review-moments").replaceChildren(),
    });
    $("#reviews-open").addEventListener("click", () => this.open());
    $("#reviews-close").addEventListener("click", () => this.close());
    $("#review-pick").addEventListener("change", () => this.choose(Number($("#review-pick").value)));
  }

  // How many comments wait to be read, on the header's button.
  async count() {
    try {
      await this.load();
    } catch {
      return;  // not a host (or signed out): the button just shows no count
    }
    this.renderCount();
  }

  renderCount() {
    const unread = this.reviews.reduce((sum, r) => sum + r.unread, 0);
    $("#reviews-unread").textContent = unread ? words("unread_count", { count: unread }) : "";
  }

  async load() {
    this.reviews = (await api("GET", "/api/reviews?host=me")).reviews;
  }

  async open() {
    $("#studio").hidden = true;
    $("#reviews-view").hidden = false;
    $("#reviews-open").setAttribute("aria-expanded", "true");
    try {
      await this.load();
    } catch (error) {
      toast(errorText(error));
      return;
    }
    this.renderCount();
    $("#review-pick").replaceChildren(...this.reviews.map((r) =>
      el("option", { value: String(r.id) }, words("option", { title: r.stream.title, count: r.comments.length }))));
    $("#reviews-empty").hidden = this.reviews.length > 0;
    $("#review-detail").hidden = this.reviews.length === 0;
    if (this.reviews.length) this.choose(this.review && this.reviews.some((r) => r.id === this.review?.id) ? this.review.id : this.reviews[0].id);
  }

  close() {
    this.player.video.pause();
    $("#reviews-view").hidden = true;
    $("#studio").hidden = false;
    $("#reviews-open").setAttribute("aria-expanded", "false");
    $("#reviews-open").focus();
  }

  /** @param {number} id */
  choose(id) {
    const review = this.reviews.find((r) => r.id === id);
    if (!review) return;
    this.review = review;
    $("#review-pick").value = String(id);
    this.player.load(review);
    $("#review-by").textContent = words("header", { name: review.author || "—", duration: formatOffset(review.duration_ms) });
    const whole = el("button", { type: "button", class: "review-play", "data-clip": "all", onclick: () => this.player.play(null) }, words("whole"));
    $("#review-clips").replaceChildren(
      el("li", {}, whole),
      ...review.clips.map((clip) => el("li", {},
        el("button", { type: "button", class: "review-play", "data-clip": String(clip.id), onclick: () => this.player.play(clip) },
          words("play_clip", { title: clip.title, start: formatOffset(clip.start_ms), end: formatOffset(clip.end_ms) })))),
    );
    $("#review-moments").replaceChildren();
  }

  // A comment's moment came up in the playing clip: show it, with its reply and read actions.
  /** @param {Comment} comment @param {number} atMs */
  moment(comment, atMs) {
    const card = this.card(comment);
    card.dataset.shownAt = String(atMs);
    $("#review-moments").append(card);
  }

  /** @param {Comment} comment */
  card(comment) {
    const input = el("input", { maxlength: "2000", autocomplete: "off", "aria-label": words("reply_label", { time: formatOffset(comment.offset_ms) }) });
    const reply = el("form", { class: "send review-reply-form" }, input, el("button", { type: "submit" }, words("reply")));
    reply.addEventListener("submit", async (/** @type {SubmitEvent} */ event) => {
      event.preventDefault();
      try {
        comment.replies.push(await api("POST", `/api/comments/${comment.id}/replies`, { body: input.value }));
        this.replace(comment);
      } catch (error) { toast(errorText(error)); }
    });
    const read = comment.read_at ? "" : el("button", {
      type: "button", class: "review-read", onclick: () => this.markRead(comment),
      "aria-label": words("mark_read_label", { time: formatOffset(comment.offset_ms) }),
    }, words("mark_read"));
    return commentCard(comment, words, { actions: [reply, ...(read ? [read] : [])] });
  }

  /** @param {Comment} comment */
  async markRead(comment) {
    try {
      const answer = await api("POST", `/api/comments/${comment.id}/read`);
      comment.read_at = answer.read_at;
      if (this.review) this.review.unread = this.review.comments.filter((c) => !c.read_at).length;
      this.renderCount();
      this.replace(comment);
    } catch (error) { toast(errorText(error)); }
  }

  // Draw a shown comment again where it is (after a reply or a read mark).
  /** @param {Comment} comment */
  replace(comment) {
    const shown = $(`#review-moments [data-comment="${comment.id}"]`);
    if (!shown) return;
    const card = this.card(comment);
    card.dataset.shownAt = shown.dataset.shownAt;
    shown.replaceWith(card);
  }
}
