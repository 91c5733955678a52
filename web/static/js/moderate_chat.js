// @ts-check
// The chat as moderators see it: every line with its actions. Text from people only ever goes
// in as textContent.

import { t } from "./i18n.js";
import { $, el } from "./ui.js";
import { act, desk, remember, shortTime } from "./moderate_context.js";
import { openSanctions } from "./moderate_sanctions.js";

const KEEP = 300;  // lines kept on the page; older ones scroll out
const messages = new Map();

export function showMessages(list) {
  messages.clear();
  for (const message of list) keep(message);
  renderChat();
  scrollToEnd();
}

export function addMessage(message) {
  const list = $("#chat");
  const atEnd = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
  keep(message);
  list.querySelector(`[data-id="${Number(message.id)}"]`)?.remove();
  list.append(line(message));
  while (list.children.length > KEEP) {
    messages.delete(Number(list.firstElementChild.dataset.id));
    list.firstElementChild.remove();
  }
  if (atEnd) scrollToEnd();
}

export function removeMessages(ids) {
  for (const id of ids) {
    messages.delete(Number(id));
    $(`#chat [data-id="${Number(id)}"]`)?.remove();
  }
}

// Rebuild every line (after a language change).
export function renderChat() {
  $("#chat").replaceChildren(...[...messages.values()].map(line));
}

function keep(message) {
  messages.set(Number(message.id), message);
  remember(message.author, message.display_name);
}

function scrollToEnd() {
  const list = $("#chat");
  list.scrollTop = list.scrollHeight;
}

// Who the console offers sanctions against: not the show's host, and not yourself.
function sanctionable(message) {
  return message.role !== "host" && (!desk.you || message.author !== desk.you.subject);
}

function line(message) {
  const name = message.display_name;
  const actions = el("div", { class: "line-actions" },
    el("button", {
      type: "button",
      class: "delete",
      "aria-label": t("moderate.delete_label", { name }),
      onclick: async () => {
        if (await act("delete_message", { message_id: message.id })) removeMessages([message.id]);
      },
    }, t("moderate.delete")));
  if (sanctionable(message)) {
    actions.append(el("button", {
      type: "button",
      class: "moderate",
      "aria-haspopup": "dialog",
      "aria-label": t("moderate.moderate_label", { name }),
      onclick: () => openSanctions(message),
    }, t("moderate.moderate")));
  }
  const badge = message.role && message.role !== "viewer"
    ? el("span", { class: `badge ${message.role}` }, t(`moderate.role.${message.role}`))
    : "";
  const question = message.question ? el("span", { class: "badge question" }, t("moderate.question")) : "";
  return el("li", { class: "chat-line mod-line", "data-id": String(message.id) },
    el("time", { class: "muted", datetime: message.created_at }, shortTime(message.created_at)),
    el("div", { class: "said" }, badge, question,
      el("strong", { class: "author" }, name),
      el("span", { class: "text" }, message.text)),
    actions);
}
