// @ts-check
// The staff console's platform-wide parts: bans and the word list through the live room's own
// moderation events (platform_ban, platform_unban, add_word/word_list with platform: true; they
// keep their audit entries; the bans in force are read from the log), platform coupons, the
// deployment's nodes and the audit log.

import { api } from "./api.js";
import { describeError } from "./errors.js";
import { formatNumber, formatTime, t } from "./i18n.js";
import { RoomConnection } from "./room.js";
import { $, el, toast } from "./ui.js";

/** @param {string} key @param {Record<string, unknown>} [params] */
export const words = (key, params) => t(`staff.${key}`, params);

/** @param {unknown} error */
export function report(error) {
  toast(describeError(error, "staff", "staff.error.other"));
}

/** @type {RoomConnection | null} */
let room = null;

function connection() {
  if (!room) {
    room = new RoomConnection();
    room.connect();
  }
  return room;
}

/** @param {string} event @param {object} payload @param {string} done */
async function emit(event, payload, done) {
  const ack = await connection().emit(event, payload);
  if (!ack.ok) { report(ack.error); return false; }
  toast(done, "ok");
  await loadPlatform();
  return true;
}

async function loadWords() {
  const ack = await connection().emit("word_list", { platform: true });
  if (!ack.ok) { report(ack.error); return; }
  const terms = Array.isArray(ack.terms) ? ack.terms : [];
  $("#words").replaceChildren(...(terms.length
    ? terms.map((/** @type {any} */ w) => {
      const remove = el("button", { type: "button" }, words("remove_word"));
      remove.addEventListener("click", () =>
        emit("remove_word", { term: w.text, platform: true, language: w.language }, words("word_removed")));
      return el("li", { class: "staff-row" }, el("span", {}, `${w.text} · ${words(`word_${w.action}`)}`), remove);
    })
    : [el("li", { class: "muted" }, words("no_words"))]));
}

/** @param {any} c */
function couponLine(c) {
  const off = c.percent_bp ? `${formatNumber(c.percent_bp / 100)} %` : String(c.fixed_minor ?? "");
  return el("li", { class: "staff-row" },
    el("span", {}, `${c.code} · ${off}`),
    el("span", { class: "muted" }, words(`scope.${c.scope}`)),
    el("span", { class: "muted" }, words("used", { count: c.used })));
}

// An entry's action in words; the platform word list's edits by what they did.
/** @param {any} e */
function actionName(e) {
  const action = e.action === "edit_platform_words" ? `${e.detail.op}_word` : e.action;
  const named = words(`action.${action}`);
  return named === `staff.action.${action}` ? e.action : named;
}

/** @param {any} ban */
function banLine(ban) {
  const lift = el("button", { type: "button" }, words("unban"));
  lift.setAttribute("aria-label", words("unban_of", { target: ban.target }));
  lift.addEventListener("click", () => emit("platform_unban", { target: ban.target }, words("unbanned_done")));
  const until = ban.until ? words("until", { time: formatTime(ban.until) }) : words("for_good");
  return el("li", { class: "staff-row", "data-ban": ban.target },
    el("span", {}, ban.reason ? `${who(ban.target)} · ${ban.reason}` : who(ban.target)),
    el("span", { class: "muted" }, `${until} · ${who(ban.by)}`),
    lift);
}

/** @param {any} e */
function auditLine(e) {
  return el("li", { class: "staff-row" },
    el("span", {}, formatTime(e.at)),
    el("span", {}, `${who(e.actor)} · ${actionName(e)}`),
    el("span", { class: "muted" }, who(e.target)));
}

/** @param {number} shows @param {number} viewers */
function counts(shows, viewers) {
  return { shows: words("show_count", { count: shows }), viewers: words("viewers", { count: viewers }) };
}

// Who an audit entry or a ban names: the account's display name with its subject, when known.
/** @type {Record<string, string>} */
let names = {};
/** @param {string | null} subject */
const who = (subject) => (subject && names[subject] ? `${names[subject]} (${subject})` : subject ?? "");

export async function loadPlatform() {
  const [coupons, health, audit] = await Promise.all([
    api("GET", "/api/staff/coupons"), api("GET", "/api/staff/health"), api("GET", "/api/staff/audit"),
  ]);
  $("#coupons").replaceChildren(...(coupons.coupons.length
    ? coupons.coupons.map(couponLine) : [el("li", { class: "muted" }, words("no_coupons"))]));
  $("#media-health").textContent = words("media_line", counts(health.media_shows, health.media_viewers))
    + (health.redis ? "" : ` · ${words("no_redis")}`);
  $("#nodes").replaceChildren(...health.nodes.map((/** @type {any} */ n) => el("li", { class: "staff-row" },
    el("span", {}, n.node),
    el("span", { class: "muted" }, words("node_line", counts(n.shows, n.viewers))))));
  names = audit.names;
  $("#audit").replaceChildren(...(audit.entries.length
    ? audit.entries.map(auditLine) : [el("li", { class: "muted" }, words("no_audit"))]));
  $("#bans").replaceChildren(...(audit.bans.length
    ? audit.bans.map(banLine) : [el("li", { class: "muted" }, words("no_bans"))]));
  await loadWords();
}

export function setUpPlatform() {
  $("#ban-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const reason = $("#ban-reason").value.trim();
    emit("platform_ban", { target: $("#ban-target").value.trim(), ...(reason ? { reason } : {}) }, words("banned_done"));
  });
  $("#unban").addEventListener("click", () =>
    emit("platform_unban", { target: $("#ban-target").value.trim() }, words("unbanned_done")));
  $("#word-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const term = $("#word-term").value.trim();
    if (await emit("add_word", { term, action: $("#word-action").value, platform: true }, words("word_added"))) {
      $("#word-term").value = "";
    }
  });
  $("#coupon-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const percent = Number($("#coupon-percent").value);
    try {
      await api("POST", "/api/staff/coupons", {
        code: $("#coupon-code").value.trim(), percent_bp: Math.round(percent * 100), scope: "platform",
      });
      toast(words("coupon_done"), "ok");
      $("#coupon-form").reset();
      await loadPlatform();
    } catch (error) {
      report(error);
    }
  });
}
