// @ts-check
// A show's report: its figures, its charts (server-drawn SVG) and its products' funnel, for the
// show's host, staff, and sellers with products in it (their own lines only). While the show
// runs, the figures are computed live and the page refreshes them every 10 s.

import { api, streamIdFromPath } from "./api.js";
import { describeError } from "./errors.js";
import { formatNumber, formatPrice, formatTime, languageSwitcher, loadMessages, t } from "./i18n.js";
import { fetchChart, placeChart } from "./report_charts.js";
import { ensureSignedIn } from "./signin.js";
import { $, el } from "./ui.js";

const REFRESH_MS = 10_000;
const streamId = streamIdFromPath();
/** @type {any} */
let report = null;
let currency = "";

/** @param {number} seconds */
function duration(seconds) {
  const whole = Math.round(seconds);
  const hours = Math.floor(whole / 3600);
  const minutes = Math.floor((whole % 3600) / 60);
  const rest = whole % 60;
  if (hours) return t("report.hours_minutes", { hours, minutes });
  if (minutes) return t("report.minutes_seconds", { minutes, seconds: rest });
  return t("report.seconds", { count: rest });
}

/** @param {{currency: string, minor: number}[]} amounts */
function money(amounts) {
  return amounts.length ? amounts.map((a) => formatPrice(a.minor, a.currency)).join(" · ") : "—";
}

/** @param {string} key @param {string} value */
function figure(key, value) {
  return el("div", { class: "figure", "data-figure": key }, el("dt", {}, t(`report.figure_${key}`)), el("dd", {}, value));
}

function renderFigures() {
  const { viewers, chat, sales } = report;
  $("#figures").replaceChildren(
    figure("peak", formatNumber(viewers.peak)),
    figure("average", formatNumber(viewers.average)),
    figure("unique", formatNumber(viewers.unique)),
    figure("watch_total", duration(viewers.watch_time_total_s)),
    figure("watch_median", duration(viewers.watch_time_median_s)),
    figure("chat", formatNumber(chat.lines)),
    figure("questions", t("report.answered_of", { answered: chat.answered, count: chat.questions })),
    figure("likes", formatNumber(report.likes)),
    figure("orders", t("report.orders_units", { count: sales.orders, units: t("report.units_n", { count: sales.units }) })),
    figure("gmv", money(sales.gmv)),
    figure("commission", money(sales.commission)),
    figure("coupons", formatNumber(sales.coupon_uses)),
    figure("replay", t("report.replay_views_orders", { count: sales.replay_views, orders: t("report.orders_n", { count: sales.replay_orders }) })),
  );
}

function renderHead() {
  document.title = `${t("report.brand")} · ${report.title}`;
  $("#title").textContent = report.title;
  const span = report.ended_at
    ? t("report.ran", { start: formatTime(report.started_at), end: formatTime(report.ended_at), length: duration(report.duration_s) })
    : t("report.running", { start: formatTime(report.started_at), length: duration(report.duration_s) });
  $("#meta").textContent = report.scope === "seller" ? `${span} · ${t("report.your_products")}` : span;
  $("#state").textContent = report.final ? t("report.final") : t("report.live");
  $("#state").className = report.final ? "pill ended" : "pill live";
  $("#csv").href = `/api/streams/${streamId}/report.csv`;
}

function renderPins() {
  $("#pins-legend").replaceChildren(...report.pins.map((/** @type {any} */ pin, /** @type {number} */ i) => el("li", {},
    el("span", { class: `swatch pin-${i % 3}`, "aria-hidden": "true" }),
    t("report.pin_span", { title: pin.title, start: clock(pin.start_s), end: clock(pin.end_s), length: duration(pin.duration_s) }))));
}

/** @param {number} seconds */
function clock(seconds) {
  const whole = Math.floor(seconds);
  const minutes = Math.floor(whole / 60);
  return `${minutes}:${String(whole % 60).padStart(2, "0")}`;
}

const COLUMNS = [
  ["title", ""], ["card_viewers", "num"], ["card_views", "num"], ["add_to_cart", "num"], ["orders", "num"],
  ["units", "num"], ["conversion", "num"], ["gmv", "num"], ["commission", "num"], ["pinned", "num"], ["deals", ""],
];

/** @param {any} line */
function productCells(line) {
  const deals = line.deals.map((/** @type {any} */ d) => d.sell_through_s === null
    ? t("report.deal_left", { sold: d.sold, count: d.quantity })
    : t("report.deal_sold_out", { count: d.quantity, length: duration(d.sell_through_s) }));
  return [
    el("th", { scope: "row" }, line.title),
    el("td", { class: "num" }, formatNumber(line.card_viewers)),
    el("td", { class: "num" }, formatNumber(line.card_views)),
    el("td", { class: "num" }, formatNumber(line.add_to_cart)),
    el("td", { class: "num" }, formatNumber(line.orders)),
    el("td", { class: "num" }, formatNumber(line.units)),
    el("td", { class: "num" }, line.conversion === null ? "—" : new Intl.NumberFormat(undefined, { style: "percent", maximumFractionDigits: 1 }).format(line.conversion)),
    el("td", { class: "num" }, money(line.gmv)),
    el("td", { class: "num" }, money(line.commission)),
    el("td", { class: "num" }, duration(line.pinned_s)),
    el("td", {}, deals.join("; ") || "—"),
  ];
}

