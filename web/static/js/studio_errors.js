// @ts-check
// Refusals shown to the host in their language: the server's stable error code picks the
// message (docs/protocol.md, "Errors"); a code we have no words for shows the server's own.

import { describeError } from "./errors.js";
import { toast } from "./ui.js";

// `error`: an ApiError, an ack's {code, message}, a DOMException from the camera, or text.
/** @param {unknown} error */
export function errorText(error) {
  return describeError(error, "studio", "studio.error.other");
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
