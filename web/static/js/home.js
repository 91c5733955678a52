// @ts-check
// The home page: every show, with the way in for viewers, hosts and moderators, and the
// recent replays of ended shows (GET /api/replays).

import { api, session } from "./api.js";
import { languageSwitcher, loadMessages, t } from "./i18n.js";
import { $, el, showError } from "./ui.js";

let streams = null;
let replays = [];

function statusLabel(status) {
  return status === "live" ? t("common.live") : t(`common.${status}`);
}

function render() {
  document.title = t("home.page_title");
  if (!streams) return;
  $("#shows").replaceChildren(...streams.map((s) => el("li", { class: "card row" },
    el("span", { class: `pill ${s.status}` }, statusLabel(s.status)),
    el("strong", { class: "grow" }, s.title),
    el("span", { class: "muted" }, s.host.display_name),
    el("a", { href: `/watch/${s.id}`, "aria-label": t("home.watch_label", { title: s.title }) }, t("home.watch")),
    el("a", { href: `/studio/${s.id}`, "aria-label": t("home.studio_label", { title: s.title }) }, t("home.studio")),
    el("a", { href: `/moderate/${s.id}`, "aria-label": t("home.moderate_label", { title: s.title }) }, t("home.moderate")))));
  if (!streams.length) $("#shows").append(el("li", { class: "muted" }, t("home.no_shows")));
  renderReplays();
}

function renderReplays() {
  $("#replays-section").hidden = !replays.length;
  $("#replays").replaceChildren(...replays.map((r) => el("li", { class: "card row replay", "data-stream-id": String(r.stream_id) },
    el("span", { class: "pill replay" }, t("home.replay")),
    el("strong", { class: "grow" }, r.title),
    el("span", { class: "muted" }, r.host.display_name),
    el("span", { class: "muted" }, t("home.replay_length", { count: Math.max(1, Math.round(r.duration_ms / 60000)) })),
    el("span", { class: "muted" }, t("home.replay_products", { count: r.chapters })),
    el("a", { href: `/watch/${r.stream_id}`, "aria-label": t("home.watch_replay_label", { title: r.title }) }, t("home.watch_replay")))));
}

async function main() {
  await loadMessages("home");
  $("#language-slot").replaceWith(languageSwitcher(render));
  $("#staff-link").hidden = session.user?.role !== "admin"; // the console itself checks again
  render();
  [{ streams }, { replays }] = await Promise.all([
    api("GET", "/api/streams"),
    api("GET", "/api/replays").catch(() => ({ replays: [] })),
  ]);
  render();
}

main().catch(showError);
