// @ts-check
// The live switches: slow mode, signed-in accounts only, the host's followers only,
// established accounts only. Every change goes out as set_modes; the room answers everyone
// with modes_changed.

import { t } from "./i18n.js";
import { $, el, toast } from "./ui.js";
import { act, duration } from "./moderate_context.js";

const AGE_PRESETS_S = [600, 3600, 86400, 604800, 2592000];  // up to MAX_ACCOUNT_AGE_S, 90 days
const DEFAULT_SLOW_S = 30;
let modes = { slow_mode_s: 0, registered_only: false, followers_only: false, min_account_age_s: 0 };

export function setUpModes() {
  $("#slow").addEventListener("change", () => {
    const seconds = $("#slow").checked ? slowSeconds() : 0;
    if (seconds !== null) change({ slow_mode_s: seconds });
  });
  $("#slow-seconds").addEventListener("change", () => {
    const seconds = slowSeconds();
    if ($("#slow").checked && seconds !== null) change({ slow_mode_s: seconds });
  });
  $("#registered-only").addEventListener("change", () => change({ registered_only: $("#registered-only").checked }));
  $("#followers-only").addEventListener("change", () => change({ followers_only: $("#followers-only").checked }));
  $("#established").addEventListener("change", () => {
    change({ min_account_age_s: $("#established").checked ? Number($("#min-age").value) : 0 });
  });
  $("#min-age").addEventListener("change", () => {
    if ($("#established").checked) change({ min_account_age_s: Number($("#min-age").value) });
  });
  $("#modes").addEventListener("submit", (event) => event.preventDefault());
  showModes(modes);
}

// The seconds typed for slow mode, or null (with a message) when out of range.
function slowSeconds() {
  const input = $("#slow-seconds");
  const seconds = Number(input.value);
  if (Number.isInteger(seconds) && seconds >= 1 && seconds <= 3600) return seconds;
  toast(t("moderate.slow_range"));
  input.focus();
  showModes(modes);
  return null;
}

// Controls stay enabled while the change travels (disabling them would drop keyboard focus).
async function change(fields) {
  $("#modes").setAttribute("aria-busy", "true");
  const ack = await act("set_modes", fields);
  $("#modes").removeAttribute("aria-busy");
  showModes(ack ? ack.modes : modes);  // a refusal puts the switches back as they are
}

export function showModes(next) {
  modes = { ...modes, ...next };
  $("#slow").checked = modes.slow_mode_s > 0;
  if (modes.slow_mode_s > 0) $("#slow-seconds").value = String(modes.slow_mode_s);
  else if (!$("#slow-seconds").value) $("#slow-seconds").value = String(DEFAULT_SLOW_S);
  $("#registered-only").checked = modes.registered_only;
  $("#followers-only").checked = Boolean(modes.followers_only);
  $("#established").checked = modes.min_account_age_s > 0;
  fillAges();
  renderPills();
}

function fillAges() {
  const select = $("#min-age");
  const chosen = modes.min_account_age_s || Number(select.value) || 86400;
  const values = AGE_PRESETS_S.includes(chosen) ? AGE_PRESETS_S : [...AGE_PRESETS_S, chosen].sort((a, b) => a - b);
  select.replaceChildren(...values.map((s) => el("option", { value: String(s) }, duration(s))));
  select.value = String(chosen);
}

// What is switched on, at a glance in the header.
function renderPills() {
  const pills = [];
  if (modes.slow_mode_s > 0) {
    pills.push(el("span", { class: "pill mode", id: "mode-slow" }, t("moderate.pill.slow", { duration: duration(modes.slow_mode_s) })));
  }
  if (modes.registered_only) {
    pills.push(el("span", { class: "pill mode", id: "mode-registered" }, t("moderate.pill.registered_only")));
  }
  if (modes.followers_only) {
    pills.push(el("span", { class: "pill mode", id: "mode-followers" }, t("moderate.pill.followers_only")));
  }
  if (modes.min_account_age_s > 0) {
    pills.push(el("span", { class: "pill mode", id: "mode-established" }, t("moderate.pill.established", { duration: duration(modes.min_account_age_s) })));
  }
  $("#mode-pills").replaceChildren(...pills);
}

// "slow mode 30 seconds, signed-in accounts only", for the audit log.
export function describeModes(m) {
  const parts = [];
  if (m.slow_mode_s > 0) parts.push(t("moderate.pill.slow", { duration: duration(m.slow_mode_s) }));
  if (m.registered_only) parts.push(t("moderate.pill.registered_only"));
  if (m.followers_only) parts.push(t("moderate.pill.followers_only"));
  if (m.min_account_age_s > 0) parts.push(t("moderate.pill.established", { duration: duration(m.min_account_age_s) }));
  return parts.length ? parts.join(", ") : t("moderate.modes_off");
}
