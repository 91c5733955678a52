// @ts-check
// The review workspace (/review) for coaches and admins: pick a host's show, play its
// recording, mark clips on the timeline and leave timed comments with a category and a rating
// (docs/protocol.md, "Clip review"). The host reads them in the studio's Reviews view.

import { api, session } from "./api.js";
import { describeError } from "./errors.js";
import { languageSwitcher, loadMessages, t } from "./i18n.js";
import { commentCard } from "./review_cards.js";
import { CATEGORIES, ReviewPlayer, drawTimeline, formatOffset } from "./review_player.js";
import { ensureSignedIn } from "./signin.js";
import { $, el, toast } from "./ui.js";

const REVIEWERS = ["coach", "admin"];
/** @type {{streams: any[], review: import("./review_player.js").Review | null}} */
const state = { streams: [], review: null };
/** @type {ReviewPlayer} */
let player;

/** @param {string} key @param {Record<string, unknown>} [params] */
const words = (key, params) => t(`review.${key}`, params);

/** @param {unknown} error */
function report(error) {
  toast(describeError(error, "review", "review.error.other"));
}

/** @param {string} text @param {boolean} signIn */
function gate(text, signIn) {
  $("#workspace").hidden = true;
  $("#gate").hidden = false;
  $("#gate-text").textContent = text;
  $("#gate-signin").hidden = !signIn;
}

function fillChoices() {
  $("#comment-category").replaceChildren(...CATEGORIES.map((c) => el("option", { value: c }, words(`category.${c}`))));
  $("#comment-rating").replaceChildren(
    el("option", { value: "" }, words("no_rating")),
    ...[1, 2, 3, 4, 5].map((n) => el("option", { value: String(n) }, words("rating_of", { rating: n }))),
  );
}

// Hosts from the shows' list, each with their shows (newest first).
function fillHosts() {
  const hosts = new Map();
  for (const stream of state.streams) hosts.set(stream.host.id, stream.host.display_name);
  const chosen = $("#host").value;
  $("#host").replaceChildren(...[...hosts].map(([id, name]) => el("option", { value: String(id) }, name)));
  if (chosen && hosts.has(Number(chosen))) $("#host").value = chosen;
  fillShows();
}

function fillShows() {
  const host = Number($("#host").value);
  const shows = state.streams.filter((s) => s.host.id === host).sort((a, b) => b.id - a.id);
  $("#show").replaceChildren(...shows.map((s) =>
    el("option", { value: String(s.id) }, words("show_option", { title: s.title, status: t(`common.${s.status}`) }))));
  const none = shows.length === 0;
  $("#open-review").disabled = none;
  $("#new-review").disabled = none;
}

/** @param {boolean} fresh a new review even when the show has one */
async function openReview(fresh) {
  const streamId = Number($("#show").value);
  $("#pick-note").textContent = "";
  try {
    const { reviews } = fresh ? { reviews: [] } : await api("GET", `/api/streams/${streamId}/reviews`);
    const review = reviews.length ? reviews[reviews.length - 1] : await api("POST", `/api/streams/${streamId}/reviews`, {});
    show(review);
  } catch (error) {
    if (error.code === "no_recording") $("#pick-note").textContent = words("no_recording");
    else report(error);
  }
}

/** @param {import("./review_player.js").Review} review */
function show(review) {
  state.review = review;
  player.load(review);
  $("#stage").hidden = false;
  $("#lists").hidden = false;
  $("#stage-heading").textContent = words("reviewing", { title: review.stream.title, host: review.stream.host || "—" });
  $("#stage-meta").textContent = words("meta", {
    duration: formatOffset(review.duration_ms),
    clips: words("clip_count", { count: review.clips.length }),
    comments: words("comment_count", { count: review.comments.length }),
  });
  document.body.dataset.review = String(review.id);
  render();
}

function render() {
  const review = state.review;
  if (!review) return;
  drawTimeline($("#timeline"), review, seek, (c) => words("mark_label", { time: formatOffset(c.offset_ms), category: words(`category.${c.category}`) }));
  $("#clips").replaceChildren(...review.clips.map(clipItem));
  $("#clips-empty").hidden = review.clips.length > 0;
  $("#comments").replaceChildren(...review.comments.map((c) => commentCard(c, words, { seek })));
  $("#comments-empty").hidden = review.comments.length > 0;
}

