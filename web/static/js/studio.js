// @ts-check
// The host studio (issue 6): camera and microphone, going live over WHIP, live stats, the
// line-up with pins and flash deals, the chat with its question queue, the stream key for OBS.
// This module puts the parts together; each part is a studio_*.js module of its own.

import { session, streamIdFromPath } from "./api.js";
import { languageSwitcher, loadMessages, t } from "./i18n.js";
import { RoomConnection } from "./room.js";
import "./live_toasts.js"; // "<host> is live" toasts for the hosts this account follows
import "./studio_followers.js"; // the host's follower count in the header
import { ensureSignedIn } from "./signin.js";
import { Camera } from "./studio_camera.js";
import { Chat } from "./studio_chat.js";
import { Deals } from "./studio_deals.js";
import { Engage } from "./studio_engage.js";
import { refused, report } from "./studio_errors.js";
import { KeyPanel } from "./studio_key.js";
import { Lineup } from "./studio_lineup.js";
import { Publisher } from "./studio_publisher.js";
import { ReplaySetting } from "./studio_replay.js";
import { StudioReviews } from "./studio_reviews.js";
import { Stats } from "./studio_stats.js";
import { $ } from "./ui.js";

const streamId = streamIdFromPath();
// What the room last said: status "scheduled" | "live" | "ended" (null before joining), and
// whether a publisher (this page, or OBS) is connected (null: not said yet).
const show = { status: null, publisher: null, title: "" };
const parts = {};

function gate(text, signIn) {
  $("#studio").hidden = true;
  $("#gate").hidden = false;
  $("#gate-text").textContent = text;
  $("#gate-signin").hidden = !signIn;
}

// The LIVE badge, the go-live/end buttons and the line under them, from the publisher's state
// and the show's.
function renderOnAir() {
  const { publisher, camera } = parts;
  const state = publisher.state;
  const ended = show.status === "ended" || state === "ended";
  let badge = [t("studio.connecting"), "pending"];
  let signal;
  if (ended) { badge = [t("common.ended"), "ended"]; signal = t("studio.signal_ended"); }
  else if (state === "live") { badge = [t("common.live"), "live"]; signal = t("studio.signal_live"); }
  else if (state === "connecting") signal = t("studio.signal_connecting");
  else if (state === "reconnecting") {
    badge = [t("studio.reconnecting"), "pending"];
    signal = publisher.detail.code === "already_publishing"
      ? t("studio.signal_waiting_old")
      : t("studio.signal_reconnecting", { count: publisher.detail.attempt || 1 });
  } else if (show.status === "live") {
    badge = [t("common.live"), "live"];
    signal = show.publisher === "connected" ? t("studio.signal_elsewhere") : t("studio.signal_not_sending");
  } else {
    badge = show.status ? [t("common.scheduled"), "scheduled"] : [t("common.loading"), "scheduled"];
    signal = camera.ready ? t("studio.signal_ready") : t("studio.signal_need_camera");
  }
  $("#status").textContent = badge[0];
  $("#status").className = `pill ${badge[1]}`;
  $("#signal").textContent = signal;
  const busy = { live: "studio.on_air", connecting: "studio.connecting", reconnecting: "studio.reconnecting" }[state];
  $("#golive").textContent = t(busy || (show.status === "live" && !ended ? "studio.resume" : "studio.go_live"));
  $("#golive").disabled = ended || !show.status || state !== "idle" || !camera.ready;
  $("#end").disabled = ended || !show.status;
  document.body.dataset.onAir = state;
}

function renderTitle() {
  $("#title").textContent = show.title || t("studio.title");
  document.title = `${show.title || t("studio.title")} · ${t("studio.brand")} · Shopcast`;
}

function rerender() {
  renderTitle();
  parts.camera.renderDevices();
  parts.keys.render();
  parts.replay.render();
  parts.stats.render();
  parts.lineup?.render();
  parts.chat?.render();
  parts.engage?.render(true);
  renderOnAir();
}

async function join() {
  const ack = await parts.room.emit("join", { stream_id: streamId });
  if (refused(ack)) return;
  const { state } = ack;
  show.status = state.stream.status;
  show.title = state.stream.title;
  renderTitle();
  parts.stats.apply(state);
  parts.deals.apply(state.deals);
  parts.lineup.apply(state);
  parts.chat.apply(state);
  parts.engage.apply(state);
  if (show.status === "ended") ended();
  renderOnAir();
}

