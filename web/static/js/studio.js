import { api, session, streamIdFromPath } from "./api.js";
import { Realtime } from "./realtime.js";
import { ensureSignedIn } from "./signin.js";
import { $, ackError, chatLine, el, price, showError, stockLabel, toast } from "./ui.js";
import { hangUp, negotiate, preferH264 } from "./whip.js";

const streamId = streamIdFromPath();
let camera = null;
let pc = null;
let whipSession = null;
let streamKey = null;
let room = null;
let lineup = [];
let pinnedId = null;

async function startCamera() {
  const video = $("#camera").value;
  const audio = $("#microphone").value;
  if (camera) camera.getTracks().forEach((t) => t.stop());
  camera = await navigator.mediaDevices.getUserMedia({
    video: video ? { deviceId: { exact: video } } : { width: 1280, height: 720 },
    audio: audio ? { deviceId: { exact: audio } } : true,
  });
  $("#preview").srcObject = camera;
  if (pc) {  // switching devices while live: swap tracks without renegotiating
    for (const sender of pc.getSenders()) {
      const track = camera.getTracks().find((t) => t.kind === sender.track?.kind);
      if (track) await sender.replaceTrack(track);
    }
  }
}

async function listDevices() {
  const devices = await navigator.mediaDevices.enumerateDevices();
  for (const [kind, select] of [["videoinput", $("#camera")], ["audioinput", $("#microphone")]]) {
    const current = select.value;
    select.replaceChildren(...devices.filter((d) => d.kind === kind)
      .map((d, i) => el("option", { value: d.deviceId }, d.label || `${kind} ${i + 1}`)));
    if (current) select.value = current;
  }
}

async function goLive() {
  $("#golive").disabled = true;
  try {
    if (!camera) await startCamera();
    if (!streamKey) streamKey = (await api("GET", `/api/streams/${streamId}/key`)).stream_key;
    pc = new RTCPeerConnection();
    for (const track of camera.getTracks()) {
      const transceiver = pc.addTransceiver(track, { direction: "sendonly", streams: [camera] });
      if (track.kind === "video") preferH264(transceiver);
    }
    pc.onconnectionstatechange = () => {
      if (pc && pc.connectionState === "failed") toast("Connection to the server failed: go live again");
    };
    whipSession = await negotiate(pc, `/whip/${streamId}`, streamKey);
    toast("You are live!", "ok");
  } catch (error) {
    showError(error);
    if (pc) pc.close();
    pc = null;
    $("#golive").disabled = false;
  }
}

async function endShow() {
  if (!confirm("End the show for everyone?")) return;
  await hangUp(whipSession, streamKey);
  whipSession = null;
  if (pc) pc.close();
  pc = null;
  try {
    const stream = await api("GET", `/api/streams/${streamId}`);
    if (stream.status !== "ended") await api("POST", `/api/streams/${streamId}/end`);
  } catch (error) { showError(error); }
  setStatus("ended");
}

function setStatus(status) {
  $("#status").textContent = status === "live" ? "LIVE" : status;
  $("#status").className = `pill ${status}`;
  $("#golive").disabled = status !== "scheduled" && !(status === "live" && !pc);
  $("#end").disabled = status === "ended";
}

function renderLineup() {
  $("#lineup").replaceChildren(...lineup.map((product) => {
    const isPinned = product.id === pinnedId;
    const button = el("button", {
      type: "button", class: isPinned ? "" : "primary",
      "aria-pressed": String(isPinned),
      onclick: () => (isPinned ? unpin() : pin(product.id)),
    }, isPinned ? "Unpin" : "Pin");
    return el("li", { class: `card product ${isPinned ? "pinned-now" : ""}` },
      el("div", { style: "flex:1" },
        el("div", {}, product.title),
        el("div", { class: "price" }, price(product.price_minor, product.currency)),
        el("div", { class: "stock" }, stockLabel(product.stock))),
      button);
  }));
}

async function pin(productId) {
  const ack = await room.emit("pin_product", { product_id: productId });
  if (!ackError(ack)) { pinnedId = productId; renderLineup(); }
}

async function unpin() {
  const ack = await room.emit("unpin_product", {});
  if (!ackError(ack)) { pinnedId = null; renderLineup(); }
}

function addMessage(message) {
  $("#chat").append(chatLine(message));
  $("#chat").scrollTop = $("#chat").scrollHeight;
}

async function join() {
  const ack = await room.emit("join", { stream_id: streamId });
  if (ackError(ack)) return;
  const { stream, messages, viewers, pinned } = ack.state;
  lineup = stream.lineup;
  pinnedId = pinned ? pinned.id : null;
  $("#title").textContent = stream.title;
  $("#viewers").textContent = `${viewers} watching`;
  $("#chat").replaceChildren();
  messages.forEach(addMessage);
  setStatus(stream.status);
  renderLineup();
}

async function openRoom() {
  room = new Realtime(session.token);
  room
    .on("chat_message", addMessage)
    .on("message_deleted", ({ message_id }) => document.querySelector(`#chat [data-id="${Number(message_id)}"]`)?.remove())
    .on("viewer_count", ({ count }) => { $("#viewers").textContent = `${count} watching`; })
    .on("product_pinned", ({ product }) => { pinnedId = product.id; renderLineup(); })
    .on("product_unpinned", () => { pinnedId = null; renderLineup(); })
    .on("stock_changed", ({ product_id, stock }) => {
      lineup = lineup.map((p) => (p.id === product_id ? { ...p, stock } : p));
      renderLineup();
    })
    .on("stream_status", ({ status }) => setStatus(status))
    .on("connect_error", () => { session.clear(); location.reload(); });
  room.onReconnect = join;
  await room.connect();
  await join();
}

async function main() {
  if (!streamId) { toast("No such show"); return; }
  const user = await ensureSignedIn({ title: "Sign in to host" });
  $("#who").textContent = user.display_name;
  try {
    const key = await api("GET", `/api/streams/${streamId}/key`);
    streamKey = key.stream_key;
    $("#stream-key").textContent = key.stream_key;
    $("#whip-url").textContent = key.whip_url;
  } catch (error) {
    showError(error);
    if (error.code === "bad_token") { session.clear(); location.reload(); return; }
  }
  await openRoom();
  try { await startCamera(); await listDevices(); } catch (error) { showError(error); }
}

$("#golive").addEventListener("click", goLive);
$("#end").addEventListener("click", endShow);
$("#camera").addEventListener("change", () => startCamera().catch(showError));
$("#microphone").addEventListener("change", () => startCamera().catch(showError));
$("#send").addEventListener("submit", async (event) => {
  event.preventDefault();
  const ack = await room.emit("send_message", { text: $("#message").value });
  if (!ackError(ack)) $("#message").value = "";
});
main().catch(showError);
