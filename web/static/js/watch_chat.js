// @ts-check
// The chat over the video: the last messages, newest at the bottom, and the pinned one.
// Messages are plain text from people: they only ever go in as text nodes.

import { t } from "./i18n.js";
import { el } from "./ui.js";

const KEEP = 100;
const BADGES = new Set(["host", "moderator", "seller"]);

function line(message) {
  const badge = BADGES.has(message.role)
    ? el("span", { class: `badge ${message.role}` }, t(`watch.role.${message.role}`))
    : "";
  return el("li", { class: "chat-line", "data-id": String(message.id), lang: message.language || "" },
    badge,
    el("strong", { class: "author" }, message.display_name),
    el("span", { class: "text" }, message.text));
}

export class ChatFeed {
  constructor(list, pinned) {
    this.list = list;
    this.pinned = pinned; // {box, author, text}
    this.messages = [];
    this.pinnedMessage = null;
  }

  // Follow new lines only while the reader is at the bottom: someone scrolling back keeps
  // their place.
  atBottom() {
    return this.list.scrollHeight - this.list.scrollTop - this.list.clientHeight < 24;
  }

  scrollDown() {
    this.list.scrollTop = this.list.scrollHeight;
  }

  replace(messages, pinnedMessage = null) {
    this.messages = messages.slice(-KEEP);
    this.pinnedMessage = pinnedMessage;
    this.render();
  }

  render() {
    this.list.replaceChildren(...this.messages.map(line));
    this.showPinned();
    this.scrollDown();
  }

  add(message) {
    if (this.messages.some((m) => m.id === message.id)) return;
    const follow = this.atBottom();
    this.messages.push(message);
    this.list.append(line(message));
    while (this.messages.length > KEEP) {
      this.messages.shift();
      this.list.firstElementChild.remove();
    }
    if (follow) this.scrollDown();
  }

  remove(ids) {
    const gone = new Set(ids.map(Number));
    this.messages = this.messages.filter((m) => !gone.has(m.id));
    for (const node of [...this.list.children]) {
      if (gone.has(Number(node.dataset.id))) node.remove();
    }
    if (this.pinnedMessage && gone.has(this.pinnedMessage.id)) this.pin(null);
  }

  pin(message) {
    this.pinnedMessage = message;
    this.showPinned();
  }

  showPinned() {
    const { box, author, text } = this.pinned;
    box.hidden = !this.pinnedMessage;
    author.textContent = this.pinnedMessage ? this.pinnedMessage.display_name : "";
    text.textContent = this.pinnedMessage ? this.pinnedMessage.text : "";
  }
}
