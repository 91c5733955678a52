// @ts-check
// The viewer page: the live video full screen, chat and likes over it, the pinned products
// with their flash deals, buy now and the cart, in the viewer's language.
//
// This module wires the parts together and keeps the show's state as the room tells it:
// watch_player.js (WHEP video), watch_stage.js (not live / reconnecting / ended),
// watch_chat.js, watch_likes.js, watch_products.js (cards), watch_deals.js (countdowns),
// watch_buy.js (idempotent purchases), watch_cart.js (the cart sheet), and room.js (the
// room's connection, shared with the studio and the console). An ended show with a replay
// plays it instead (watch_replay.js): no room then, purchases over HTTP.

import { api, session, streamIdFromPath } from "./api.js";
import { currentLanguage, languageSwitcher, loadMessages, t } from "./i18n.js";
import { signInDialog } from "./signin.js";
import { $, toast } from "./ui.js";
import { errorText, Intents, isRetryable, orderText } from "./watch_buy.js";
import { needsCard, payOrder } from "./watch_pay.js";
import { Cart } from "./watch_cart.js";
import { ChatFeed } from "./watch_chat.js";
import { DealBook } from "./watch_deals.js";
import { Likes } from "./watch_likes.js";
import { WatchPlayer } from "./watch_hls.js";
import { localTitle, PinBoard } from "./watch_products.js";
import { fetchReplay, ReplayView } from "./watch_replay.js";
import { RoomConnection } from "./room.js";
import "./live_toasts.js"; // "<host> is live" toasts for the hosts this account follows
import { Stage } from "./watch_stage.js";
import { AuctionCard } from "./watch_auction.js";
import { GiveawayCard } from "./watch_giveaway.js";
import { PollCard } from "./watch_poll.js";

const streamId = streamIdFromPath();
const show = {
  stream: null,
  publisher: "connected",
  lineup: new Map(), // every product of the show, by id, as last heard
  viewers: 0,
  joined: false,
  replay: null, // the replay's answer, when the page plays one
};
const video = $("#video");
const deals = new DealBook();
const buying = new Intents();
const joinWaiters = new Set();
const refetching = new Map();
let room = null;
let replayView = null;

const player = new WatchPlayer(video, streamId, () => stage.render(), $("#hls-latency")); // WebRTC, else LL-HLS
const stage = new Stage(show, player);
const chat = new ChatFeed($("#chat"), {
  box: $("#pinned-message"), author: $("#pinned-message-author"), text: $("#pinned-message-text"),
});
const pins = new PinBoard($("#pinned"), $("#pin-list"), {
  deals,
  canBuy: () => Boolean(show.stream) && (show.stream.status !== "ended" || Boolean(show.replay)),
  onBuy: (card) => buy(card),
  onAddToCart: (card) => addToCart(card),
  onShown: (product) => { if (room) room.emit("product_seen", { product_id: product.id }); },
});
const cart = new Cart({
  streamId,
  deals,
  product: (id) => show.lineup.get(id),
  isAccount,
  needAccount,
}, {
  dialog: $("#cart-sheet"), lines: $("#cart-lines"), empty: $("#cart-empty"), total: $("#cart-total"),
  status: $("#cart-status"), checkout: $("#checkout"), badge: $("#cart-count"),
  button: $("#cart-button"), close: $("#cart-close"),
});
const likes = new Likes({
  button: $("#like"),
  layer: $("#hearts"),
  counter: $("#likes"),
  send: (count) => emitOnce("like", { count }),
  onRefused: (error) => {
    if (error.code === "auth_required") joinIn();
    else if (!["rate_limited", "disconnected", "timeout"].includes(error.code)) toast(errorText(error));
  },
});

