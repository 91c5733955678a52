// @ts-check
// What the home page and a host's page share: a show's card (live with its viewers, or upcoming
// with a live countdown and "remind me"), and the reminders a signed-in viewer has set
// (GET /api/me/follows, POST/DELETE /api/streams/{id}/remind). Their strings are
// `<page>.<key>` in the page's own catalog (home.json, host.json), so each page names itself.

import { api, session } from "./api.js";
import { describeError } from "./errors.js";
import { formatTime, locale, t } from "./i18n.js";
import { el, toast } from "./ui.js";

/** @typedef {{id: number, title: string, language: string, status: string,
 *   host: {id: number, display_name: string}, scheduled_at: string | null,
 *   viewers?: number | null}} Show */

const reminded = new Set(); // stream ids the viewer asked to be reminded of
const DAY_S = 86400;

// The reminders (and follows) of the signed-in viewer; nothing for a guest.
export async function loadMyFollows() {
  if (!session.signedIn) return { hosts: [], reminders: [] };
  const mine = await api("GET", "/api/me/follows").catch(() => ({ hosts: [], reminders: [] }));
  reminded.clear();
  for (const id of mine.reminders) reminded.add(id);
  return mine;
}

/**
 * "starts in 1:02:03" under a day, "starts in 3 days" (or "tomorrow") beyond; "starting soon" once its time is past.
 * @param {string} page
 * @param {string | null} iso
 * @param {number} [now]
 */
export function countdown(page, iso, now = Date.now()) {
  if (!iso) return t(`${page}.not_scheduled`);
  const left = Math.round((new Date(iso).getTime() - now) / 1000);
  if (left <= 0) return t(`${page}.starting_soon`);
  if (left >= DAY_S) {
    const days = Math.round(left / DAY_S);
    return t(`${page}.starts_on_day`, { time: new Intl.RelativeTimeFormat(locale(), { numeric: "auto" }).format(days, "day") });
  }
  const two = (/** @type {number} */ n) => String(n).padStart(2, "0");
  const clock = `${Math.floor(left / 3600)}:${two(Math.floor(left / 60) % 60)}:${two(left % 60)}`;
  return t(`${page}.starts_in`, { time: clock });
}

// Every countdown on the page moves once a second (their elements carry data-starts).
export function tickCountdowns(/** @type {string} */ page) {
  for (const node of /** @type {NodeListOf<HTMLElement>} */ (document.querySelectorAll("[data-starts]"))) {
    node.textContent = countdown(page, node.dataset.starts || null);
  }
}

/** @param {string} page @param {Show} show */
function hostLink(page, show) {
  return el("a", { href: `/host/${show.host.id}`, class: "muted", "aria-label": t(`${page}.host_label`, { host: show.host.display_name }) }, show.host.display_name);
}

/** @param {string} page @param {Show} show */
export function liveCard(page, show) {
  return el("li", { class: "card row show-card", "data-stream-id": String(show.id) },
    el("span", { class: "pill live" }, t("common.live")),
    el("strong", { class: "grow" }, show.title),
    hostLink(page, show),
    typeof show.viewers === "number" ? el("span", { class: "muted viewers" }, t("common.watching", { count: show.viewers })) : "", // the home page counts them
    el("a", { href: `/watch/${show.id}`, "aria-label": t(`${page}.watch_label`, { title: show.title }) }, t(`${page}.watch`)),
    ...ownLinks(page, show));
}

/** @param {string} page @param {Show} show */
export function upcomingCard(page, show) {
  return el("li", { class: "card row show-card", "data-stream-id": String(show.id) },
    el("span", { class: "pill" }, t("common.scheduled")),
    el("strong", { class: "grow" }, show.title),
    hostLink(page, show),
    show.scheduled_at ? el("time", { class: "muted", datetime: show.scheduled_at }, formatTime(show.scheduled_at)) : "",
    el("span", { class: "countdown", "data-starts": show.scheduled_at || "" }, countdown(page, show.scheduled_at)),
    remindControl(page, show),
    ...ownLinks(page, show));
}

// The show's own host and the staff reach its studio and moderator console from here.
/** @param {string} page @param {Show} show */
function ownLinks(page, show) {
  const user = session.user;
  if (!user) return [];
  const links = [];
  if (user.id === show.host.id || user.role === "admin") {
    links.push(el("a", { href: `/studio/${show.id}`, "aria-label": t(`${page}.studio_label`, { title: show.title }) }, t(`${page}.studio`)));
  }
  if (user.id === show.host.id || user.role === "moderator" || user.role === "admin") {
    links.push(el("a", { href: `/moderate/${show.id}`, "aria-label": t(`${page}.moderate_label`, { title: show.title }) }, t(`${page}.moderate`)));
  }
  return links;
}

// "Remind me" for a signed-in viewer (a toggle), a way to sign in for a guest.
/** @param {string} page @param {Show} show */
function remindControl(page, show) {
  if (!show.scheduled_at || new Date(show.scheduled_at).getTime() <= Date.now()) return ""; // nothing to remind of
  if (!session.signedIn) {
    const next = encodeURIComponent(location.pathname);
    return el("a", { href: `/signin?next=${next}` }, t(`${page}.sign_in_to_remind`));
  }
  const button = el("button", { type: "button", class: "remind" });
  const draw = () => {
    const on = reminded.has(show.id);
    const action = on ? t(`${page}.reminded`) : t(`${page}.remind`);
    button.setAttribute("aria-pressed", String(on));
    button.setAttribute("aria-label", t(`${page}.remind_label`, { action, title: show.title }));
    button.textContent = action;
  };
  // Busy rather than disabled while the change travels: disabling would drop keyboard focus.
  button.addEventListener("click", async () => {
    if (button.getAttribute("aria-busy") === "true") return;
    const on = !reminded.has(show.id);
    button.setAttribute("aria-busy", "true");
    try {
      await api(on ? "POST" : "DELETE", `/api/streams/${show.id}/remind`);
      if (on) reminded.add(show.id);
      else reminded.delete(show.id);
    } catch (error) {
      toast(describeError(error, page, `${page}.failed`));
    } finally {
      button.removeAttribute("aria-busy");
      draw();
    }
  });
  draw();
  return button;
}
