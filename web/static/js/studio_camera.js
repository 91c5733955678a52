// @ts-check
// The host's camera and microphone: two labelled selects of the devices, a live preview, a
// microphone level meter, and switching devices at any time (live too: `onTrack` hands the
// new track to the publisher, which swaps it on its sender without renegotiating).

import { t } from "./i18n.js";
import { cameraError, errorText } from "./studio_errors.js";
import { el } from "./ui.js";

const STORE = { video: "shopcast.studio.camera", audio: "shopcast.studio.microphone" };
const KINDS = { video: "videoinput", audio: "audioinput" };

function constraints(kind, deviceId) {
  const chosen = deviceId ? { deviceId: { exact: deviceId } } : {};
  if (kind === "video") return { ...chosen, width: { ideal: 1280 }, height: { ideal: 720 }, frameRate: { ideal: 30 } };
  return { ...chosen, echoCancellation: true, noiseSuppression: true };
}

export class Camera {
  // parts: {preview, selects: {video, audio}, meter, note, noteText, retry}
  constructor(parts) {
    this.parts = parts;
    this.stream = null;
    this.devices = [];
    this.onTrack = null;  // async (kind, track): the publisher's replaceTrack
    this.changed = null;  // () when the camera opens or fails
    this.level = new LevelMeter(parts.meter);
    for (const kind of ["video", "audio"]) {
      parts.selects[kind].addEventListener("change", () => this.use(kind, parts.selects[kind].value));
    }
    parts.retry.addEventListener("click", () => this.start());
    navigator.mediaDevices?.addEventListener?.("devicechange", () => this.listDevices());
  }

  get ready() {
    return Boolean(this.stream && this.stream.getVideoTracks().length);
  }

  // Open the remembered (else default) camera and microphone.
  async start() {
    if (!navigator.mediaDevices?.getUserMedia) return this.fail({ code: "camera_missing" });
    try {
      const stream = await navigator.mediaDevices.getUserMedia({
        video: constraints("video", localStorage.getItem(STORE.video)),
        audio: constraints("audio", localStorage.getItem(STORE.audio)),
      }).catch((error) => {
        if (error.name !== "OverconstrainedError" && error.name !== "NotFoundError") throw error;
        return navigator.mediaDevices.getUserMedia({ video: constraints("video"), audio: constraints("audio") });
      });
      if (this.stream) this.stream.getTracks().forEach((track) => track.stop());
      this.stream = stream;
      stream.getTracks().forEach((track) => this.watchTrack(track));
      this.show();
      this.parts.note.hidden = true;
    } catch (error) {
      this.fail(cameraError(error));
    }
    await this.listDevices();
  }

  fail(error) {
    this.parts.noteText.textContent = errorText(error);
    this.parts.note.hidden = false;
    if (this.changed) this.changed();
  }

  show() {
    this.parts.preview.srcObject = this.stream;
    this.level.listen(this.stream);
    if (this.changed) this.changed();
  }

  // Switch one kind of device: open the new one, hand its track over, then stop the old one.
  async use(kind, deviceId) {
    if (!this.stream) return this.start();
    const old = this.stream.getTracks().filter((track) => track.kind === kind);
    let fresh;
    try {
      fresh = await navigator.mediaDevices.getUserMedia({ [kind]: constraints(kind, deviceId) });
    } catch (error) {
      if (error.name !== "NotReadableError") return this.fail(cameraError(error));
      old.forEach((track) => track.stop());  // some laptops open one camera at a time
      try {
        fresh = await navigator.mediaDevices.getUserMedia({ [kind]: constraints(kind, deviceId) });
      } catch (again) { return this.fail(cameraError(again)); }
    }
    const [track] = fresh.getTracks();
    this.watchTrack(track);
    if (this.onTrack) await this.onTrack(kind, track);
    old.forEach((gone) => { this.stream.removeTrack(gone); gone.stop(); });
    this.stream.addTrack(track);
    localStorage.setItem(STORE[kind], track.getSettings().deviceId || deviceId);
    if (kind === "video") this.show();  // a new microphone leaves the picture alone
    else this.level.listen(this.stream);
    this.parts.note.hidden = true;
    this.markSelected();
  }

  // A device unplugged mid-show: fall back to another one of its kind.
  watchTrack(track) {
    track.addEventListener("ended", async () => {
      if (!this.stream || !this.stream.getTracks().includes(track)) return;
      await this.listDevices();
      const other = this.devices.find((d) => d.kind === KINDS[track.kind] && d.deviceId !== track.getSettings().deviceId);
      if (other) this.use(track.kind, other.deviceId);
      else this.fail({ code: "camera_missing" });
    });
  }

  async listDevices() {
    if (!navigator.mediaDevices?.enumerateDevices) return;
    this.devices = await navigator.mediaDevices.enumerateDevices();
    this.renderDevices();
  }

  renderDevices() {
    for (const kind of ["video", "audio"]) {
      const found = this.devices.filter((d) => d.kind === KINDS[kind] && d.deviceId);
      const name = kind === "video" ? "studio.camera_n" : "studio.microphone_n";
      const options = found.map((d, i) => el("option", { value: d.deviceId }, d.label || t(name, { n: i + 1 })));
      if (!options.length) options.push(el("option", { value: "" }, t("studio.no_devices")));
      this.parts.selects[kind].replaceChildren(...options);
      this.parts.selects[kind].disabled = !found.length;
    }
    this.markSelected();
  }

  // The selects show the devices actually in use.
  markSelected() {
    if (!this.stream) return;
    for (const track of this.stream.getTracks()) {
      const id = track.getSettings().deviceId;
      const select = this.parts.selects[track.kind];
      if (id && [...select.options].some((o) => o.value === id)) select.value = id;
    }
  }
}

// How loud the microphone is, on a <meter>: the host sees at a glance that it picks them up.
class LevelMeter {
  constructor(meter) {
    this.meter = meter;
    this.context = null;
    this.source = null;
    this.timer = null;
  }

  listen(stream) {
    const [track] = stream.getAudioTracks();
    if (!track || !window.AudioContext) return;
    if (!this.context) {
      this.context = new AudioContext();
      this.analyser = this.context.createAnalyser();
      this.analyser.fftSize = 1024;
      this.samples = new Float32Array(this.analyser.fftSize);
      // Browsers start audio only after a gesture: the first click anywhere wakes it.
      document.addEventListener("click", () => this.context.resume(), { once: true });
    }
    if (this.source) this.source.disconnect();
    this.source = this.context.createMediaStreamSource(new MediaStream([track]));
    this.source.connect(this.analyser);
    clearInterval(this.timer);
    this.timer = setInterval(() => this.measure(), 100);
  }

  measure() {
    this.analyser.getFloatTimeDomainData(this.samples);
    let sum = 0;
    for (const sample of this.samples) sum += sample * sample;
    const rms = Math.sqrt(sum / this.samples.length);
    this.meter.value = Math.min(1, rms * 4);  // speech sits around 0.05-0.2 RMS
  }
}