// Auctions, giveaways and polls (issue 16), through the same room connection.
const engaging = {
  emit: (name, payload) => emitRetrying(name, payload),
  needAccount,
  joinIn,
  me: () => (session.user ? session.user.id ?? null : null),
  voter: () => (session.user ? session.user.id ?? session.user.display_name : null),
  title: (id) => (product(id) ? localTitle(product(id)) : ""),
};
const auction = new AuctionCard($("#auction-card"), engaging);
const giveaway = new GiveawayCard($("#giveaway-card"), engaging);
const poll = new PollCard($("#poll-card"), engaging);

// --- who is watching ---

function isAccount() {
  const user = session.user;
  return Boolean(user && !user.guest);
}

function renderAccount() {
  const user = session.user;
  $("#account").textContent = user ? user.display_name : t("common.sign_in");
}

async function signedIn(user) {
  if (!user) return false;
  renderAccount();
  if (show.replay) { await cart.load(); return true; } // a replay has no room to join
  openRoom();
  await whenJoined(8000);
  await cart.load();
  return true;
}

// Chat and likes need a name: an account or a guest's.
async function joinIn() {
  return signedIn(await signInDialog({ allowGuest: true, title: t("watch.join_title") }));
}

// Buying needs an account: guests are asked to sign in.
async function needAccount() {
  if (isAccount()) return true;
  return (await signedIn(await signInDialog({ title: t("watch.sign_in_to_buy") }))) && isAccount();
}

// --- the live room ---

function whenJoined(ms) {
  if (show.joined) return Promise.resolve(true);
  return new Promise((resolve) => {
    const done = (value) => { joinWaiters.delete(done); clearTimeout(timer); resolve(value); };
    const timer = setTimeout(() => done(false), ms);
    joinWaiters.add(done);
  });
}

function product(id) {
  return show.lineup.get(id) || null;
}

function showPins(ids) {
  pins.show(ids.map(product).filter(Boolean));
}

function applyState(state) {
  show.stream = state.stream;
  show.viewers = state.viewers;
  show.lineup = new Map(state.stream.lineup.map((p) => [p.id, p]));
  for (const p of state.pins) show.lineup.set(p.id, p);
  if (state.stream.status !== "live") show.publisher = "connected";
  deals.replace(state.deals);
  showPins(state.pins.map((p) => p.id));
  chat.replace(state.messages, state.pinned_message);
  likes.set(state.likes);
  follow(state.stream.status);
  render();
}

// Start or stop the video as the show's status says.
function follow(status) {
  if (status === "ended") player.stop(true);
  else player.start();
}

async function join() {
  const current = room;
  const ack = await current.emit("join", { stream_id: streamId });
  if (current !== room) return;
  if (!ack.ok) {
    if (ack.error.code === "stream_not_found") stage.missing();
    toast(errorText(ack.error));
    return;
  }
  applyState(ack.state);
  show.joined = true;
  $("#net-banner").hidden = true;
  for (const done of [...joinWaiters]) done(true);
  if (show.stream.status === "live") player.kick();
  cart.load();
  loadEngagement(current);
}

// The show's running (or last) auction, giveaway and poll, asked once joined.
async function loadEngagement(current) {
  const [a, g, p] = await Promise.all(["auction_state", "giveaway_state", "poll_state"].map((name) => current.emit(name, {})));
  if (current !== room) return;
  if (a.ok) auction.set(a.auction);
  if (g.ok) giveaway.set(g.giveaway);
  if (p.ok) poll.set(p.poll);
}

// A product sold by variants: the event carries the product's total only, so ask for the
// variants' counts, if a card or the cart shows them, after a spread-out pause (in a flash sale
// every viewer hears every sale: they must not all ask at once).
function refetch(id) {
  if (refetching.has(id)) return;
  refetching.set(id, setTimeout(async () => {
    try { updateProduct(await api("GET", `/api/products/${id}`)); } catch { /* the next join refreshes it */ }
    refetching.delete(id);
  }, 1000 + Math.random() * 2000));
}

function updateProduct(fresh) {
  show.lineup.set(fresh.id, fresh);
  const card = pins.card(fresh.id);
  if (card) card.update(fresh);
  cart.render();
}

