// @ts-check
// Countdowns for auctions, giveaways and polls on the SERVER's clock: every view the server
// sends carries `ends_at` and `server_time` (both its own), so the time left is their
// difference, counted down from the moment the view arrived on this page's monotonic clock
// (performance.now). The device's wall clock never enters: every page shows the same second.

/**
 * The performance.now() moment at which `view` ends, or null when it has no end.
 * @param {{ends_at?: string | null, server_time: string}} view
 * @returns {number | null}
 */
export function localEnd(view) {
  if (!view.ends_at) return null;
  return performance.now() + (Date.parse(view.ends_at) - Date.parse(view.server_time));
}

/**
 * Milliseconds left until `end` (a localEnd answer), never below 0.
 * @param {number | null} end
 */
export function msLeft(end) {
  return end === null ? 0 : Math.max(0, end - performance.now());
}

/**
 * "0:07", "4:30": a countdown's text.
 * @param {number} ms
 */
export function countdown(ms) {
  const total = Math.max(0, Math.ceil(ms / 1000));
  return `${Math.floor(total / 60)}:${String(total % 60).padStart(2, "0")}`;
}
