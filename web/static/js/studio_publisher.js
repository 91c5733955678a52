// @ts-check
// Going live from the browser over WHIP, staying live when the connection drops, ending.
//
// States: "idle" (not sending from this page), "connecting", "live" (media flowing),
// "reconnecting" (the session dropped: a new WHIP session on the same stream, with backoff),
// "ended". A dropped session is never DELETEd: that would end the show for everyone.
// Video goes out as one layer; with ?simulcast=1 as simulcast (full, half, quarter) where the
// browser can. Not by default yet: the relay records only the full layer, which Chromium pauses
// while its bandwidth estimate is low, so a simulcast show could end with no recording.
// While live, the layers being sent are announced every 2 s as a "publisher-layers" event.

import { api } from "./api.js";
import { addVideo, negotiate, preferH264, sentLayers } from "./whip.js";

const SIMULCAST = new URLSearchParams(location.search).get("simulcast") === "1";

const LAYERS_MS = 2000;
const GIVE_UP_ON_START_MS = 45000;  // a stale session of ours can take ~30 s to be dropped
const DISCONNECTED_GRACE_MS = 4000;  // "disconnected" often heals by itself
const FATAL = new Set(["bad_stream_key", "stream_not_found", "forbidden", "unsupported_codec", "bad_sdp"]);

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export class Publisher {
  constructor({ streamId, camera, changed, failed }) {
    this.streamId = streamId;
    this.camera = camera;
    this.changed = changed;  // (state, detail) on every move
    this.failed = failed;  // (error) when it gives up
    this.key = null;
    this.pc = null;
    this.session = null;
    this.state = "idle";
    this.detail = {};
    this.wanted = false;  // the host asked to be live and has not ended
    this.running = false;  // a connect loop is under way
    this.graceTimer = null;
    this.layersTimer = null;
  }

  setState(state, detail = {}) {
    this.state = state;
    this.detail = detail;
    this.changed(state, detail);
    clearInterval(this.layersTimer);
    if (state === "live") this.layersTimer = setInterval(() => this.reportLayers(), LAYERS_MS);
    else document.dispatchEvent(new CustomEvent("publisher-layers", { detail: { layers: [], seconds: 0 } }));
  }

  async reportLayers() {
    const pc = this.pc;
    if (!pc) return;
    const layers = await sentLayers(pc).catch(() => []);
    if (pc === this.pc) document.dispatchEvent(new CustomEvent("publisher-layers", { detail: { layers, seconds: LAYERS_MS / 1000 } }));
  }

  async start() {
    if (this.wanted || this.state === "ended") return;
    this.wanted = true;
    await this.run("start");
  }

  // The server told the room our publisher dropped, or the peer connection failed.
  lost() {
    if (!this.wanted || this.running) return;
    this.closePeer();
    this.run("reconnect");
  }

  async run(reason) {
    this.running = true;
    const deadline = reason === "start" ? performance.now() + GIVE_UP_ON_START_MS : Infinity;
    let delay = 1000;
    let attempt = 1;
    try {
      while (this.wanted) {
        this.setState(reason === "start" && attempt === 1 ? "connecting" : "reconnecting", { attempt });
        try {
          await this.connectOnce();
          return;
        } catch (error) {
          this.closePeer();
          if (!this.wanted) return;
          if (error.code === "stream_ended") return this.stop();
          const retry = error.code === "already_publishing" || reason === "reconnect";
          if (FATAL.has(error.code) || !retry || performance.now() + delay > deadline) return this.giveUp(error);
          this.setState("reconnecting", { attempt, code: error.code });
          await sleep(delay);
          delay = Math.min(delay * 2, 10000);
          attempt += 1;
        }
      }
    } finally {
      this.running = false;
    }
  }

  async connectOnce() {
    if (!this.key) this.key = (await api("GET", `/api/streams/${this.streamId}/key`)).stream_key;
    const pc = new RTCPeerConnection();
    this.pc = pc;
    for (const track of this.camera.stream.getTracks()) {
      if (track.kind === "video") preferH264(addVideo(pc, track, this.camera.stream, SIMULCAST));
      else pc.addTransceiver(track, { direction: "sendonly", streams: [this.camera.stream] });
    }
    pc.addEventListener("connectionstatechange", () => this.watch(pc));
    this.session = await negotiate(pc, `/whip/${this.streamId}`, this.key);
    if (pc !== this.pc) throw Object.assign(new Error("replaced"), { code: "disconnected" });
    if (pc.connectionState === "connected") this.setState("live");
  }

  watch(pc) {
    if (pc !== this.pc) return;
    clearTimeout(this.graceTimer);
    const state = pc.connectionState;
    if (state === "connected" && this.session) this.setState("live");
    else if (state === "failed") this.lost();
    else if (state === "disconnected") {
      this.graceTimer = setTimeout(() => { if (pc === this.pc && pc.connectionState !== "connected") this.lost(); }, DISCONNECTED_GRACE_MS);
    }
  }

  // The camera or microphone changed: swap the track on the live sender, no renegotiation.
  async replaceTrack(kind, track) {
    if (!this.pc) return;
    for (const sender of this.pc.getSenders()) {
      if (sender.track && sender.track.kind === kind) await sender.replaceTrack(track);
    }
  }

  // End the show for everyone: the server stops the publisher and closes purchases.
  async end() {
    try {
      await api("POST", `/api/streams/${this.streamId}/end`);
    } catch (error) {
      if (error.code !== "stream_ended") {
        this.failed(error);
        return false;
      }
    }
    this.stop();
    return true;
  }

  // The show is over (ended here or elsewhere): stop sending.
  stop() {
    this.wanted = false;
    this.closePeer();
    this.setState("ended");
  }

  giveUp(error) {
    this.wanted = false;
    this.setState("idle");
    this.failed(error);
  }

  closePeer() {
    clearTimeout(this.graceTimer);
    if (this.pc) this.pc.close();
    this.pc = null;
    this.session = null;
  }

  // Leaving the page mid-show: drop the connection, keep the show live (the host may come back).
  leave() {
    this.wanted = false;
    this.closePeer();
  }
}
