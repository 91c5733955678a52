// @ts-check
// Buying from the viewer page: one tap, and never two orders for it.
//
// A purchase intent gets one idempotency key when the viewer taps. A retry of that intent (a
// lost answer, a dropped connection, a payment that timed out) sends the same key again, so the
// server answers with the order it already made instead of a second one. A definite answer
// (bought, sold out, declined) closes the intent: the next tap is a new purchase, a new key.

import { describeError } from "./errors.js";
import { t } from "./i18n.js";

// Answers after which the same request may still succeed, and must keep its key.
const RETRYABLE = new Set([
  "disconnected", "timeout", "network", "internal", "unavailable", "rate_limited",
  "payment_timeout", "gateway_error", "capture_failed",
]);

export function isRetryable(code) {
  return RETRYABLE.has(code);
}

// 32 hex characters (the server takes 8-64 of [A-Za-z0-9_-]); getRandomValues also works on
// plain http, where crypto.randomUUID does not exist.
export function newKey() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export class Intents {
  constructor() {
    this.open = new Map();
  }

  // The key for this request: the open intent's, else a new one.
  keyFor(id) {
    if (!this.open.has(id)) this.open.set(id, newKey());
    return this.open.get(id);
  }

  // After an answer: keep the key only when retrying the same request makes sense.
  settle(id, answer) {
    if (answer.ok || !isRetryable(answer.error.code)) this.open.delete(id);
  }

  pending(id) {
    return this.open.has(id);
  }

  forget(id) {
    this.open.delete(id);
  }
}

// What to tell the viewer about a refused purchase or chat line, in their language: our own
// sentence for the codes we know, else the server's message.
/** @param {unknown} error */
export function errorText(error) {
  return describeError(error, "watch", "watch.error.generic");
}

// The order's state as the buyer reads it: "Bought · order #12 paid".
export function orderText(order) {
  const id = String(order.id);
  if (order.status === "reserved" && order.payment_state === "authorized") return t("watch.order.authorized", { id });
  if (order.status === "reserved" && order.payment_state === "requires_action") return t("watch.order.requires_action", { id });
  const key = `watch.order.${order.status}`;
  const text = t(key, { id });
  return text === key ? t("watch.order.reserved", { id }) : text;
}
