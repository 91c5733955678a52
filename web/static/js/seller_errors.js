// @ts-check
// API refusals in the page's language (docs/protocol.md#errors), else the server's message.

import { describeError } from "./errors.js";
import { toast } from "./ui.js";

/** @param {unknown} error */
export function errorText(error) {
  return describeError(error, "seller", "seller.error.unknown");
}

/** @param {unknown} error */
export function failed(error) {
  toast(errorText(error));
}
