// @ts-check
// The review queue: messages a "hold" word caught wait here for a moderator to approve (they
// then reach the room, said by their sender) or reject. They expire after 15 minutes.

import { t } from "./i18n.js";
import { $, el, toast } from "./ui.js";
import { act, errorText, remember, shortTime } from "./moderate_context.js";

const HELD_TTL_MS = 15 * 60 * 1000;
const held = new Map();  // id -> held
const problems = new Map();  // id -> the error an approval met (sender_sanctioned)

export async function loadHeld() {
  const ack = await act("held_messages", {});
  if (!ack) return;
  held.clear();
  problems.clear();
  for (const item of ack.held) addHeld(item, false);
  renderHeld();
}

export function addHeld(item, render = true) {
  held.set(item.id, item);
  remember(item.sender, item.display_name);
  if (render) renderHeld();
}

export function resolveHeld(id) {
  held.delete(id);
  problems.delete(id);
  renderHeld();
}

export function renderHeld() {
  const now = Date.now();
  for (const [id, item] of held) if (Date.parse(item.at) + HELD_TTL_MS <= now) held.delete(id);
  const items = [...held.values()].map(heldItem);
  $("#held").replaceChildren(...items);
  $("#held-empty").hidden = items.length > 0;
  $("#held-count").textContent = String(items.length);
  $("#held-count").classList.toggle("attention", items.length > 0);
}

function heldItem(item) {
  const name = item.display_name;
  const problem = problems.get(item.id);
  const approve = el("button", {
    type: "button",
    class: "primary approve",
    "aria-label": t("moderate.approve_label", { name }),
    onclick: () => review(item, "approve_held"),
  }, t("moderate.approve"));
  approve.disabled = Boolean(problem);  // a sanctioned sender's message can only be rejected
  const reject = el("button", {
    type: "button",
    class: "reject",
    "aria-label": t("moderate.reject_label", { name }),
    onclick: () => review(item, "reject_held"),
  }, t("moderate.reject"));
  return el("li", { class: "held", "data-id": String(item.id) },
    el("div", { class: "said" },
      el("strong", { class: "author" }, name),
      el("span", { class: "text" }, item.text)),
    el("div", { class: "muted small" },
      t("moderate.held_meta", { terms: item.terms.join(", "), time: shortTime(item.at) })),
    problem ? el("p", { class: "error", role: "alert" }, problem) : "",
    el("div", { class: "row" }, approve, reject));
}

async function review(item, event) {
  const ack = await act(event, { held_id: item.id }, { quiet: true });
  if (ack.ok) {
    toast(t(event === "approve_held" ? "moderate.done.approved" : "moderate.done.rejected", { name: item.display_name }), "ok");
    resolveHeld(item.id);
  } else if (ack.error.code === "held_not_found") {
    toast(errorText(ack.error));
    resolveHeld(item.id);
  } else if (ack.error.code === "sender_sanctioned") {
    problems.set(item.id, errorText(ack.error));
    renderHeld();
    $(`#held [data-id="${item.id}"] .reject`)?.focus();
  } else {
    toast(errorText(ack.error));
  }
}

setInterval(() => { if (held.size) renderHeld(); }, 30000);
