// @ts-check
// The live video over WebRTC, or over LL-HLS when WebRTC cannot carry it here.
//
// WatchPlayer starts with WebRTC (watch_player.js) and moves to HLS for good when the browser
// has no WebRTC, when the server says the show's WebRTC capacity on this node is full
// (WHEP `webrtc_full`), or when WebRTC fails twice in a row before ever playing. HLS plays
// through hls.js (npm, served at /static/vendor/) where Media Source Extensions exist, else
// through the browser's own HLS (Safari, iOS). The page shows how far behind live it is.
// Chat, pins and buying do not depend on the path: they are the room's (watch.js).

import Hls from "../vendor/hls.min.mjs";
import { t } from "./i18n.js";
import { Player } from "./watch_player.js";

const FAILURES_BEFORE_HLS = 2;
const RETRY_MS = 2000;
const NOT_LIVE_RETRY_MS = 5000;
const LATENCY_EVERY_MS = 1000;

function hasWebRtc() {
  return typeof window.RTCPeerConnection === "function";
}

export class WatchPlayer {
  // onChange(state): the states of watch_player.js; `path` says "webrtc" or "hls".
  constructor(video, streamId, onChange, latencyNote) {
    this.video = video;
    this.streamId = streamId;
    this.onChange = onChange;
    this.latencyNote = latencyNote;
    this.failures = 0;
    this.played = false;
    this.hls = null;
    this.webrtc = new Player(video, `/whep/${streamId}`, (state) => this.fromWebrtc(state));
    const forced = new URLSearchParams(location.search).get("path") === "hls";
    if (forced || !hasWebRtc()) this.toHls();
  }

  get state() {
    return (this.hls ?? this.webrtc).state;
  }

  get path() {
    return this.hls ? "hls" : "webrtc";
  }

  start() {
    (this.hls ?? this.webrtc).start();
  }

  stop(final = true) {
    this.webrtc.stop(final);
    this.hls?.stop(final);
  }

  kick() {
    (this.hls ?? this.webrtc).kick();
  }

  fromWebrtc(state) {
    if (this.hls) return;
    if (state === "playing") { this.played = true; this.failures = 0; }
    if (state === "full") { this.toHls(true); return; }
    if (state === "retrying" && !this.played && ++this.failures >= FAILURES_BEFORE_HLS) {
      this.toHls(true);
      return;
    }
    this.onChange(state);
  }

  toHls(start = false) {
    this.webrtc.stop(false);
    this.video.srcObject = null;
    this.hls = new HlsPlayer(this.video, `/hls/${this.streamId}/playlist.m3u8`, this.onChange, this.latencyNote);
    if (start) this.hls.start();
  }
}

export class HlsPlayer {
  constructor(video, url, onChange, latencyNote) {
    this.video = video;
    this.url = url;
    this.onChange = onChange;
    this.latencyNote = latencyNote;
    this.state = "idle";
    this.wanted = false;
    this.engine = null;
    this.timer = null;
    this.clock = null;
    video.addEventListener("playing", () => { if (this.wanted) this.set("playing"); });
  }

  set(state) {
    if (this.state === state) return;
    this.state = state;
    this.onChange(state);
  }

  start() {
    this.wanted = true;
    if (this.state === "idle" || this.state === "ended") this.load();
  }

  stop(final = true) {
    this.wanted = false;
    clearTimeout(this.timer);
    this.close();
    this.set(final ? "ended" : "idle");
  }

  kick() {
    if (this.wanted && this.state !== "playing" && this.state !== "connecting") this.load();
  }

  close() {
    clearInterval(this.clock);
    this.clock = null;
    if (this.engine) this.engine.destroy();
    this.engine = null;
    if (this.latencyNote) this.latencyNote.hidden = true;
  }

  retry(wait) {
    clearTimeout(this.timer);
    this.close();
    if (this.wanted) this.timer = setTimeout(() => this.load(), wait);
  }

  async load() {
    clearTimeout(this.timer);
    this.close();
    if (!this.wanted) return;
    this.set("connecting");
    // Is there anything to play yet? (not live: wait; VP8 or ended: say so, stop)
    let answer;
    try {
      answer = await fetch(this.url, { cache: "no-store" });
    } catch {
      this.set("retrying");
      this.retry(RETRY_MS);
      return;
    }
    if (!this.wanted) return;
    if (!answer.ok) {
      const body = await answer.json().catch(() => ({}));
      const code = body?.error?.code;
      if (code === "hls_needs_h264") this.set("unsupported");
      else if (answer.status === 404 || answer.status === 503) { this.set("waiting"); this.retry(NOT_LIVE_RETRY_MS); }
      else { this.set("retrying"); this.retry(RETRY_MS); }
      return;
    }
    if (Hls.isSupported()) this.playWithHlsJs();
    else if (this.video.canPlayType("application/vnd.apple.mpegurl")) {
      this.video.src = this.url;
      this.video.play().catch(() => {});
    } else {
      this.set("unsupported");
      return;
    }
    this.clock = setInterval(() => this.showLatency(), LATENCY_EVERY_MS);
  }

  playWithHlsJs() {
    // No worker: the pages' CSP allows none (worker-src 'none'); demuxing fMP4 is light.
    const engine = new Hls({ lowLatencyMode: true, enableWorker: false, backBufferLength: 30 });
    this.engine = engine;
    engine.on(Hls.Events.ERROR, (_event, data) => {
      if (data.fatal && engine === this.engine) { this.set("retrying"); this.retry(RETRY_MS); }
    });
    engine.on(Hls.Events.MANIFEST_PARSED, () => { this.video.play().catch(() => {}); });
    engine.loadSource(this.url);
    engine.attachMedia(this.video);
  }

  // Seconds behind live: hls.js measures it from the playlist's edge; Safari from the
  // playlist's EXT-X-PROGRAM-DATE-TIME (the ingest node's clock when the frame arrived).
  latency() {
    if (this.engine) return this.engine.latency;
    const start = /** @type {any} */ (this.video).getStartDate?.();
    const at = start ? start.getTime() + this.video.currentTime * 1000 : NaN;
    return Number.isFinite(at) ? (Date.now() - at) / 1000 : NaN;
  }

  showLatency() {
    const seconds = this.latency();
    const note = this.latencyNote;
    if (!note) return;
    note.hidden = !(this.state === "playing" && Number.isFinite(seconds) && seconds >= 0);
    if (!note.hidden) note.textContent = t("watch.hls_latency", { seconds: Math.round(seconds * 10) / 10 });
    note.dataset.latency = String(seconds);
  }
}
