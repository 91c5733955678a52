// Small DOM helpers. Text from people (chat, product texts) only ever goes in as textContent.

export const $ = (selector, root = document) => root.querySelector(selector);

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

export function toast(message, kind = "error") {
  const box = $("#toasts") || document.body.appendChild(el("div", { id: "toasts", "aria-live": "polite" }));
  const item = el("div", { class: `toast ${kind}`, role: kind === "error" ? "alert" : "status" }, message);
  box.append(item);
  setTimeout(() => item.remove(), 5000);
}

export function price(minor, currency, locale = navigator.language) {
  return new Intl.NumberFormat(locale, { style: "currency", currency }).format(minor / 100);
}

export function stockLabel(stock) {
  if (stock <= 0) return "Sold out";
  if (stock <= 5) return `Only ${stock} left`;
  return `${stock} in stock`;
}

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

export function showError(error) {
  toast(error && error.message ? error.message : String(error));
}

export function ackError(ack) {
  if (!ack.ok) toast(ack.error.message);
  return !ack.ok;
}
