// @ts-check
// Small DOM helpers. Text from people (chat, product texts) only ever goes in as textContent.

import { formatPrice, t } from "./i18n.js";

/**
 * The page's one element for `selector` (the pages' own markup: typed loosely, as any element).
 * @param {string} selector
 * @param {ParentNode} [root]
 * @returns {any}
 */
export const $ = (selector, root = document) => root.querySelector(selector);

/**
 * @param {string} tag
 * @param {Record<string, any>} [attrs] attributes; `class`, and `on<event>` handlers
 * @param {...(Node | string | number)} children text goes in as text, never as markup
 * @returns {any}
 */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "class") node.className = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value);
  }
  for (const child of children) {
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/**
 * @param {string} message
 * @param {"error" | "ok" | string} [kind]
 */
export function toast(message, kind = "error") {
  const box = $("#toasts") || document.body.appendChild(el("div", { id: "toasts", "aria-live": "polite" }));
  const item = el("div", { class: `toast ${kind}`, role: kind === "error" ? "alert" : "status" }, message);
  box.append(item);
  setTimeout(() => item.remove(), 5000);
}

/**
 * @param {number} minor
 * @param {string} currency
 */
export function price(minor, currency) {
  return formatPrice(minor, currency);
}

/** @param {number} stock */
export function stockLabel(stock) {
  if (stock <= 0) return t("common.sold_out");
  if (stock <= 5) return t("common.only_left", { count: stock });
  return t("common.in_stock", { count: stock });
}

/**
 * @param {{id: number, role: string, display_name: string, text: string}} message
 * @param {Node[]} [actions]
 */
export function chatLine(message, actions = []) {
  const badge = message.role !== "viewer" ? el("span", { class: `badge ${message.role}` }, message.role) : "";
  return el(
    "li",
    { class: "chat-line", "data-id": String(message.id) },
    badge,
    el("strong", { class: "author" }, message.display_name),
    el("span", { class: "text" }, message.text),
    ...actions,
  );
}

/** @param {any} error */
export function showError(error) {
  if (error && error.code === "network") return toast(t("common.network_error"));
  toast(error && error.message ? error.message : String(error));
}

/** @param {import("./room.js").Ack} ack */
export function ackError(ack) {
  if (!ack.ok) toast(ack.error.message);
  return !ack.ok;
}
