// @ts-check
// The show's replay setting (docs/protocol.md, "Replays"): after the show its recording plays as
// a shoppable replay, listed (`on`), only by its link (`unlisted`), or not at all (`off`). The
// host changes it here at any time, before, during or after the show.

import { api } from "./api.js";
import { t } from "./i18n.js";
import { errorText } from "./studio_errors.js";
import { $, toast } from "./ui.js";

/** @typedef {"on" | "unlisted" | "off"} Setting */

const SETTINGS = /** @type {Setting[]} */ (["on", "unlisted", "off"]);

export class ReplaySetting {
  /** @param {number} streamId */
  constructor(streamId) {
    this.streamId = streamId;
    /** @type {Setting | null} what the server last said (null: not read yet) */
    this.setting = null;
    this.select = /** @type {HTMLSelectElement} */ ($("#replay-setting"));
    this.select.addEventListener("change", () => this.change(/** @type {Setting} */ (this.select.value)));
    this.render();
  }

  async load() {
    this.setting = (await api("GET", `/api/streams/${this.streamId}`)).replay;
    this.render();
  }

  /** @param {Setting} setting */
  async change(setting) {
    this.select.disabled = true;
    try {
      this.setting = (await api("PATCH", `/api/streams/${this.streamId}/replay`, { replay: setting })).replay;
      toast(t("studio.replay_saved"), "ok");
    } catch (error) {
      toast(errorText(error));  // the select goes back to what the server keeps
    }
    this.render();
  }

  render() {
    const select = this.select;
    for (const option of select.options) option.textContent = t(`studio.replay_${option.value}`);
    if (this.setting && SETTINGS.includes(this.setting)) select.value = this.setting;
    select.disabled = this.setting === null;
    $("#replay-help").textContent = this.setting ? t(`studio.replay_help_${this.setting}`) : "";
  }
}
