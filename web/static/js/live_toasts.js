// @ts-check
// "<host> is live: watch": a toast on any open page when a host the signed-in viewer follows
// goes live. The server puts every signed-in socket in its follows' rooms at connection and
// sends them `host_live` (chat/following_room.py), so the toast rides the page's own Socket.IO
// connection: a page imports this module (one line) and every RoomConnection it connects
// carries the toasts. A page with no room of its own (home, a host's page, the account pages)
// gets one connection that joins no show; it is let go as soon as the page connects its own.
// Guests follow nobody: their pages open no connection for this. Each toast is also told to
// the page as a window event (HOST_LIVE_EVENT), so a list of shows can move the show to "live".
// Strings: common.host_live, common.host_live_watch, common.dismiss (every page loads common).

import { session } from "./api.js";
import { t } from "./i18n.js";
import { RoomConnection } from "./room.js";
import { $, el } from "./ui.js";

const SHOWN_MS = 15000;
const OWN_AFTER_MS = 1500; // the page's own connection usually comes before this
/** @type {WeakSet<RoomConnection>} */
const carrying = new WeakSet();
const toasted = new Set(); // stream ids: two connections of one page toast a show once
/** @type {RoomConnection | null} */
let own = null;
let pageConnected = false;

export const HOST_LIVE_EVENT = "shopcast:host-live"; // on window, its detail the toast's payload

/** @param {{stream_id: number, host_id: number, host: string, title: string, watch_url: string}} live */
export function showLiveToast(live) {
  if (toasted.has(live.stream_id) || location.pathname === live.watch_url) return;
  toasted.add(live.stream_id);
  dispatchEvent(new CustomEvent(HOST_LIVE_EVENT, { detail: live })); // a page may redraw its lists
  const box = $("#toasts") || document.body.appendChild(el("div", { id: "toasts", "aria-live": "polite" }));
  const item = el("div", { class: "toast live-toast", role: "status", "data-stream-id": String(live.stream_id) },
    el("span", {}, t("common.host_live", { host: live.host })),
    el("a", { href: live.watch_url, "aria-label": t("common.host_live_watch_label", { title: live.title }) }, t("common.host_live_watch")),
    el("button", { type: "button", class: "dismiss", "aria-label": t("common.dismiss"), onclick: () => item.remove() }, "×"));
  box.append(item);
  setTimeout(() => item.remove(), SHOWN_MS);
}

/** @param {RoomConnection} connection */
function carry(connection) {
  if (carrying.has(connection)) return;
  carrying.add(connection);
  connection.on("host_live", showLiveToast);
  // Says on the page that toasts can arrive (what a test waits for before a host goes live).
  connection.on("connect", () => { document.body.dataset.liveToasts = "on"; });
  connection.on("disconnect", () => { delete document.body.dataset.liveToasts; });
}

// Every connection the page connects carries the toasts; the first of the page's own retires ours.
const connect = RoomConnection.prototype.connect;
RoomConnection.prototype.connect = function connectCarryingToasts() {
  carry(this);
  if (this !== own) {
    pageConnected = true;
    if (own) {
      own.close();
      own = null;
    }
  }
  return connect.call(this);
};

function openOwn() {
  if (pageConnected || own || !session.signedIn) return;
  own = new RoomConnection();
  own.connect().catch(() => {}); // refused (signed out meanwhile): no toasts, nothing to say
}

// A page with no room of its own calls this to connect at once rather than after a pause.
export function connectForLiveToasts() {
  openOwn();
}

setTimeout(openOwn, OWN_AFTER_MS);
