// @ts-check
// The home page: every show, with the way in for viewers, hosts and moderators.

import { api } from "./api.js";
import { languageSwitcher, loadMessages, t } from "./i18n.js";
import { $, el, showError } from "./ui.js";

let streams = null;

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
}

async function main() {
  await loadMessages("home");
  $("#language-slot").replaceWith(languageSwitcher(render));
  render();
  ({ streams } = await api("GET", "/api/streams"));
  render();
}

main().catch(showError);
