import { api, session, streamIdFromPath } from "./api.js";
import { Realtime } from "./realtime.js";
import { signInDialog } from "./signin.js";
import { $, ackError, chatLine, price, showError, stockLabel, toast } from "./ui.js";
import { negotiate } from "./whip.js";

const streamId = streamIdFromPath();
const video = $("#video");
let pc = null;
let retryTimer = null;
let stream = null;
let pinned = null;
let room = null;

function setState(text) {
  $("#state").hidden = !text;
  $("#state-text").textContent = text || "";
}

function describeStatus(current) {
  $("#status").textContent = current.status === "live" ? "LIVE" : current.status;
  $("#status").className = `pill ${current.status}`;
  if (current.status === "ended") setState("This show has ended. Thanks for watching!");
  else if (current.status === "scheduled") {
    const when = current.scheduled_at ? new Date(current.scheduled_at).toLocaleString() : null;
    setState(when ? `Not live yet: starts ${when}` : "Not live yet: waiting for the host…");
  }
}

// --- video over WHEP, retrying by itself until the show is over ---

function retry(ms) {
  clearTimeout(retryTimer);
  if (!stream || stream.status !== "ended") retryTimer = setTimeout(play, ms);
}

async function play() {
  clearTimeout(retryTimer);
  if (pc) pc.close();
  pc = new RTCPeerConnection();
  pc.addTransceiver("video", { direction: "recvonly" });
  pc.addTransceiver("audio", { direction: "recvonly" });
  const media = new MediaStream();
  pc.ontrack = (event) => {
    media.addTrack(event.track);
    video.srcObject = media;
  };
  const mine = pc;
  pc.onconnectionstatechange = () => {
    if (mine !== pc) return;
    if (pc.connectionState === "failed") retry(1000);
    if (pc.connectionState === "disconnected") retry(3000);
    if (pc.connectionState === "connected") setState("");
  };
  try {
    await negotiate(pc, `/whep/${streamId}`);
  } catch (error) {
    if (error.code === "not_live") { if (stream) describeStatus(stream); retry(3000); }
    else if (error.code === "stream_ended") setState("This show has ended. Thanks for watching!");
    else { showError(error); retry(5000); }
  }
}

// --- the live room ---

function addMessage(message) {
  const list = $("#chat");
  list.append(chatLine(message));
  while (list.children.length > 100) list.firstElementChild.remove();
  list.scrollTop = list.scrollHeight;
}

function showPinned(product) {
  pinned = product;
  $("#pinned").hidden = !product;
  if (!product) return;
  $("#pinned-title").textContent = product.title;
  $("#pinned-price").textContent = price(product.price_minor, product.currency);
  $("#pinned-stock").textContent = stockLabel(product.stock);
  $("#pinned-stock").className = product.stock > 0 ? "stock" : "stock out";
  $("#pinned-image").src = product.image_url || "";
  $("#pinned-image").hidden = !product.image_url;
  $("#buy").disabled = product.stock <= 0;
}

function applyState(state) {
  stream = state.stream;
  $("#title").textContent = stream.title;
  document.title = `${stream.title} · Shopcast`;
  describeStatus(stream);
  $("#viewers").textContent = `${state.viewers} watching`;
  $("#chat").replaceChildren();
  state.messages.forEach(addMessage);
  showPinned(state.pinned);
  $("#account").textContent = state.you ? state.you.display_name : "Sign in";
}

async function join() {
  const ack = await room.emit("join", { stream_id: streamId });
  if (!ackError(ack)) applyState(ack.state);
}

async function openRoom() {
  if (room) room.close();
  room = new Realtime(session.token);
  room
    .on("chat_message", addMessage)
    .on("message_deleted", ({ message_id }) => document.querySelector(`#chat [data-id="${Number(message_id)}"]`)?.remove())
    .on("product_pinned", ({ product }) => showPinned(product))
    .on("product_unpinned", () => showPinned(null))
    .on("stock_changed", ({ product_id, stock }) => { if (pinned && pinned.id === product_id) showPinned({ ...pinned, stock }); })
    .on("viewer_count", ({ count }) => { $("#viewers").textContent = `${count} watching`; })
    .on("order_confirmed", ({ order }) => toast(`Order #${order.id} confirmed: ${order.lines[0].title}`, "ok"))
    .on("stream_status", ({ status, publisher }) => {
      stream = { ...stream, status };
      describeStatus(stream);
      if (status === "live" && publisher === "disconnected") setState("The host is reconnecting…");
      if (status === "live" && publisher === "connected") play();
    })
    .on("connect_error", ({ message }) => {
      if (message === "bad_token") { session.clear(); openRoom(); }
    });
  room.onReconnect = join;
  try {
    await room.connect();
    await join();
  } catch (error) { showError(error); }
}

async function signInThen(options) {
  await signInDialog(options);
  await openRoom();
}

$("#send").addEventListener("submit", async (event) => {
  event.preventDefault();
  if (!session.token) { await signInThen({ allowGuest: true, title: "Join the chat" }); return; }
  const input = $("#message");
  const ack = await room.emit("send_message", { text: input.value });
  if (!ackError(ack)) input.value = "";
});

$("#buy").addEventListener("click", async () => {
  if (!session.token || !session.user || session.user.guest) {
    await signInThen({ title: "Sign in to buy" });
    return;
  }
  const button = $("#buy");
  button.disabled = true;
  // One key per tap, reused if the answer is lost: the server makes at most one order of it.
  const request = { product_id: pinned.id, quantity: 1, idempotency_key: crypto.randomUUID().replaceAll("-", "") };
  try {
    let ack = await room.emit("buy", request);
    if (!ack.ok && ["disconnected", "timeout"].includes(ack.error.code)) ack = await room.emit("buy", request);
    if (ack.ok) toast(`Bought: ${ack.order.lines[0].title}`, "ok");
    else if (ack.error.code === "account_required") await signInThen({ title: "Sign in to buy" });
    else ackError(ack);
  } finally {
    button.disabled = !pinned || pinned.stock <= 0;
  }
});

$("#unmute").addEventListener("click", () => {
  video.muted = !video.muted;
  $("#unmute").textContent = video.muted ? "Unmute" : "Mute";
});

$("#account").addEventListener("click", () => signInThen({ allowGuest: true }));

if (!streamId) setState("No such show.");
else {
  api("GET", `/api/streams/${streamId}`).then((s) => { stream = s; describeStatus(s); }).catch(showError);
  openRoom();
  play();
}
