// @ts-check
// A host's public page (/host/<id>): their name, follower count and follow/unfollow for
// signed-in viewers, their live, upcoming (countdown, "remind me") and past shows
// (GET /api/hosts/{id}, POST/DELETE /api/hosts/{id}/follow).

import { api, session, streamIdFromPath } from "./api.js";
import { describeError } from "./errors.js";
import { formatTime, languageSwitcher, loadMessages, t } from "./i18n.js";
import { connectForLiveToasts, HOST_LIVE_EVENT } from "./live_toasts.js";
import { liveCard, loadMyFollows, tickCountdowns, upcomingCard } from "./show_cards.js";
import { $, el, showError } from "./ui.js";

const hostId = streamIdFromPath(); // the page's id, the last part of its path
/** @type {any} */
let page = null;

function render() {
  if (!page) return;
  const name = page.host.display_name;
  document.title = t("host.page_title", { host: name });
  $("#host-name").textContent = name;
  $("#followers").textContent = t("common.followers", { count: page.followers });
  renderFollow();
  $("#live-section").hidden = !page.live.length;
  $("#live").replaceChildren(...page.live.map((s) => liveCard("host", s)));
  $("#upcoming").replaceChildren(...page.upcoming.map((s) => upcomingCard("host", s)));
  if (!page.upcoming.length) $("#upcoming").append(el("li", { class: "muted" }, t("host.nothing_upcoming")));
  $("#past").replaceChildren(...page.past.map(pastCard));
  if (!page.past.length) $("#past").append(el("li", { class: "muted" }, t("host.no_past")));
}

/** @param {any} show */
function pastCard(show) {
  return el("li", { class: "card row show-card", "data-stream-id": String(show.id) },
    el("strong", { class: "grow" }, show.title),
    show.ended_at ? el("time", { class: "muted", datetime: show.ended_at }, formatTime(show.ended_at)) : "",
    el("a", { href: `/watch/${show.id}`, "aria-label": t("host.watch_again_label", { title: show.title }) }, t("host.watch_again")));
}

// Follow for a signed-in viewer (not the host themselves), a way to sign in for a guest.
function renderFollow() {
  const user = session.user;
  const button = $("#follow");
  button.hidden = !user || user.id === hostId;
  button.setAttribute("aria-pressed", String(page.following));
  button.textContent = page.following ? t("host.unfollow") : t("host.follow");
  button.className = page.following ? "" : "primary";
  const signIn = $("#signin-to-follow");
  signIn.hidden = Boolean(user);
  signIn.href = `/signin?next=${encodeURIComponent(location.pathname)}`;
  $("#signin-link").hidden = Boolean(user);
  $("#signin-link").href = signIn.href;
}

async function toggleFollow() {
  const button = $("#follow");
  if (button.getAttribute("aria-busy") === "true") return; // busy, not disabled: focus stays
  button.setAttribute("aria-busy", "true");
  $("#host-error").textContent = "";
  try {
    const state = await api(page.following ? "DELETE" : "POST", `/api/hosts/${hostId}/follow`);
    page.followers = state.followers;
    page.following = state.following;
  } catch (error) {
    $("#host-error").textContent = describeError(error, "host", "host.failed");
  } finally {
    button.removeAttribute("aria-busy");
    render();
  }
}

async function load() {
  page = await api("GET", `/api/hosts/${hostId}`);
  render();
}

async function main() {
  await loadMessages("host");
  $("#language-slot").replaceWith(languageSwitcher(render));
  $("#follow").addEventListener("click", toggleFollow);
  try {
    [page] = await Promise.all([api("GET", `/api/hosts/${hostId}`), loadMyFollows()]);
  } catch (error) {
    $("#host-error").textContent = describeError(error, "host", "host.failed");
    return;
  } finally {
    $("main").removeAttribute("aria-busy");
  }
  render();
  connectForLiveToasts();
  // This host went live (the toast says so): their show moves up to "live now".
  addEventListener(HOST_LIVE_EVENT, (event) => {
    if (/** @type {CustomEvent} */ (event).detail.host_id === hostId) load().catch(() => {});
  });
  setInterval(() => tickCountdowns("host"), 1000);
}

main().catch(showError);