function stockChanged({ product_id: id, stock }) {
  const known = product(id);
  if (!known) return;
  const variants = known.variants || [];
  if (variants.length > 1 && stock > 0) {
    updateProduct({ ...known, stock });
    if (pins.card(id) || cart.items.some((item) => item.product_id === id)) refetch(id);
    return;
  }
  // One variant, or none left of any: the total says it all.
  updateProduct({ ...known, stock, variants: variants.map((v) => ({ ...v, stock: variants.length > 1 ? 0 : stock })) });
}

function orderChanged(order) {
  for (const card of pins.cards.values()) {
    if (card.orderId === order.id) card.setStatus(order.status === "cancelled" ? "error" : "ok", () => orderText(order));
  }
  // A cancelled or refunded order is news, unless it is the declined card the buyer just saw.
  if (["cancelled", "refunded"].includes(order.status) && order.payment_state !== "failed") toast(orderText(order));
}

function streamStatus({ status, publisher }) {
  if (!show.stream) return;
  show.stream = { ...show.stream, status };
  show.publisher = publisher;
  follow(status);
  if (status === "live" && publisher === "connected") player.kick();
  render();
  if (status === "ended") replayAfterEnd();
}

// --- the replay ---

// An ended show's replay, if it has one to watch (else the page says "ended").
async function replayOfEndedShow() {
  const stream = await api("GET", `/api/streams/${streamId}`).catch(() => null);
  if (!stream || stream.status !== "ended") return null;
  return fetchReplay(streamId).catch(() => null);
}

