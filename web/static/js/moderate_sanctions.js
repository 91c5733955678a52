// @ts-check
// Sanctions: the dialog that mutes, bans or shadow-bans a message's author, and the list of
// sanctions in force (worked out from the audit log, where every one is kept) with their undo.

import { t } from "./i18n.js";
import { $, el, toast } from "./ui.js";
import { act, duration, errorText, nameOf, shortTime } from "./moderate_context.js";

const MUTE_PRESETS_S = [60, 600, 3600, 86400, 604800];  // up to MAX_MUTE_S, 7 days
const DEFAULT_MUTE_S = 600;
const LIFT = { mute: "unmute", ban: "unban", shadow_ban: "unshadow_ban" };
const LIFTED_BY = { unmute: "mute", unban: "ban", unshadow_ban: "shadow_ban" };

// `${kind} ${subject}` -> {kind, subject, until (epoch s or null), reason}
const inForce = new Map();
let target = null;  // the message whose author the dialog is about

export function setUpSanctions() {
  $("#do-mute").addEventListener("click", () => sanction("mute", {
    duration_s: Number($("#sanction-duration").value),
  }));
  $("#do-ban").addEventListener("click", () => sanction("ban"));
  $("#do-shadow").addEventListener("click", () => sanction("shadow_ban"));
  $("#do-delete-all").addEventListener("click", deleteAll);
  $("#sanction-close").addEventListener("click", () => $("#sanction").close());
  fillDurations();
  setInterval(renderSanctions, 15000);  // timed mutes run out by themselves
}

function fillDurations() {
  const select = $("#sanction-duration");
  const chosen = Number(select.value) || DEFAULT_MUTE_S;
  select.replaceChildren(...MUTE_PRESETS_S.map((s) => el("option", { value: String(s) }, duration(s))));
  select.value = String(chosen);
}

export function openSanctions(message) {
  target = message;
  $("#sanction-title").textContent = t("moderate.sanction_title", { name: message.display_name });
  $("#sanction-quote").textContent = message.text;
  $("#sanction-reason").value = "";
  $("#sanction").showModal();
  $("#sanction-duration").focus();
}

async function sanction(kind, extra = {}) {
  const reason = $("#sanction-reason").value.trim();
  const payload = { target: target.author, ...extra, ...(reason ? { reason } : {}) };
  const ack = await act(kind, payload);
  if (!ack) return;
  const name = target.display_name;
  const done = kind === "mute"
    ? t("moderate.done.mute", { name, duration: duration(extra.duration_s) })
    : t(`moderate.done.${kind}`, { name });
  toast(done, "ok");
  $("#sanction").close();
}

async function deleteAll() {
  const ack = await act("delete_user_messages", { target: target.author });
  if (!ack) return;
  toast(t("moderate.done.delete_all", { count: ack.message_ids.length, name: target.display_name }), "ok");
  $("#sanction").close();
}

// Fold one audit entry (oldest first) into the sanctions in force.
export function trackSanction(entry) {
  if (entry.action in LIFT) {
    inForce.set(`${entry.action} ${entry.target}`, {
      kind: entry.action,
      subject: entry.target,
      until: entry.detail.until ?? null,
      reason: entry.detail.reason || "",
    });
  } else if (entry.action in LIFTED_BY) {
    inForce.delete(`${LIFTED_BY[entry.action]} ${entry.target}`);
  }
}

export function forgetSanctions() {
  inForce.clear();
}

export function renderSanctions() {
  const now = Date.now() / 1000;
  for (const [key, s] of inForce) if (s.until !== null && s.until <= now) inForce.delete(key);
  const items = [...inForce.values()].map((s) => {
    const name = nameOf(s.subject);
    const what = s.kind === "mute"
      ? t("moderate.in_force.mute", { name, time: shortTime(s.until * 1000) })
      : t(`moderate.in_force.${s.kind}`, { name });
    const lift = el("button", {
      type: "button",
      "aria-label": t(`moderate.lift_label.${s.kind}`, { name }),
      onclick: () => liftSanction(s),
    }, t(`moderate.lift.${s.kind}`));
    return el("li", { class: `sanction ${s.kind}`, "data-subject": s.subject },
      el("span", {}, what, s.reason ? el("span", { class: "muted" }, " · ", t("moderate.reason_quoted", { reason: s.reason })) : ""),
      lift);
  });
  $("#sanctions").replaceChildren(...items);
  $("#sanctions-empty").hidden = items.length > 0;
}

async function liftSanction(s) {
  const ack = await act(LIFT[s.kind], { target: s.subject }, { quiet: true });
  // not_sanctioned: it ran out or was lifted elsewhere meanwhile; either way it is gone.
  if (ack.ok || ack.error.code === "not_sanctioned") {
    inForce.delete(`${s.kind} ${s.subject}`);
    renderSanctions();
  }
  if (ack.ok) toast(t(`moderate.done.${LIFT[s.kind]}`, { name: nameOf(s.subject) }), "ok");
  else toast(errorText(ack.error));
}

export function refreshSanctionTexts() {
  fillDurations();
  renderSanctions();
}
