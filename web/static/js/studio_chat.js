// @ts-check
// The chat as the host sees it: the question queue (answering marks a question answered and
// pins it above the chat), the chat itself with a pin per line, the pinned message, and a box
// to talk to viewers. People's text only ever goes in as text.

import { t } from "./i18n.js";
import { refused } from "./studio_errors.js";
import { $, el } from "./ui.js";

const KEEP_LINES = 200;
const ROLES = ["host", "moderator", "seller", "guest"];

export class Chat {
  constructor(room) {
    this.room = room;
    this.messages = [];
    this.questions = [];
    this.pinned = null;
    $("#unpin-message").addEventListener("click", () => this.unpin());
    $("#send").addEventListener("submit", (event) => { event.preventDefault(); this.send(); });
  }

  apply(state) {
    this.messages = state.messages.slice(-KEEP_LINES);
    this.questions = state.questions.slice();
    this.pinned = state.pinned_message;
    this.render();
  }

  bind(room) {
    room
      .on("chat_message", (message) => this.add(message))
      .on("message_deleted", ({ message_id }) => this.remove([message_id]))
      .on("user_messages_deleted", ({ message_ids }) => this.remove(message_ids))
      .on("question_answered", ({ message_id }) => this.answered(message_id))
      .on("message_pinned", ({ message }) => { this.pinned = message; this.renderPinned(); })
      .on("message_unpinned", ({ message_id }) => {
        if (this.pinned && (message_id == null || this.pinned.id === message_id)) { this.pinned = null; this.renderPinned(); }
      });
  }

  render() {
    $("#chat").replaceChildren(...this.messages.map((message) => this.line(message)));
    $("#chat-empty").hidden = this.messages.length > 0;
    $("#chat").scrollTop = $("#chat").scrollHeight;
    this.renderQueue();
    this.renderPinned();
  }

  add(message) {
    if (this.messages.some((m) => m.id === message.id)) return;
    this.messages.push(message);
    const list = $("#chat");
    const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
    list.append(this.line(message));
    $("#chat-empty").hidden = true;
    while (this.messages.length > KEEP_LINES) { this.messages.shift(); list.firstElementChild?.remove(); }
    if (atBottom) list.scrollTop = list.scrollHeight;  // not while the host reads back
    if (message.question && !message.answered) { this.questions.push(message); this.renderQueue(); }
  }

  remove(ids) {
    const gone = new Set(ids.map(Number));
    this.messages = this.messages.filter((m) => !gone.has(m.id));
    this.questions = this.questions.filter((m) => !gone.has(m.id));
    for (const id of gone) document.querySelector(`#chat [data-id="${id}"]`)?.remove();
    $("#chat-empty").hidden = this.messages.length > 0;
    this.renderQueue();
  }

  answered(messageId) {
    this.questions = this.questions.filter((m) => m.id !== messageId);
    this.renderQueue();
  }

  line(message) {
    const badge = ROLES.includes(message.role) ? el("span", { class: `badge ${message.role}` }, t(`studio.role_${message.role}`)) : "";
    const pin = el("button", { type: "button", class: "studio-small-button", "aria-label": t("studio.pin_message_label", { name: message.display_name }) }, t("studio.pin"));
    pin.addEventListener("click", () => this.pin(message, pin));
    return el("li", { class: `chat-line${message.question ? " studio-question-line" : ""}`, "data-id": String(message.id) },
      badge,
      message.question ? el("span", { class: "badge studio-q" }, t("studio.question")) : "",
      el("strong", { class: "author" }, message.display_name),
      el("span", { class: "text" }, message.text),
      pin);
  }

  renderQueue() {
    const list = $("#questions");
    list.replaceChildren(...this.questions.map((question) => {
      const answer = el("button", { type: "button", class: "primary studio-small-button", "aria-label": t("studio.answer_label", { name: question.display_name }) }, t("studio.answer"));
      answer.addEventListener("click", () => this.answer(question, answer));
      return el("li", { class: "studio-queue-item", "data-id": String(question.id) },
        el("div", {}, el("strong", { class: "author" }, question.display_name), " ", el("span", { class: "text" }, question.text)),
        answer);
    }));
    $("#question-count").textContent = t("studio.questions_waiting", { count: this.questions.length });
    $("#questions-empty").hidden = this.questions.length > 0;
  }

  renderPinned() {
    $("#pinned-message").hidden = !this.pinned;
    $("#pinned-message-text").replaceChildren(...(this.pinned
      ? [el("strong", { class: "author" }, this.pinned.display_name), " ", el("span", { class: "text" }, this.pinned.text)]
      : []));
  }

  async answer(question, button) {
    button.disabled = true;
    const ack = await this.room.emit("answer_question", { message_id: question.id });
    button.disabled = false;
    if (refused(ack)) return;
    this.answered(question.id);
    this.pinned = ack.message;
    this.renderPinned();
    ($("#questions button") || $("#message")).focus();  // on to the next question
  }

  async pin(message, button) {
    button.disabled = true;
    const ack = await this.room.emit("pin_message", { message_id: message.id });
    button.disabled = false;
    if (refused(ack)) return;
    this.pinned = ack.message;
    this.renderPinned();
  }

  async unpin() {
    const ack = await this.room.emit("unpin_message", {});
    if (refused(ack)) return;
    this.pinned = null;
    this.renderPinned();
  }

  async send() {
    const input = $("#message");
    if (!input.value.trim()) return;
    const ack = await this.room.emit("send_message", { text: input.value });
    if (!refused(ack)) input.value = "";
  }
}
