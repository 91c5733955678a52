// @ts-check
// The home page: who is live now (most watched first, with viewer counts), what is coming up
// (a live countdown and "remind me"), and the recent replays, in the show language the viewer
// picks, their profile's at first, or all (GET /api/home?lang=, GET /api/replays).
// Each show links its host's page; a host's own shows link their studio and console.

import { api, session } from "./api.js";
import { LANGUAGE_NAMES, LANGUAGES, languageSwitcher, loadMessages, t } from "./i18n.js";
import { connectForLiveToasts, HOST_LIVE_EVENT } from "./live_toasts.js";
import { liveCard, loadMyFollows, tickCountdowns, upcomingCard } from "./show_cards.js";
import { $, el, showError } from "./ui.js";

const CHOSEN = "shopcast.home.lang";
const ALL = "all";
const REFRESH_MS = 30000;
/** @type {{live: any[], upcoming: any[]} | null} */
let home = null;
let replays = [];

// The show language to list: the one chosen here before, else the profile's preferred one,
// else every language (a guest's page language says what they read, not what shows they want,
// and an empty page is a poor welcome).
async function startingLanguage() {
  const kept = localStorage.getItem(CHOSEN);
  if (kept === ALL || LANGUAGES.includes(kept)) return kept;
  if (session.signedIn) {
    const profile = await api("GET", "/api/account/profile").catch(() => null);
    if (profile && LANGUAGES.includes(profile.language)) return profile.language;
  }
  return ALL;
}

function fillLanguages(chosen) {
  const select = $("#show-language");
  select.replaceChildren(
    el("option", { value: ALL }, t("home.all_languages")),
    ...LANGUAGES.map((lang) => el("option", { value: lang, lang }, LANGUAGE_NAMES[lang])));
  select.value = chosen;
}

function render() {
  document.title = t("home.page_title");
  const chosen = $("#show-language").value || ALL;
  fillLanguages(chosen);
  if (!home) return;
  $("#shows").replaceChildren(...home.live.map((s) => liveCard("home", s)));
  if (!home.live.length) $("#shows").append(el("li", { class: "muted" }, t("home.nobody_live")));
  $("#upcoming").replaceChildren(...home.upcoming.map((s) => upcomingCard("home", s)));
  if (!home.upcoming.length) $("#upcoming").append(el("li", { class: "muted" }, t("home.nothing_upcoming")));
  renderReplays(chosen);
}

function renderReplays(chosen) {
  const shown = replays.filter((r) => chosen === ALL || r.language === chosen);
  $("#replays-section").hidden = !shown.length;
  $("#replays").replaceChildren(...shown.map((r) => el("li", { class: "card row replay", "data-stream-id": String(r.stream_id) },
    el("span", { class: "pill replay" }, t("home.replay")),
    el("strong", { class: "grow" }, r.title),
    el("a", { href: `/host/${r.host.id}`, class: "muted", "aria-label": t("home.host_label", { host: r.host.display_name }) }, r.host.display_name),
    el("span", { class: "muted" }, t("home.replay_length", { count: Math.max(1, Math.round(r.duration_ms / 60000)) })),
    el("span", { class: "muted" }, t("home.replay_products", { count: r.chapters })),
    el("a", { href: `/watch/${r.stream_id}`, "aria-label": t("home.watch_replay_label", { title: r.title }) }, t("home.watch_replay")))));
}

async function load() {
  const chosen = $("#show-language").value;
  const query = chosen === ALL ? "" : `?lang=${chosen}`;
  [home, { replays }] = await Promise.all([
    api("GET", `/api/home${query}`),
    api("GET", "/api/replays").catch(() => ({ replays: [] })),
  ]);
  render();
}

function showSignedIn() {
  const user = session.user;
  $("#staff-link").hidden = user?.role !== "admin"; // the console itself checks again
  $("#signin-link").hidden = Boolean(user);
  $("#account-link").hidden = !user;
}

async function main() {
  await loadMessages("home");
  $("#language-slot").replaceWith(languageSwitcher(render));
  showSignedIn();
  fillLanguages(await startingLanguage());
  $("#show-language").addEventListener("change", () => {
    localStorage.setItem(CHOSEN, $("#show-language").value);
    load().catch(showError);
  });
  render();
  await loadMyFollows();
  await load();
  connectForLiveToasts();
  addEventListener(HOST_LIVE_EVENT, () => { load().catch(() => {}); }); // a followed host went live
  setInterval(() => tickCountdowns("home"), 1000);
  setInterval(() => { load().catch(() => {}); }, REFRESH_MS); // viewer counts, who went live
}

main().catch(showError);
