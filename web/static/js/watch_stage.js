// @ts-check
// What the screen says when there is no picture: not live yet (and when it starts), the host
// reconnecting, the video reconnecting, the show over. And the status pill in the top bar.

import { formatTime, locale, t } from "./i18n.js";
import { $ } from "./ui.js";

// Times from the server are UTC; one stored without its zone (SQLite) must not read as local.
export function utc(iso) {
  return /(Z|[+-]\d\d:?\d\d)$/.test(iso) ? iso : `${iso}Z`;
}

// "in 5 minutes", "in 2 hours", "in 3 days", in the viewer's language (Intl does the grammar).
export function relativeTime(iso, now = Date.now()) {
  const seconds = (Date.parse(utc(iso)) - now) / 1000;
  if (!(seconds > 0)) return "";
  const format = new Intl.RelativeTimeFormat(locale(), { numeric: "auto" });
  const minutes = Math.max(1, Math.round(seconds / 60));
  if (minutes < 60) return format.format(minutes, "minute");
  const hours = Math.round(minutes / 60);
  return hours < 24 ? format.format(hours, "hour") : format.format(Math.round(hours / 24), "day");
}

export class Stage {
  constructor(show, player) {
    this.show = show;
    this.player = player;
    this.gone = false;
  }

  // No such show: say so and nothing else.
  missing() {
    this.gone = true;
    this.render();
  }

  describe() {
    const { stream, publisher } = this.show;
    if (this.gone) return { heading: t("watch.no_show"), more: true };
    if (!stream) return { heading: t("watch.connecting"), spin: true };
    if (stream.status === "ended") {
      return this.show.replay ? null : { heading: t("watch.ended"), detail: t("watch.ended_thanks"), more: true };
    }
    if (stream.status === "scheduled") {
      const when = stream.scheduled_at ? utc(stream.scheduled_at) : null;
      const relative = when ? relativeTime(when) : "";
      const detail = when && relative ? `${t("watch.starts_at", { time: formatTime(when) })} · ${relative}` : t("watch.starts_soon");
      return { heading: t("watch.not_live"), detail, kind: "scheduled" };
    }
    if (publisher === "disconnected") return { heading: t("watch.host_reconnecting"), detail: t("watch.host_reconnecting_detail"), spin: true };
    if (this.player.state === "playing") return null;
    if (this.player.state === "retrying") return { heading: t("watch.video_reconnecting"), spin: true };
    if (this.player.state === "unsupported") return { heading: t("watch.hls_needs_h264"), detail: t("watch.hls_needs_h264_detail") };
    return { heading: t("watch.connecting"), spin: true };
  }

  render() {
    const note = this.describe();
    const status = this.show.stream ? this.show.stream.status : null;
    $("#stage-note").hidden = !note;
    $("#stage-note").dataset.kind = note ? note.kind || status || "" : "";
    $("#stage-heading").textContent = note ? note.heading : "";
    $("#stage-detail").textContent = note ? note.detail || "" : "";
    $("#stage-detail").hidden = !(note && note.detail);
    $("#stage-spinner").hidden = !(note && note.spin);
    $("#stage-more").hidden = !(note && note.more);
    const pill = $("#status");
    pill.textContent = this.show.replay ? t("watch.replay.badge") : status ? t(`common.${status === "live" ? "live" : status}`) : "…";
    pill.className = `pill status ${status || ""}`;
    document.body.dataset.status = status || "";
  }
}