// The show just ended: its recording is stored a moment later.
async function replayAfterEnd() {
  for (let attempt = 0; attempt < 5 && !show.replay; attempt++) {
    const replay = await fetchReplay(streamId).catch(() => null);
    if (replay) { startReplay(replay); return; }
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
}

function startReplay(replay) {
  if (show.replay) return;
  if (room) { room.close(); room = null; }
  show.joined = false;
  player.stop(true);
  show.replay = replay;
  show.stream = { id: replay.stream_id, title: replay.title, language: replay.language, host: replay.host, status: "ended" };
  show.lineup = new Map(replay.lineup.map((p) => [p.id, p]));
  document.body.dataset.mode = "replay";
  video.dataset.i18nLabel = "watch.replay.video";
  video.setAttribute("aria-label", t("watch.replay.video"));
  deals.replace([]);
  chat.replace([]);
  replayView = new ReplayView(replay, {
    video, section: $("#chapters"), list: $("#chapter-list"), count: $("#chapter-count"), chat: $("#chat"),
  }, {
    onCards: (ids) => { showPins(ids); ids.forEach(freshProduct); },
    onDeals: (ran) => { deals.replace(ran); pins.refresh(); cart.render(); },
  });
  replayView.start();
  render();
  cart.load();
}

// Stock and prices as they are now (the replay's line-up is as it was when the page opened).
async function freshProduct(id) {
  try { updateProduct(await api("GET", `/api/products/${id}?lang=${currentLanguage()}`)); } catch { /* the card keeps what it has */ }
}

// Buy now from a replay: the show's HTTP route, same payload and idempotency key as the room's.
async function buyOverHttp(payload) {
  const once = async () => {
    try {
      return { ok: true, order: await api("POST", `/api/streams/${streamId}/orders`, payload) };
    } catch (error) {
      return { ok: false, error: { code: error.code, message: error.message } };
    }
  };
  const ack = await once();
  return !ack.ok && ack.error.code === "network" ? once() : ack; // a lost answer: ask again
}

function openRoom() {
  if (room) room.close();
  show.joined = false;
  const current = new RoomConnection();
  room = current;
  const on = (name, fn) => current.on(name, (payload) => { if (room === current) fn(payload || {}); });
  on("connect", join);
  on("disconnect", () => { show.joined = false; $("#net-banner").hidden = false; });
  on("connect_error", async ({ message }) => {
    if (message !== "bad_token") { toast(errorText({ code: message, message })); return; }
    await session.clear(); // an expired or foreign token: watch as nobody, sign in again to talk
    renderAccount();
    openRoom();
  });
  on("chat_message", (message) => chat.add(message));
  on("message_deleted", ({ message_id }) => chat.remove([message_id]));
  on("user_messages_deleted", ({ message_ids }) => chat.remove(message_ids || []));
  on("message_pinned", ({ message }) => chat.pin(message));
  on("message_unpinned", () => chat.pin(null));
  on("product_pinned", ({ product: pinned, pins: ids }) => { show.lineup.set(pinned.id, pinned); showPins(ids); });
  on("product_unpinned", ({ product_id }) => showPins(pins.ids.filter((id) => id !== product_id)));
  on("stock_changed", stockChanged);
  on("deal_updated", ({ deal }) => { deals.put(deal); pins.refresh(); cart.render(); });
  on("viewer_count", ({ count }) => { show.viewers = count; renderCounts(); });
  on("likes", (payload) => likes.remote(payload));
  on("order_confirmed", ({ order }) => orderChanged(order));
  on("order_updated", ({ order }) => orderChanged(order));
  on("stream_status", streamStatus);
  on("auction_updated", ({ auction: a }) => auction.set(a));
  on("auction_ended", ({ auction: a }) => auction.set(a));
  on("giveaway_updated", ({ giveaway: g }) => giveaway.set(g));
  on("poll_updated", ({ poll: p }) => poll.set(p));
  on("muted", () => toast(t("watch.error.muted")));
  on("banned", () => toast(t("watch.error.banned")));
  current.connect().catch(() => {}); // unreachable: it retries, and "connect" joins; refused: connect_error
}

const NOT_JOINED = { ok: false, error: { code: "disconnected", message: "not connected to the room" } };

// Emit once joined (waiting a little for the room to come back), without asking twice: a chat
// line or a like sent again would count twice.
async function emitOnce(name, payload) {
  if (!(await whenJoined(8000))) return NOT_JOINED;
  return room.emit(name, payload);
}

// For requests the server makes idempotent (a purchase with its key): an answer lost with the
// connection is asked again, same payload, once the room is back.
async function emitRetrying(name, payload) {
  const ack = await emitOnce(name, payload);
  if (ack.ok || !["disconnected", "timeout"].includes(ack.error.code)) return ack;
  return emitOnce(name, payload);
}

// --- buying ---

async function buy(card) {
  const variant = card.variant;
  if (!variant || !(await needAccount())) return;
  const intent = `${card.product.id}/${variant.sku}`;
  const payload = {
    product_id: card.product.id, sku: variant.sku, quantity: 1, idempotency_key: buying.keyFor(intent), pay: true,
    ...cart.options.extrasFor(card.product.id), // the cart sheet's coupon and address (watch_checkout.js)
  };
  card.setBusy("buy");
  const ack = show.replay ? await buyOverHttp(payload) : await emitRetrying("buy", payload);
  buying.settle(intent, ack);
  if (show.replay) freshProduct(card.product.id);
  card.setBusy(null);
  if (ack.ok && ack.order.status === "reserved" && (await needsCard())) {
    // The provider takes the card only on the page: the order holds its stock meanwhile.
    try { ack.order = await payOrder(ack.order); } catch (error) { ack.ok = false; ack.error = error; }
  }
  if (ack.ok) {
    card.orderId = ack.order.id;
    card.setStatus("ok", () => orderText(ack.order));
    toast(t("watch.bought_named", { title: localTitle(card.product) }), "ok");
  } else if (ack.error.code === "account_required") {
    await session.clear();
    if (await needAccount()) await buy(card);
  } else {
    const retry = isRetryable(ack.error.code); // the button says "Try again" and keeps the key
    card.setStatus("error", () => errorText(ack.error) + (retry ? ` ${t("watch.retry_hint")}` : ""), retry);
  }
}

async function addToCart(card) {
  const variant = card.variant;
  if (!variant) return;
  card.setBusy("cart");
  try {
    if (await cart.add(card.product, variant)) card.setStatus("ok", () => t("watch.added_to_cart"));
  } catch (error) {
    card.setStatus("error", () => errorText(error));
  } finally {
    card.setBusy(null);
  }
}

// --- the page ---

function renderCounts() {
  $("#viewers").textContent = t("common.watching", { count: show.viewers });
  likes.render();
}

function renderSound() {
  const on = !video.muted;
  $("#sound").setAttribute("aria-pressed", String(on));
  $("#sound").setAttribute("aria-label", t(on ? "watch.sound_off" : "watch.sound_on"));
  $("#sound use").setAttribute("href", on ? "#i-sound" : "#i-muted");
}

function render() {
  const stream = show.stream;
  if (stream) {
    $("#title").textContent = stream.title;
    document.title = `${stream.title} · Shopcast`;
    $("#host-name").textContent = stream.host ? stream.host.display_name : "";
    $("#host-avatar").textContent = ((stream.host && stream.host.display_name) || "?").trim().slice(0, 1).toUpperCase();
    for (const control of [$("#message"), $("#send button")]) control.disabled = stream.status === "ended";
  }
  stage.render();
  $("#language-code").textContent = currentLanguage().toUpperCase();
  renderAccount();
  renderCounts();
  renderSound();
  pins.refresh();
  cart.render();
  for (const card of [auction, giveaway, poll]) card.render();
}

// Fill the screen when the picture's shape is close to the screen's (a phone host on a phone,
// a landscape camera on a laptop); else show all of it rather than crop most of it away.
function fitVideo() {
  const { videoWidth: w, videoHeight: h } = video;
  if (!w || !h) return;
  const ratio = w / h / (window.innerWidth / window.innerHeight);
  $("#stage").dataset.fit = Math.max(ratio, 1 / ratio) < 1.5 ? "cover" : "contain";
}

video.addEventListener("resize", fitVideo);
window.addEventListener("resize", fitVideo);

$("#send").addEventListener("submit", async (event) => {
  event.preventDefault();
  if (!session.signedIn) { await joinIn(); return; }
  const input = $("#message");
  const text = input.value.trim();
  if (!text) return;
  const ack = await emitOnce("send_message", { text });
  if (ack.ok) {
    input.value = "";
    if (ack.held) toast(t("watch.held"), "ok");
  } else if (ack.error.code === "auth_required") {
    await joinIn();
  } else {
    toast(errorText(ack.error));
  }
});

$("#sound").addEventListener("click", () => {
  video.muted = !video.muted;
  if (!video.muted) video.play().catch(() => {});
  renderSound();
});

$("#account").addEventListener("click", async () => {
  const user = session.user;
  if (!user) { await joinIn(); return; }
  $("#account-heading").textContent = t("watch.signed_in_as", { name: user.display_name });
  $("#account-sheet").showModal();
});
$("#account-close").addEventListener("click", () => $("#account-sheet").close());
$("#sign-out").addEventListener("click", async () => {
  $("#account-sheet").close();
  await session.clear();
  cart.set([]);
  renderAccount();
  openRoom();
});
$("#switch-account").addEventListener("click", async () => {
  $("#account-sheet").close();
  await joinIn();
});

async function main() {
  await loadMessages("watch");
  $("#language-slot").append(languageSwitcher(() => {
    render();
    if (replayView) replayView.relabel(); else chat.render();
  }));
  render();
  if (!streamId) { stage.missing(); return; }
  setInterval(() => pins.tick(), 250);
  setInterval(() => { auction.tick(); giveaway.tick(); poll.tick(); }, 250);
  setInterval(() => stage.render(), 30000); // "starts in 5 minutes" moves on
  const replay = await replayOfEndedShow();
  if (replay) startReplay(replay);
  else openRoom();
}

main();
