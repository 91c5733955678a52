// Refusals shown to the host in their language: the server's stable error code picks the
// message (docs/protocol.md, "Errors"); a code we have no words for shows the server's own.

import { t } from "./i18n.js";
import { toast } from "./ui.js";

// The codes the studio can meet, each with a studio.error.<code> string in every catalog.
export const KNOWN_CODES = [
  "already_publishing", "auth_required", "bad_deal_currency", "bad_deal_limit", "bad_deal_price",
  "bad_deal_quantity", "bad_deal_window", "bad_duration_s", "bad_per_buyer_limit",
  "bad_price_minor", "bad_quantity", "bad_stream_key", "bad_token", "camera_busy",
  "camera_denied", "camera_missing", "copy_failed", "deal_exists", "deal_not_found",
  "disconnected", "empty", "forbidden", "internal", "message_not_found", "muted", "network",
  "not_a_question", "not_in_lineup", "not_joined", "rate_limited", "slow_mode",
  "stream_ended", "stream_not_found", "timeout", "too_long", "unsupported_codec",
  "variant_not_found",
];

// `error`: an ApiError, an ack's {code, message}, a DOMException from the camera, or text.
export function errorText(error) {
  const code = error && error.code;
  if (typeof code === "string" && KNOWN_CODES.includes(code)) return t(`studio.error.${code}`);
  const message = error && error.message ? error.message : String(error);
  return t("studio.error.other", { message });
}

export function report(error) {
  toast(errorText(error));
}

// An ack is {ok: true, …} or {ok: false, error}: report a refusal, say whether there was one.
export function refused(ack) {
  if (ack.ok) return false;
  report(ack.error);
  return true;
}

// getUserMedia's failures by name, as codes of ours.
export function cameraError(error) {
  const byName = {
    NotAllowedError: "camera_denied", SecurityError: "camera_denied",
    NotFoundError: "camera_missing", OverconstrainedError: "camera_missing",
    NotReadableError: "camera_busy", AbortError: "camera_busy",
  };
  return { code: byName[error && error.name] || "other", message: error && error.message };
}
