// @ts-check
// What the moderator console's parts share: the room connection, who is who, error texts.

import { describeError } from "./errors.js";
import { locale, t } from "./i18n.js";
import { toast } from "./ui.js";

export const desk = {
  room: null,     // the RoomConnection, once joined
  you: null,      // state.you: {subject, display_name, role, standing}
  stream: null,   // state.stream
};

// Display names by subject, learnt from chat lines and held messages (the audit log has subjects).
const names = new Map();

export function remember(subject, displayName) {
  if (subject && displayName) names.set(subject, displayName);
}

export function nameOf(subject) {
  if (!subject) return "";
  if (subject === "system") return t("moderate.system");
  if (names.has(subject)) return names.get(subject);
  const [kind, id] = subject.split(":");
  if (kind === "u") return t("moderate.account", { id });
  if (kind === "g") return t("moderate.guest", { id: String(id).slice(0, 6) });
  return subject;
}

// An ack's error in the page's language; the server's English message when we have no text.
/** @param {unknown} error */
export function errorText(error) {
  return describeError(error, "moderate", "moderate.error.unknown");
}

// Emit a moderation event; a refusal is shown as a toast (unless quiet) and answers null.
export async function act(event, payload, { quiet = false } = {}) {
  const ack = await desk.room.emit(event, payload);
  if (ack.ok) return ack;
  if (!quiet) toast(errorText(ack.error));
  return quiet ? ack : null;
}

// A span of seconds in the largest whole unit: "10 minutes", "1 day" (Intl does the plurals).
/** @param {number} seconds */
export function duration(seconds) {
  /** @type {[string, number][]} */
  const units = [["day", 86400], ["hour", 3600], ["minute", 60], ["second", 1]];
  const s = Math.max(0, Math.round(seconds));
  const [unit, size] = units.find(([, size]) => s >= size && s % size === 0) || units[3];
  return new Intl.NumberFormat(locale(), { style: "unit", unit, unitDisplay: "long" }).format(s / size);
}

export function shortTime(when) {
  return new Intl.DateTimeFormat(locale(), { timeStyle: "short" }).format(new Date(when));
}