function renderProducts() {
  $("#products-head").replaceChildren(...COLUMNS.map(([key, cls]) => el("th", { scope: "col", class: cls }, t(`report.col_${key}`))));
  $("#products-rows").replaceChildren(...report.products.map((/** @type {any} */ line) =>
    el("tr", { "data-product": String(line.product_id) }, ...productCells(line))));
}

const AUCTION_COLUMNS = [["title", ""], ["result", ""], ["price", "num"], ["bids", "num"], ["bidders", "num"], ["length", "num"]];

/** @param {any} line */
function auctionCells(line) {
  const result = line.status === "running" ? t("report.auction_running") : t(`report.auction_result_${line.result}`);
  return [
    el("th", { scope: "row" }, line.title),
    el("td", {}, result),
    el("td", { class: "num" }, line.price_minor === null ? "—" : formatPrice(line.price_minor, line.currency)),
    el("td", { class: "num" }, formatNumber(line.bids)),
    el("td", { class: "num" }, formatNumber(line.bidders)),
    el("td", { class: "num" }, duration(line.duration_s)),
  ];
}

function renderAuctions() {
  const auctions = report.auctions;
  $("#auctions-card").hidden = !auctions || auctions.held === 0;
  if (!auctions || auctions.held === 0) return;
  const counts = t("report.auctions_summary", { count: auctions.held, sold: auctions.sold, unsold: auctions.unsold, running: auctions.running });
  const value = auctions.sold ? ` · ${t("report.auctions_value", { value: money(auctions.sold_value) })}` : "";
  $("#auctions-summary").textContent = counts + value;
  $("#auctions-head").replaceChildren(...AUCTION_COLUMNS.map(([key, cls]) => el("th", { scope: "col", class: cls }, t(`report.auction_col_${key}`))));
  $("#auctions-rows").replaceChildren(...auctions.items.map((/** @type {any} */ line) =>
    el("tr", { "data-auction": String(line.auction_id) }, ...auctionCells(line))));
}

function renderCurrencies() {
  const codes = report.series.gmv.map((/** @type {any} */ g) => g.currency);
  if (!codes.includes(currency)) currency = codes[0] || "";
  $("#currency-box").hidden = codes.length < 2;
  $("#currency").replaceChildren(...codes.map((/** @type {string} */ code) => el("option", { value: code, ...(code === currency ? { selected: "" } : {}) }, code)));
  $("#sales-caption").textContent = currency ? t("report.sales_caption", { currency }) : t("report.sales_caption_orders");
}

async function renderCharts() {
  const [viewers, sales, funnel] = await Promise.all([
    fetchChart(Number(streamId), "viewers"),
    fetchChart(Number(streamId), "sales", currency ? { currency } : {}),
    fetchChart(Number(streamId), "funnel"),
  ]);
  placeChart($("#chart-viewers"), viewers, t("report.chart_viewers"));
  placeChart($("#chart-sales"), sales, t("report.chart_sales"));
  placeChart($("#chart-funnel"), funnel, t("report.chart_funnel"));
}

function render() {
  if (!report) return;
  renderHead();
  renderFigures();
  renderPins();
  renderProducts();
  renderAuctions();
  renderCurrencies();
}

/** @param {string} text @param {boolean} signIn */
function gate(text, signIn) {
  $("#report").hidden = true;
  $("#gate").hidden = false;
  $("#gate-text").textContent = text;
  $("#sign-in").hidden = !signIn;
}

async function load() {
  try {
    report = await api("GET", `/api/streams/${streamId}/report`);
  } catch (/** @type {any} */ error) {
    if (error.status === 401) gate(t("report.signed_out"), true);
    else gate(describeError(error, "report", "report.failed"), false);
    return;
  }
  $("#gate").hidden = true;
  $("#report").hidden = false;
  render();
  await renderCharts();
  document.body.dataset.loaded = "true";
  if (!report.final) setTimeout(load, REFRESH_MS);
}

async function main() {
  await loadMessages("report");
  $("#language-slot").replaceWith(languageSwitcher(() => { render(); renderCharts().catch(() => {}); }));
  $("#sign-in").addEventListener("click", async () => { if (await ensureSignedIn({})) await load(); });
  $("#currency").addEventListener("change", () => { currency = $("#currency").value; render(); renderCharts().catch(() => {}); });
  if (!streamId) { gate(t("report.no_show"), false); return; }
  const user = await ensureSignedIn({ title: t("report.sign_in_title") });
  if (!user) { gate(t("report.signed_out"), true); return; }
  $("#who").textContent = user.display_name;
  await load();
}

main().catch((error) => gate(describeError(error, "report", "report.failed"), false));
