// @ts-check
// The live video over WHEP, reconnecting by itself.
//
// A failed or lost session is replaced with a new one after a growing, jittered wait (1 s up to
// 15 s), so a network blip heals without a reload and a restarting server is not stampeded.
// Before the show starts the relay answers `not_live`: we wait for the room's `stream_status`
// (kick()) and poll slowly meanwhile. An ended show stops the player.

import { hangUp, iceServers, negotiate } from "./whip.js";

const FIRST_WAIT_MS = 1000;
const LONGEST_WAIT_MS = 15000;
const NOT_LIVE_WAIT_MS = 10000;
const DISCONNECTED_GRACE_MS = 2000; // ICE may recover from "disconnected" by itself: wait a little

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
    window.addEventListener("online", () => this.kick());
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
    } else if (state === "failed" || state === "closed") {
      this.set("retrying");
      this.retry(this.backoff());
    } else if (state === "disconnected") {
      this.set("retrying");
      this.retry(DISCONNECTED_GRACE_MS);
    }
  }
}
