// @ts-check
// The console's auction and giveaway view: the show's latest auction with its whole bid history
// (every bid, accepted or refused, with the server's time: `auction_bids`), its bidders with a
// Remove button each (`remove_bidder`: their later bids are refused, what they bid stands), and
// the latest giveaway's counted entries (GET /api/giveaways/{id}/entries, the list the draw
// takes). Both refresh, at most once a second, as the room announces changes; the bids also
// every few seconds while the auction runs, for the refusals (which the room does not hear).

import { api } from "./api.js";
import { formatPrice, t } from "./i18n.js";
import { act, desk, errorText, nameOf, shortTime } from "./moderate_context.js";
import { $, el, toast } from "./ui.js";

const REFRESH_MS = 1000;
const REFUSALS_MS = 5000; // refused bids change nothing the room hears of: read them this often
const view = { auction: null, bids: [], giveaway: null, entries: [], removed: new Set() };
const timers = { bids: 0, entries: 0 };

// Ask again after a change, at most once per REFRESH_MS (a bidding storm is one read a second).
/** @param {"bids" | "entries"} what @param {() => Promise<void>} load */
function soon(what, load) {
  if (timers[what]) return;
  timers[what] = window.setTimeout(() => { timers[what] = 0; load(); }, REFRESH_MS);
}

export async function loadBids() {
  const state = await act("auction_state", {}, { quiet: true });
  if (!state.ok) return;
  view.auction = state.auction;
  if (view.auction) {
    const history = await act("auction_bids", { auction_id: view.auction.id }, { quiet: true });
    view.bids = history.ok ? history.bids : [];
  }
  renderBids();
}

export async function loadEntries() {
  const state = await act("giveaway_state", {}, { quiet: true });
  if (!state.ok) return;
  view.giveaway = state.giveaway;
  view.entries = [];
  if (view.giveaway) {
    try {
      view.entries = (await api("GET", `/api/giveaways/${view.giveaway.id}/entries`)).entries;
    } catch (error) {
      toast(errorText(error));
    }
  }
  renderEntries();
}

/** @param {any} room */
export function listenForBids(room) {
  room
    .on("auction_updated", () => soon("bids", loadBids))
    .on("auction_ended", () => soon("bids", loadBids))
    .on("giveaway_updated", () => soon("entries", loadEntries));
  window.setInterval(() => { if (view.auction && view.auction.status === "running") soon("bids", loadBids); }, REFUSALS_MS);
}

function bidRow(bid, currency) {
  const amount = bid.kind === "max" ? t("moderate.bid_max", { price: formatPrice(bid.max_minor, currency) }) : formatPrice(bid.amount_minor, currency);
  const outcome = bid.accepted ? t("moderate.bid_accepted", { price: formatPrice(bid.price_minor, currency) }) : errorText({ code: bid.code });
  return el("tr", { "data-accepted": String(bid.accepted), "data-seq": String(bid.seq) },
    el("td", {}, String(bid.seq)), el("td", {}, shortTime(bid.at)), el("td", {}, nameOf(`u:${bid.bidder_id}`)),
    el("td", {}, t(`moderate.bid_kind.${bid.kind}`)), el("td", {}, amount), el("td", {}, outcome));
}

async function remove(bidderId, button) {
  button.disabled = true;
  const ack = await act("remove_bidder", { auction_id: view.auction.id, bidder_id: bidderId });
  if (!ack) { button.disabled = false; return; }
  view.removed.add(`${view.auction.id}/${bidderId}`);
  toast(t("moderate.bidder_removed", { name: nameOf(`u:${bidderId}`) }), "ok");
  renderBids();
}

export function renderBids() {
  const a = view.auction;
  $("#bids-empty").hidden = Boolean(a);
  $("#bids-table").hidden = !a || !view.bids.length;
  $("#bids-auction").textContent = a
    ? t("moderate.auction_line", { status: t(`moderate.auction_${a.status}`), price: formatPrice(a.price_minor, a.currency), count: a.bids })
    : "";
  $("#bids").replaceChildren(...(a ? view.bids : []).map((bid) => bidRow(bid, a.currency)));
  const bidders = a ? [...new Set(view.bids.map((bid) => bid.bidder_id))] : [];
  $("#bidders").replaceChildren(...bidders.map((id) => {
    const name = nameOf(`u:${id}`);
    const gone = view.removed.has(`${a.id}/${id}`);
    const button = el("button", { type: "button", class: "danger", "aria-describedby": `bidder-${id}` },
      t(gone ? "moderate.bidder_gone" : "moderate.remove_bidder"));
    button.disabled = gone || a.status !== "running";
    button.addEventListener("click", () => remove(id, button));
    return el("li", { class: "row", "data-bidder": String(id) }, el("span", { id: `bidder-${id}` }, name), button);
  }));
}

export function renderEntries() {
  const g = view.giveaway;
  $("#entries-count").textContent = g ? String(view.entries.length) : "0";
  $("#entries-empty").hidden = Boolean(g && view.entries.length);
  $("#entries").replaceChildren(...view.entries.map((subject) => el("li", {}, nameOf(subject))));
  $("#entries-link").hidden = !g;
  if (g) $("#entries-link").href = `/api/giveaways/${g.id}/entries`;
}

// Re-drawn in a newly chosen language.
export function renderEngagement() {
  if (desk.room) { renderBids(); renderEntries(); }
}
