// @ts-check
// A page's connection to the live room, on the official Socket.IO client (socket.io-client from
// npm, served by the server at /static/vendor/, see server/edge/http/pages.py). It adds what the
// pages rely on: a busy room's `batch` frames unpacked into their events, acks that always
// answer ({ok: false, error: {code: "timeout" | "disconnected"}} rather than a throw), emits that
// wait for the connection (so a page's rejoin goes first), `onReconnect`, and `connect_error`
// only for a refusal by the server (a network error just retries). The client's defaults stay:
// long-polling first, then the upgrade to WebSocket; silence past the server's ping interval
// and timeout drops a dead link. A server run as several workers (`shopcast serve --workers N`)
// refuses long-polling, and `tryAllTransports` then opens the WebSocket straight away. Connection-state recovery needs the server's side, which
// python-socketio does not have (its CONNECT answer carries no `pid`): `socket.recovered` is
// always false, and a page joins its room again on every connect.
// Who is connecting rides in the session cookie the browser sends with the handshake (same
// origin only: the server refuses another site's pages); `auth` carries only the device id.

import { io } from "../vendor/socket.io.esm.min.js";

/** @typedef {{code: string, message?: string, retry_after_s?: number}} WireError */
/** @typedef {{ok: boolean, error?: any, [field: string]: any}} Ack */
/** @typedef {(payload: any) => void} Handler */

const ACK_TIMEOUT_MS = 10000;
// The events the client itself raises; every other name is the server's.
const OWN = new Set(["connect", "disconnect", "connect_error"]);

export class RoomConnection {
  constructor() {
    /** @type {Map<string, Handler[]>} */
    this.handlers = new Map();
    /** @type {(() => void) | null} called on every connect after the first */
    this.onReconnect = null;
    this.everConnected = false;
    this.closed = false;
    this.socket = io({
      auth: { device: deviceId() },
      autoConnect: false,
      forceNew: true, // this page's own connection: a new RoomConnection never shares one
      tryAllTransports: true,
      // Back off from half a second up to 10 s, so a restarting server is not stampeded.
      reconnectionDelay: 500,
      reconnectionDelayMax: 10000,
    });
    this.ready = this.waitForConnect();
    this.socket.on("batch", (items) => {
      // A busy room sends its events of a short window as one frame: [[name, data], ...].
      if (Array.isArray(items)) for (const [name, data] of items) this.fire(name, data);
    });
    this.socket.io.on("open", () => {
      // The server ended the Engine.IO session ("1"): the client ignores that packet and the
      // server (python-engineio) keeps the WebSocket open until its ping timeout, so close it
      // now and reconnect at once instead of ~45 s later.
      const engine = this.socket.io.engine;
      engine.on("packet", ({ type }) => { if (type === "close") engine.close(); });
    });
    this.socket.on("connect", () => this.connected());
    this.socket.on("disconnect", (reason) => this.lost(reason));
    this.socket.on("connect_error", (error) => {
      // Still active: unreachable, it retries by itself. Not active: refused (e.g. bad_token),
      // and asking again would be refused again.
      if (this.socket.active) return;
      this.refuse(error);
    });
  }

  /**
   * @param {string} name
   * @param {Handler} fn
   * @returns {this}
   */
  on(name, fn) {
    let list = this.handlers.get(name);
    if (!list) {
      list = [];
      this.handlers.set(name, list);
      if (!OWN.has(name) && name !== "batch") this.socket.on(name, (payload) => this.fire(name, payload));
    }
    list.push(fn);
    return this;
  }

  /** Connect; resolves once in the room's namespace, rejects if the server refuses. */
  connect() {
    this.socket.connect();
    return this.ready;
  }

  /** @returns {Promise<void>} */
  waitForConnect() {
    const next = new Promise((resolve, reject) => { this.settle = { resolve, reject }; });
    next.catch(() => {}); // a refusal nobody waits for is no page error: connect_error tells it
    return /** @type {Promise<void>} */ (next);
  }

  connected() {
    const again = this.everConnected;
    this.everConnected = true;
    this.settle.resolve();
    if (again && this.onReconnect) this.onReconnect();
    this.fire("connect", null);
  }

  /** @param {string} reason */
  lost(reason) {
    if (this.closed) return; // the page let go of this connection: nothing to tell it
    this.ready = this.waitForConnect();
    this.fire("disconnect", null);
    // The server closed this socket (a ban, a node shutting down): the client would not come
    // back by itself. Come back, after a pause: a ban is then refused at join.
    if (reason === "io server disconnect") {
      setTimeout(() => { if (!this.closed) this.socket.connect(); }, 250 + Math.random() * 500);
    }
  }

  /** @param {Error & {data?: unknown}} error */
  refuse(error) {
    const refusal = { message: error.message || "refused", data: error.data };
    this.settle.reject(new Error(refusal.message));
    this.fire("connect_error", refusal);
  }

  /**
   * @param {string} name
   * @param {any} payload
   */
  fire(name, payload) {
    for (const fn of this.handlers.get(name) || []) fn(payload);
  }

  /**
   * Emit an event and resolve with its ack: {ok: true, ...} or {ok: false, error: {code, message}}.
   * @param {string} name
   * @param {object} [payload]
   * @returns {Promise<Ack>}
   */
  async emit(name, payload) {
    try {
      if (!this.socket.connected) await this.ready;
      return await this.socket.timeout(ACK_TIMEOUT_MS).emitWithAck(name, payload ?? {});
    } catch (error) {
      const late = String(error instanceof Error ? error.message : error).includes("timed out");
      return late
        ? { ok: false, error: { code: "timeout", message: "the server did not answer in time" } }
        : { ok: false, error: { code: "disconnected", message: "connection lost; try again" } };
    }
  }

  close() {
    this.closed = true;
    this.socket.close();
  }
}

// A random id this browser keeps: with the address it makes a guest's fingerprint, so a guest
// ban outlasts a new guest name (docs/protocol.md, Socket.IO).
export function deviceId() {
  let id = localStorage.getItem("shopcast.device");
  if (!id) {
    id = Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");
    localStorage.setItem("shopcast.device", id);
  }
  return id;
}
