// @ts-check
// A timed comment as a card, for both review pages: its moment, category, rating, text, author
// and replies. `words` reads the page's own catalog ("review.*" or "studio.review_*"), so each
// page keeps its strings; people's text only ever goes in as text.

import { formatOffset } from "./review_player.js";
import { el } from "./ui.js";

/**
 * @typedef {(key: string, params?: Record<string, unknown>) => string} Words
 * @typedef {import("./review_player.js").Comment} Comment
 */

/**
 * @param {Comment} comment
 * @param {Words} words
 * @param {{seek?: (ms: number) => void, actions?: Node[]}} [options]
 */
export function commentCard(comment, words, { seek, actions = [] } = {}) {
  const at = formatOffset(comment.offset_ms);
  const moment = seek
    ? el("button", { type: "button", class: "review-at", onclick: () => seek(comment.offset_ms), "aria-label": words("seek_to", { time: at }) }, at)
    : el("span", { class: "review-at" }, at);
  const rating = comment.rating === null ? "" : el("span", { class: "pill review-rating" }, words("rating_of", { rating: comment.rating }));
  const state = el("span", { class: `pill review-state ${comment.read_at ? "read" : "unread"}` }, words(comment.read_at ? "state_read" : "state_unread"));
  return el(
    "li",
    { class: "review-comment", "data-comment": String(comment.id), "data-offset": String(comment.offset_ms) },
    el("div", { class: "row review-comment-head" },
      moment,
      el("span", { class: "pill review-category" }, words(`category.${comment.category}`)),
      rating,
      state),
    el("p", { class: "review-body" }, comment.body),
    el("p", { class: "muted review-author" }, words("by", { name: comment.author || "—" })),
    replyList(comment, words),
    ...actions,
  );
}

/**
 * @param {Comment} comment
 * @param {Words} words
 */
export function replyList(comment, words) {
  return el(
    "ul",
    { class: "review-replies", "aria-label": words("replies", { count: comment.replies.length }) },
    ...comment.replies.map((reply) =>
      el("li", { class: "review-reply" }, el("strong", {}, reply.author || "—"), " ", el("span", {}, reply.body))),
  );
}