// The show is over (ended here, or by staff): stop sending; its pins went with it.
function ended() {
  show.status = "ended";
  parts.publisher.stop();
  parts.lineup?.setPins([]);
  renderOnAir();
}

function openRoom() {
  const room = new RoomConnection();
  parts.room = room;
  parts.deals = new Deals(room, (productId) => parts.lineup.dealChanged(productId));
  parts.lineup = new Lineup($("#lineup"), $("#pin-count"), room, parts.deals);
  parts.chat = new Chat(room);
  parts.engage = new Engage($("#engage"), room);  // auctions, giveaways, polls
  for (const part of [parts.stats, parts.deals, parts.lineup, parts.chat, parts.engage]) part.bind(room);
  room
    .on("stream_status", ({ status, publisher }) => {
      show.status = status;
      show.publisher = publisher;
      if (status === "ended") ended();
      else if (publisher === "disconnected") parts.publisher.lost();  // the server lost us
      renderOnAir();
    })
    .on("connect_error", async ({ message }) => {
      if (message === "bad_token") { await session.clear(); gate(t("studio.signed_out"), true); }
    });
  room.onReconnect = join;
  return room.connect().then(join);
}

async function open() {
  const user = await ensureSignedIn({ title: t("studio.sign_in_title") });
  if (!user) { gate(t("studio.signed_out"), true); return; }
  $("#who").textContent = user.display_name;
  try {
    await parts.keys.load();
    parts.publisher.key = parts.keys.key;
  } catch (error) {
    if (error.status === 401) { await session.clear(); gate(t("studio.signed_out"), true); return; }
    if (error.code === "forbidden") { gate(t("studio.not_your_show"), true); return; }
    if (error.status === 404) { gate(t("studio.no_show"), false); return; }
    report(error);  // the rest of the studio still works; going live asks for the key again
  }
  $("#gate").hidden = true;
  $("#studio").hidden = false;
  parts.reviews = new StudioReviews();  // the Reviews view: coaches' feedback on this host's shows
  parts.reviews.count();
  parts.replay.load().catch(report);  // the replay setting (on, unlisted, off)
  await Promise.all([openRoom().catch(report), parts.camera.start()]);
  parts.stats.start();
}

function build() {
  const camera = new Camera({
    preview: $("#preview"),
    selects: { video: $("#camera"), audio: $("#microphone") },
    meter: $("#mic-level"),
    note: $("#camera-note"),
    noteText: $("#camera-note-text"),
    retry: $("#camera-retry"),
  });
  const publisher = new Publisher({ streamId, camera, changed: renderOnAir, failed: (error) => { report(error); renderOnAir(); } });
  camera.onTrack = (kind, track) => publisher.replaceTrack(kind, track);
  camera.changed = renderOnAir;
  Object.assign(parts, { camera, publisher, keys: new KeyPanel(streamId), replay: new ReplaySetting(streamId), stats: new Stats(streamId) });

  $("#golive").addEventListener("click", () => publisher.start());
  $("#end").addEventListener("click", () => { $("#end-dialog").returnValue = ""; $("#end-dialog").showModal(); });
  for (const button of $("#end-dialog").querySelectorAll("button")) {
    button.addEventListener("click", () => $("#end-dialog").close(button.value));
  }
  $("#end-dialog").addEventListener("close", async () => {
    if ($("#end-dialog").returnValue !== "end") return;
    if (await publisher.end()) ended();
  });
  $("#gate-signin").addEventListener("click", async () => {
    await session.clear();  // a stale session, or another account's: start over with the host's
    if (await ensureSignedIn({ title: t("studio.sign_in_title") })) location.reload();
  });
  addEventListener("beforeunload", (event) => { if (publisher.state === "live") event.preventDefault(); });
  addEventListener("pagehide", () => publisher.leave());
}

async function main() {
  await loadMessages("studio");
  $("#language-slot").replaceWith(languageSwitcher(rerender));
  build();
  renderTitle();
  renderOnAir();
  if (!streamId) { gate(t("studio.no_show"), false); return; }
  $("#report-link").href = `/report/${streamId}`;  // the show's report (figures and plots)
  await open();
}

main().catch(report);
