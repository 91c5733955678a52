// @ts-check
// The stream-key panel, for publishing from OBS or another WHIP encoder: the server URL and
// the secret key, hidden until the host asks to see it, each with a copy button.

import { api } from "./api.js";
import { t } from "./i18n.js";
import { report } from "./studio_errors.js";
import { $, toast } from "./ui.js";

const MASK = "•".repeat(24);

export class KeyPanel {
  constructor(streamId) {
    this.streamId = streamId;
    this.key = null;
    this.url = null;
    this.shown = false;
    $("#key-reveal").addEventListener("click", () => { this.shown = !this.shown; this.render(); });
    $("#copy-url").addEventListener("click", () => this.copy(this.url, $("#whip-url")));
    $("#copy-key").addEventListener("click", () => this.copy(this.key, $("#stream-key")));
  }

  // Throws the API's error: `forbidden` when this is another host's show.
  async load() {
    const found = await api("GET", `/api/streams/${this.streamId}/key`);
    this.key = found.stream_key;
    this.url = found.whip_url;
    this.render();
    return found;
  }

  render() {
    const reveal = $("#key-reveal");
    reveal.textContent = this.shown ? t("studio.key_hide") : t("studio.key_show");
    reveal.setAttribute("aria-pressed", String(this.shown));
    $("#whip-url").textContent = this.url || "";
    $("#stream-key").textContent = this.shown ? this.key || "" : MASK;
    $("#stream-key").classList.toggle("studio-masked", !this.shown);
    for (const id of ["#key-reveal", "#copy-url", "#copy-key"]) $(id).disabled = !this.key;
  }

  async copy(text, shownIn) {
    if (!text) return;
    try {
      await navigator.clipboard.writeText(text);
    } catch {
      if (!this.copyBySelection(text, shownIn)) { report({ code: "copy_failed" }); return; }
    }
    toast(t("studio.copied"), "ok");
  }

  // Without clipboard access (an insecure origin, a refused permission): the old way.
  copyBySelection(text, shownIn) {
    const before = shownIn.textContent;
    shownIn.textContent = text;
    const range = document.createRange();
    range.selectNodeContents(shownIn);
    const selection = getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    let done;
    try { done = document.execCommand("copy"); } catch { done = false; }
    selection.removeAllRanges();
    shownIn.textContent = before;
    return done;
  }
}
