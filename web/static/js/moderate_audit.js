// @ts-check
// The audit log: every moderation action on this show, newest first, as a sentence each.
// It also keeps the sanctions in force and the word list up to date when other staff act.

import { LANGUAGE_NAMES, formatTime, t } from "./i18n.js";
import { $, el } from "./ui.js";
import { act, desk, duration, nameOf } from "./moderate_context.js";
import { describeModes } from "./moderate_modes.js";
import { forgetSanctions, renderSanctions, trackSanction } from "./moderate_sanctions.js";
import { loadWords } from "./moderate_words.js";

const LIMIT = 200;   // what audit_log gives at most: enough to know the sanctions in force
const SHOWN = 100;
const entries = new Map();  // id -> entry

export async function loadAudit() {
  const ack = await act("audit_log", { limit: LIMIT });
  if (!ack) return;
  entries.clear();
  forgetSanctions();
  for (const entry of [...ack.entries].reverse()) {
    entries.set(entry.id, entry);
    trackSanction(entry);
  }
  renderSanctions();
  renderAudit();
}

export function addEntry(entry) {
  if (entries.has(entry.id)) return;
  entries.set(entry.id, entry);
  trackSanction(entry);
  renderSanctions();
  renderAudit();
  const mine = desk.you && entry.actor === desk.you.subject;
  if (entry.action === "edit_words" && !mine) loadWords();
}

export function renderAudit() {
  const newest = [...entries.values()].sort((a, b) => b.id - a.id).slice(0, SHOWN);
  $("#audit").replaceChildren(...newest.map((entry) => el("li", { "data-action": entry.action },
    el("time", { class: "muted small", datetime: entry.at }, formatTime(entry.at)),
    el("span", { class: "sentence" }, sentence(entry)),
    entry.detail && entry.detail.reason ? el("span", { class: "muted" }, t("moderate.reason_quoted", { reason: entry.detail.reason })) : "")));
  $("#audit-empty").hidden = newest.length > 0;
}

function sentence(entry) {
  const actor = nameOf(entry.actor);
  const target = nameOf(entry.target);
  const detail = entry.detail || {};
  switch (entry.action) {
    case "mute":
      return t("moderate.audit.mute", { actor, target, duration: duration(detail.until - Date.parse(entry.at) / 1000) });
    case "platform_ban":
      return detail.until
        ? t("moderate.audit.platform_ban_timed", { actor, target, duration: duration(detail.until - Date.parse(entry.at) / 1000) })
        : t("moderate.audit.platform_ban", { actor, target });
    case "delete_message":
      return detail.all
        ? t("moderate.audit.delete_all", { actor, target, count: detail.count ?? 0 })
        : t("moderate.audit.delete_message", { actor, target });
    case "set_modes":
      return t("moderate.audit.set_modes", { actor, modes: describeModes(detail) });
    case "edit_words":
    case "edit_platform_words": {
      const language = detail.language === "all" ? t("moderate.all_languages") : LANGUAGE_NAMES[detail.language] || detail.language;
      return detail.op === "remove"
        ? t("moderate.audit.word_removed", { actor, term: entry.target, language })
        : t("moderate.audit.word_added", { actor, term: entry.target, language, action: t(`moderate.action_${detail.action}`) });
    }
    case "review":
      if (detail.verdict === "held") return t("moderate.audit.held", { target, terms: (detail.terms || []).join(", ") });
      return t(detail.verdict === "approved" ? "moderate.audit.approved" : "moderate.audit.rejected", { actor, target });
    default: {
      const key = `moderate.audit.${entry.action}`;
      const text = t(key, { actor, target });
      return text === key ? `${actor}: ${entry.action} ${target}` : text;
    }
  }
}