/** @param {import("./review_player.js").Clip} clip */
function clipItem(clip) {
  const span = words("span", { start: formatOffset(clip.start_ms), end: formatOffset(clip.end_ms) });
  const download = el("a", { class: "review-download", hidden: "" }, words("download"));
  const exportClip = async () => {
    try {
      const made = await api("POST", clip.export_url);
      download.href = made.url;
      download.setAttribute("download", `clip-${clip.id}`);
      download.hidden = false;
    } catch (error) { report(error); }
  };
  return el("li", { class: "review-clip", "data-clip": String(clip.id) },
    el("strong", {}, clip.title), " ", el("span", { class: "muted" }, span), " ",
    el("span", { class: "muted" }, words("comment_count", { count: clip.comment_ids.length })),
    el("div", { class: "row" },
      el("button", { type: "button", onclick: () => player.play(clip), "aria-label": words("play_clip", { title: clip.title }) }, words("play")),
      el("button", { type: "button", onclick: exportClip, "aria-label": words("export_clip", { title: clip.title }) }, words("export")),
      download));
}

/** @param {number} ms */
function seek(ms) {
  player.video.currentTime = ms / 1000;
}

/** @param {string} selector */
function msOf(selector) {
  const value = Number($(selector).value);
  return Number.isFinite(value) ? Math.round(value * 1000) : NaN;
}

async function reload() {
  if (!state.review) return;
  show(await api("GET", `/api/reviews/${state.review.id}`));
}

async function addClip(/** @type {SubmitEvent} */ event) {
  event.preventDefault();
  if (!state.review) return;
  const body = { start_ms: msOf("#clip-start"), end_ms: msOf("#clip-end"), title: $("#clip-title").value };
  try {
    await api("POST", `/api/reviews/${state.review.id}/clips`, body);
    $("#clip-title").value = "";
    await reload();
    toast(words("clip_added"), "ok");
  } catch (error) { report(error); }
}

async function addComment(/** @type {SubmitEvent} */ event) {
  event.preventDefault();
  if (!state.review) return;
  const rating = $("#comment-rating").value;
  const body = {
    offset_ms: msOf("#comment-at"),
    category: $("#comment-category").value,
    body: $("#comment-body").value,
    ...(rating ? { rating: Number(rating) } : {}),
  };
  try {
    await api("POST", `/api/reviews/${state.review.id}/comments`, body);
    $("#comment-body").value = "";
    await reload();
    toast(words("comment_added"), "ok");
  } catch (error) { report(error); }
}

function build() {
  player = new ReviewPlayer($("#player"), { moment: () => {}, reset: () => {} });
  const here = () => (player.video.currentTime || 0).toFixed(1);
  player.video.addEventListener("timeupdate", () => { $("#now").textContent = words("at", { time: formatOffset(player.now()) }); });
  $("#mark-start").addEventListener("click", () => { $("#clip-start").value = here(); });
  $("#mark-end").addEventListener("click", () => { $("#clip-end").value = here(); });
  $("#comment-now").addEventListener("click", () => { $("#comment-at").value = here(); });
  $("#host").addEventListener("change", fillShows);
  $("#open-review").addEventListener("click", () => openReview(false));
  $("#new-review").addEventListener("click", () => openReview(true));
  $("#clip-form").addEventListener("submit", addClip);
  $("#comment-form").addEventListener("submit", addComment);
  $("#gate-signin").addEventListener("click", async () => {
    await session.clear();
    if (await ensureSignedIn({ title: words("sign_in_title") })) location.reload();
  });
}

function rerender() {
  fillChoices();
  fillShows();
  if (state.review) show(state.review);
}

async function main() {
  await loadMessages("review");
  $("#language-slot").replaceWith(languageSwitcher(rerender));
  build();
  fillChoices();
  const user = await ensureSignedIn({ title: words("sign_in_title") });
  if (!user) { gate(words("signed_out"), true); return; }
  $("#who").textContent = user.display_name;
  if (!REVIEWERS.includes(user.role)) { gate(words("not_reviewer"), true); return; }
  $("#gate").hidden = true;
  $("#workspace").hidden = false;
  state.streams = (await api("GET", "/api/streams")).streams;
  fillHosts();
}

main().catch(report);
