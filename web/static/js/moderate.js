// @ts-check
// The moderator console (/moderate/<stream id>): the chat with per-message actions, the review
// queue, the live switches, the word filter, the sanctions in force and the audit log.
// Events and acks: docs/protocol.md#moderation; the rules: docs/moderation.md.

import { session, streamIdFromPath } from "./api.js";
import { languageSwitcher, loadMessages, t } from "./i18n.js";
import { RoomConnection } from "./room.js";
import { ensureSignedIn } from "./signin.js";
import { $, showError, toast } from "./ui.js";
import { addEntry, loadAudit, renderAudit } from "./moderate_audit.js";
import { listenForBids, loadBids, loadEntries, renderEngagement } from "./moderate_bids.js";
import { addMessage, removeMessages, renderChat, showMessages } from "./moderate_chat.js";
import { desk, errorText } from "./moderate_context.js";
import { setUpModes, showModes } from "./moderate_modes.js";
import { addHeld, loadHeld, renderHeld, resolveHeld } from "./moderate_review.js";
import { refreshSanctionTexts, setUpSanctions } from "./moderate_sanctions.js";
import { loadWords, renderWords, setUpWords } from "./moderate_words.js";

const STAFF = ["stream_moderator", "host", "platform_moderator", "admin"];
const streamId = streamIdFromPath();
let viewers = 0;

function showHeader() {
  const stream = desk.stream;
  if (stream) {
    $("#status").textContent = stream.status === "live" ? t("common.live") : t(`common.${stream.status}`);
    $("#status").className = `pill ${stream.status}`;
    $("#title").textContent = t("moderate.chat_of", { title: stream.title });
    document.title = t("moderate.page_title", { title: stream.title });
  }
  $("#viewers").textContent = t("common.watching", { count: viewers });
  if (desk.you) $("#who").textContent = t("moderate.signed_in_as", { name: desk.you.display_name, standing: t(`moderate.standing.${desk.you.standing}`) });
}

async function join() {
  $("#console").setAttribute("aria-busy", "true");
  const ack = await desk.room.emit("join", { stream_id: streamId });
  if (!ack.ok) {
    toast(errorText(ack.error));
    return;
  }
  const state = ack.state;
  desk.stream = state.stream;
  desk.you = state.you;
  viewers = state.viewers;
  showHeader();
  showMessages(state.messages);
  showModes(state.modes);
  const staff = state.you && STAFF.includes(state.you.standing);
  $("#tools").hidden = !staff;
  $("#not-staff").hidden = staff;
  if (staff) await Promise.all([loadHeld(), loadWords(), loadAudit(), loadBids(), loadEntries()]);
  else $("#not-staff").textContent = t("moderate.not_staff", { name: state.you ? state.you.display_name : "" });
  $("#console").removeAttribute("aria-busy");
}

function listen(room) {
  room
    .on("chat_message", addMessage)
    .on("message_deleted", ({ message_id }) => removeMessages([message_id]))
    .on("user_messages_deleted", ({ message_ids }) => removeMessages(message_ids))
    .on("viewer_count", ({ count }) => { viewers = count; showHeader(); })
    .on("stream_status", ({ status }) => { if (desk.stream) desk.stream.status = status; showHeader(); })
    .on("modes_changed", ({ modes }) => showModes(modes))
    .on("message_held", ({ held }) => addHeld(held))
    .on("held_resolved", ({ held_id }) => resolveHeld(held_id))
    .on("audit_entry", ({ entry }) => addEntry(entry))
    .on("standing_changed", () => join())
    .on("connect_error", async () => { await session.clear(); location.reload(); });
  listenForBids(room);  // auctions' bids and giveaways' entries
  room.onReconnect = join;
}

// Everything built from data is rebuilt in the newly chosen language.
function relabel() {
  showHeader();
  renderChat();
  renderHeld();
  showModes({});
  refreshSanctionTexts();
  renderWords();
  renderAudit();
  renderEngagement();
}

async function signIn() {
  const user = await ensureSignedIn({ title: t("moderate.sign_in_title") });
  $("#signed-out").hidden = Boolean(user);
  if (!user) {
    $("#sign-in").focus();
    return;
  }
  $("#console").hidden = false;
  $("#sign-out").hidden = false;
  desk.room = new RoomConnection();
  listen(desk.room);
  await desk.room.connect();
  await join();
}

async function main() {
  await loadMessages("moderate");
  $("#language-slot").replaceWith(languageSwitcher(relabel));
  setUpSanctions();
  setUpModes();
  setUpWords();
  $("#sign-in").addEventListener("click", () => signIn().catch(showError));
  $("#sign-out").addEventListener("click", async () => { await session.clear(); location.reload(); });
  showHeader();
  await signIn();
}

main().catch(showError);
