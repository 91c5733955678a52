// @ts-check
// Refusals in the page's language, for every page: the server's stable error code picks
// `<page>.error.<code>` (docs/protocol.md, "Errors"); a code the page has no words for shows the
// server's own message, or the page's fallback text.

import { t } from "./i18n.js";

/**
 * What can be refused: an ack's {code, message, retry_after_s}, an ApiError, a DOMException
 * from the camera, or plain text.
 * @typedef {{code?: unknown, message?: unknown, retry_after_s?: unknown} | string | null | undefined} Refusal
 */

/**
 * @param {Refusal | unknown} error
 * @param {string} page the catalog's page: "watch", "studio", "moderate", "seller"
 * @param {string} fallback the page's text for a code it has no words for; when that text has
 *   a {message} placeholder, the server's message goes in it
 * @returns {string}
 */
export function describeError(error, page, fallback) {
  /** @type {{code?: unknown, message?: unknown, retry_after_s?: unknown}} */
  const parts = error !== null && typeof error === "object" ? error : { message: error ?? "" };
  const message = parts.message ? String(parts.message) : "";
  if (typeof parts.code === "string" && parts.code) {
    const key = `${page}.error.${parts.code}`;
    const text = t(key, { seconds: Math.ceil(Number(parts.retry_after_s) || 0), message });
    if (text !== key) return text;
    if (parts.code === "network") return t("common.network_error");
  }
  const plain = t(fallback);
  const worded = t(fallback, { message });
  if (worded !== plain) return worded; // the fallback shows the server's message itself
  return message || plain;
}
