// A small Socket.IO v5 client (Engine.IO v4, WebSocket transport only), written for Shopcast.
// Packets: "0{open}" "2" ping -> "3" pong; "40{auth}" connect; "42[...]" event;
// "42<id>[...]" event with ack; "43<id>[...]" ack answer; "44{...}" connect refused.
// Who is connecting rides in the session cookie the browser sends with the handshake (same
// origin only: the server refuses another site's pages); `auth` carries only the device id.

export class Realtime {
  constructor() {
    this.handlers = new Map();
    this.pending = new Map();
    this.nextAck = 1;
    this.delay = 500;
    this.closed = false;
    this.connected = false;
    this.onReconnect = null;
  }

  on(name, fn) {
    if (!this.handlers.has(name)) this.handlers.set(name, []);
    this.handlers.get(name).push(fn);
    return this;
  }

  connect() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const ws = new WebSocket(`${scheme}://${location.host}/socket.io/?EIO=4&transport=websocket`);
    this.ws = ws;
    this.ready = new Promise((resolve, reject) => { this.settle = { resolve, reject }; });
    ws.onmessage = (msg) => this.receive(String(msg.data));
    ws.onclose = () => this.lost();
    return this.ready;
  }

  receive(data) {
    const type = data[0];
    this.heard();
    if (data === "1" || data.startsWith("41")) {
      // The server closed the session (Engine.IO close, Socket.IO disconnect): reconnect.
      this.drop();
      return;
    }
    if (type === "0") {
      const open = JSON.parse(data.slice(1) || "{}");
      // Silence past the server's ping interval plus its timeout means the link died
      // without a close (a phone changing networks): drop it instead of waiting for TCP.
      this.silenceMs = (open.pingInterval || 25000) + (open.pingTimeout || 20000);
      this.heard();
      this.ws.send("40" + JSON.stringify({ device: deviceId() }));
    } else if (type === "2") {
      this.ws.send("3");
    } else if (type === "4") {
      this.packet(data.slice(1));
    }
  }

  packet(data) {
    const kind = data[0];
    const body = data.slice(1);
    if (kind === "0") {
      const wasConnected = this.everConnected;
      this.connected = this.everConnected = true;
      this.delay = 500;
      this.settle.resolve();
      if (wasConnected && this.onReconnect) this.onReconnect();
      this.fire("connect", null);
    } else if (kind === "4") {
      const error = JSON.parse(body || "{}");
      this.closed = true;  // refused (e.g. bad_token): retrying would be refused again
      this.settle.reject(new Error(error.message || "refused"));
      this.fire("connect_error", error);
      this.ws.close();
    } else if (kind === "2") {
      const [name, payload] = JSON.parse(body);
      this.fire(name, payload);
    } else if (kind === "3") {
      const split = body.indexOf("[");
      const id = Number(body.slice(0, split));
      const answer = this.pending.get(id);
      this.pending.delete(id);
      if (answer) answer(JSON.parse(body.slice(split))[0]);
    }
  }

  fire(name, payload) {
    // A busy room sends its events of a short window as one "batch" frame: [[name, data], ...].
    if (name === "batch" && Array.isArray(payload)) {
      for (const [inner, data] of payload) this.fire(inner, data);
      return;
    }
    for (const fn of this.handlers.get(name) || []) fn(payload);
  }

  // Emit an event and resolve with its ack: {ok: true, ...} or {ok: false, error: {code, message}}.
  async emit(name, payload) {
    if (!this.connected) await this.ready;
    const id = this.nextAck++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        resolve({ ok: false, error: { code: "timeout", message: "the server did not answer in time" } });
      }, 10000);
      this.pending.set(id, (answer) => { clearTimeout(timer); resolve(answer); });
      this.ws.send(`42${id}` + JSON.stringify([name, payload ?? {}]));
    });
  }

  heard() {
    clearTimeout(this.silence);
    if (this.silenceMs) this.silence = setTimeout(() => this.drop(), this.silenceMs);
  }

  // Forget this socket now (a dead link may take long to report its close) and reconnect.
  drop() {
    const ws = this.ws;
    if (!ws || ws.onclose === null) return;
    ws.onmessage = null;
    ws.onclose = null;
    ws.close();
    this.lost();
  }

  lost() {
    clearTimeout(this.silence);
    const was = this.connected;
    this.connected = false;
    for (const answer of this.pending.values()) {
      answer({ ok: false, error: { code: "disconnected", message: "connection lost; try again" } });
    }
    this.pending.clear();
    if (was) this.fire("disconnect", null);
    if (this.closed) return;
    // Back off up to 10 s, so a restarting server is not stampeded by every viewer at once.
    const wait = this.delay * (0.5 + Math.random());
    this.delay = Math.min(this.delay * 2, 10000);
    setTimeout(() => this.connect().catch(() => {}), wait);
  }

  close() {
    clearTimeout(this.silence);
    this.closed = true;
    if (this.ws) this.ws.close();
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
