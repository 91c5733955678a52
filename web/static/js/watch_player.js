// @ts-check
// The live video over WHEP, reconnecting by itself.
//
// A failed or lost session is replaced with a new one after a growing, jittered wait (1 s up to
// 15 s), so a network blip heals without a reload and a restarting server is not stampeded.
// Before the show starts the relay answers `not_live`: we wait for the room's `stream_status`
// (kick()) and poll slowly meanwhile. An ended show stops the player.
//
// While playing, the page tells the relay its player's height (`POST <session>/view`, on
// resize and every few seconds): a simulcast layer is never taller than the player. The answer
// says whether the link holds only audio now; the page then says "poor connection: audio
// only", and that the video is back when the relay steps up again.

import { t } from "./i18n.js";
import { hangUp, iceServers, negotiate } from "./whip.js";

const FIRST_WAIT_MS = 1000;
const LONGEST_WAIT_MS = 15000;
const NOT_LIVE_WAIT_MS = 10000;
const DISCONNECTED_GRACE_MS = 2000; // ICE may recover from "disconnected" by itself: wait a little
const VIEW_MS = 2000; // how often the page tells its size and hears whether it is audio only
const VIDEO_BACK_MS = 4000; // how long "the video is back" stays up

export class Player {
  // onChange(state): "idle", "connecting", "playing", "waiting" (not live), "retrying", "ended"
  constructor(video, url, onChange) {
    this.video = video;
    this.url = url;
    this.onChange = onChange;
    this.state = "idle";
    this.pc = null;
    this.sessionUrl = null;
    this.timer = null;
    this.failures = 0;
    this.wanted = false;
    this.kicked = false;
    this.viewTimer = null;
    this.audioOnly = false;
    this.backTimer = null;
    this.sentHeight = 0;
    this.note = document.getElementById("poor-link");  // "poor connection: audio only"
    window.addEventListener("online", () => this.kick());
    if (window.ResizeObserver) new ResizeObserver(() => { if (this.height() !== this.sentHeight) this.tellSize(); }).observe(video);
  }

  set(state) {
    if (this.state === state) return;
    this.state = state;
    this.onChange(state);
  }

  start() {
    this.wanted = true;
    if (this.state === "idle" || this.state === "ended") this.connect();
  }

  stop(final = true) {
    this.wanted = false;
    clearTimeout(this.timer);
    this.close();
    this.set(final ? "ended" : "idle");
  }

  // Try now instead of waiting out the backoff (the show went live, the network came back).
  kick() {
    if (!this.wanted || this.state === "playing") return;
    this.failures = 0;
    if (this.state === "connecting") this.kicked = true; // the answer under way may be stale
    else this.connect();
  }

  close() {
    clearTimeout(this.viewTimer);
    this.viewTimer = null;
    this.showAudioOnly(false, false);
    if (this.pc) {
      this.pc.onconnectionstatechange = null;
      this.pc.ontrack = null;
      this.pc.close();
      this.pc = null;
    }
    hangUp(this.sessionUrl); // best effort: the relay also drops silent sessions by itself
    this.sessionUrl = null;
  }

  retry(wait) {
    clearTimeout(this.timer);
    if (!this.wanted) return;
    this.timer = setTimeout(() => this.connect(), wait);
  }

  backoff() {
    const wait = Math.min(FIRST_WAIT_MS * 2 ** this.failures, LONGEST_WAIT_MS);
    this.failures += 1;
    return wait * (0.75 + Math.random() * 0.5);
  }

  async connect() {
    clearTimeout(this.timer);
    if (!this.wanted) return;
    this.close();
    this.kicked = false;
    this.set("connecting");
    const servers = await iceServers();
    if (!this.wanted || this.pc) return; // stopped, or another attempt began meanwhile
    const pc = new RTCPeerConnection({ iceServers: servers });
    this.pc = pc;
    pc.addTransceiver("video", { direction: "recvonly" });
    pc.addTransceiver("audio", { direction: "recvonly" });
    const media = new MediaStream();
    pc.ontrack = (event) => {
      media.addTrack(event.track);
      if (this.video.srcObject !== media) this.video.srcObject = media;
    };
    pc.onconnectionstatechange = () => this.watchConnection(pc);
    try {
      this.sessionUrl = await negotiate(pc, this.url);
    } catch (error) {
      if (pc !== this.pc) return;
      this.close();
      if (error.code === "stream_ended") this.stop(true);
      else if (error.code === "webrtc_full") { this.wanted = false; this.set("full"); } // watch_hls.js
      else if (error.code === "not_live") { this.set("waiting"); this.retry(this.kicked ? 0 : NOT_LIVE_WAIT_MS); }
      else { this.set("retrying"); this.retry(this.kicked ? 0 : this.backoff()); }
    }
  }

  watchConnection(pc) {
    if (pc !== this.pc) return;
    const state = pc.connectionState;
    if (state === "connected") {
      clearTimeout(this.timer);
      this.failures = 0;
      this.set("playing");
      this.tellSize();
    } else if (state === "failed" || state === "closed") {
      this.set("retrying");
      this.retry(this.backoff());
    } else if (state === "disconnected") {
      this.set("retrying");
      this.retry(DISCONNECTED_GRACE_MS);
    }
  }

  // The player's height in device pixels, to the relay; its answer: audio only or not.
  async tellSize() {
    const sessionUrl = this.sessionUrl;
    if (!sessionUrl || this.state !== "playing") return;
    clearTimeout(this.viewTimer);
    this.viewTimer = setTimeout(() => this.tellSize(), VIEW_MS);
    const height = this.height();
    this.sentHeight = height;
    try {
      const response = await fetch(`${sessionUrl}/view`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ player_height: height > 0 ? height : null }),
      });
      if (sessionUrl !== this.sessionUrl) return;
      if (response.status === 404) { clearTimeout(this.viewTimer); return; }  // another node's session
      if (response.ok) this.showAudioOnly((await response.json()).audio_only === true, true);
    } catch { /* offline for a moment: the next tick tries again */ }
  }

  height() {
    return Math.round(this.video.clientHeight * (window.devicePixelRatio || 1));
  }

  showAudioOnly(audioOnly, announce) {
    const was = this.audioOnly;
    this.audioOnly = audioOnly;
    if (!this.note) return;
    clearTimeout(this.backTimer);
    if (audioOnly) {
      this.note.textContent = t("watch.audio_only");
      this.note.title = t("watch.audio_only_hint");
      this.note.dataset.state = "audio-only";
      this.note.hidden = false;
    } else if (was && announce) {
      this.note.textContent = t("watch.video_back");
      this.note.title = "";
      this.note.dataset.state = "video-back";
      this.backTimer = setTimeout(() => { this.note.hidden = true; }, VIDEO_BACK_MS);
    } else {
      this.note.hidden = true;
      this.note.dataset.state = "";
    }
  }
}
