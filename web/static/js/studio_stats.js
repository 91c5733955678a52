// @ts-check
// The live stats panel: viewers now and over the show (a sparkline), likes, sales, revenue and
// commission per currency (the commission ledger, polled), and units bought as they happen
// (stock_changed, a hint before payment lands in the ledger), and the video layers this page
// sends (the publisher's "publisher-layers" events: simulcast's full, half and quarter).

import { api } from "./api.js";
import { formatNumber, formatPrice, locale, t } from "./i18n.js";
import { addSample, drawSparkline } from "./studio_sparkline.js";
import { $, el } from "./ui.js";

const POLL_MS = 4000;
const SAMPLE_MS = 5000;
const KEEP_MS = 24 * 3600 * 1000;
const LAYER_ORDER = ["f", "h", "q", ""];

export class Stats {
  constructor(streamId) {
    this.streamId = streamId;
    this.viewers = 0;
    this.likes = 0;
    this.rows = null;  // the ledger's rows for this show; null until the first answer
    this.ledgerError = null;
    this.stock = new Map();
    this.unitsLive = 0;
    this.store = `shopcast.studio.viewers.${streamId}`;
    this.samples = this.load();
    this.pollTimer = null;
    this.soonTimer = null;
    this.layerBytes = new Map();  // rid -> bytes sent at the last report
    document.addEventListener("publisher-layers", (event) => this.renderLayers(/** @type {CustomEvent} */ (event).detail));
  }

  load() {
    try {
      const kept = JSON.parse(localStorage.getItem(this.store) || "[]");
      return kept.filter(([time]) => Date.now() - time < KEEP_MS);
    } catch { return []; }
  }

  apply(state) {
    this.viewers = state.viewers;
    this.likes = Math.max(this.likes, state.likes || 0);
    for (const product of state.stream.lineup) this.stock.set(product.id, product.stock);
    this.sample();
    this.render();
  }

  bind(room) {
    room
      .on("viewer_count", ({ count }) => { this.viewers = count; this.sample(); this.render(); })
      .on("likes", ({ total }) => { this.likes = Math.max(this.likes, total); this.renderCounts(); })
      .on("stock_changed", ({ product_id, stock }) => this.stockChanged(product_id, stock));
  }

  start() {
    if (this.started) return;
    this.started = true;
    this.poll();
    setInterval(() => { this.sample(); this.renderSparkline(); }, SAMPLE_MS);
  }

  sample() {
    addSample(this.samples, Date.now(), this.viewers);
    try { localStorage.setItem(this.store, JSON.stringify(this.samples)); } catch { /* full: keep going */ }
  }

  // Units leaving the shelf count as bought at once; payment shows up in the ledger shortly.
  stockChanged(productId, stock) {
    const before = this.stock.get(productId);
    if (before !== undefined && stock < before) this.unitsLive += before - stock;
    this.stock.set(productId, stock);
    this.renderCounts();
    clearTimeout(this.soonTimer);
    this.soonTimer = setTimeout(() => this.poll(), 1500);
  }

  async poll() {
    clearTimeout(this.pollTimer);
    try {
      const ledger = await api("GET", "/api/ledger?as=host&by=stream");
      this.rows = ledger.rows.filter((row) => row.stream_id === this.streamId);
      this.ledgerError = null;
    } catch (error) {
      this.ledgerError = error;
      if (error.status === 401 || error.status === 403) { this.renderMoney(); return; }  // not a host: stop
    }
    this.renderMoney();
    this.pollTimer = setTimeout(() => this.poll(), document.hidden ? POLL_MS * 4 : POLL_MS);
  }

  render() {
    this.renderCounts();
    this.renderSparkline();
    this.renderMoney();
  }

  renderCounts() {
    $("#stat-viewers").textContent = formatNumber(this.viewers);
    $("#viewers").textContent = t("common.watching", { count: this.viewers });
    $("#stat-likes").textContent = formatNumber(this.likes);
    $("#stat-live-units").textContent = this.unitsLive ? t("studio.units_live", { count: this.unitsLive }) : "";
    $("#stat-live-units").title = t("studio.units_live_hint");
  }

  renderSparkline() {
    const peak = Math.max(0, ...this.samples.map(([, v]) => v));
    const since = this.samples.length ? new Date(this.samples[0][0]) : new Date();
    const time = new Intl.DateTimeFormat(locale(), { timeStyle: "short" }).format(since);
    $("#stat-peak").textContent = t("studio.peak", { count: peak, time });
    const svg = $("#sparkline");
    drawSparkline(svg, this.samples, t("studio.sparkline", { count: this.viewers, peak, time }));
    svg.dataset.last = String(this.viewers);
  }

  renderMoney() {
    const rows = this.rows || [];
    const sales = rows.reduce((sum, row) => sum + row.sales, 0);
    const refunds = rows.reduce((sum, row) => sum + row.refunds, 0);
    $("#stat-sales").textContent = this.rows ? formatNumber(sales) : "–";
    $("#stat-sales").title = refunds ? t("studio.refunds", { count: refunds }) : "";
    this.moneyList($("#revenue"), rows, "gmv_minor");
    this.moneyList($("#commission"), rows, "commission_minor");
  }

  moneyList(list, rows, field) {
    if (this.ledgerError && !this.rows) {
      list.replaceChildren(el("li", { class: "muted" }, t("studio.ledger_unavailable")));
    } else if (!rows.length) {
      list.replaceChildren(el("li", { class: "muted" }, t("studio.no_sales")));
    } else {
      list.replaceChildren(...rows.map((row) => el("li", { "data-currency": row.currency }, formatPrice(row[field], row.currency))));
    }
  }

  // Each layer's size and bitrate since the last report; a paused one says why.
  renderLayers({ layers, seconds }) {
    const list = $("#stat-layers");
    if (!list) return;
    const rows = [...layers].sort((a, b) => LAYER_ORDER.indexOf(a.rid) - LAYER_ORDER.indexOf(b.rid)).map((layer) => {
      const before = this.layerBytes.get(layer.rid);
      this.layerBytes.set(layer.rid, layer.bytes);
      const kbps = before === undefined || !seconds ? 0 : Math.max(0, Math.round((layer.bytes - before) * 8 / seconds / 1000));
      const name = t(`studio.layer_${layer.rid || "single"}`);
      const text = layer.active
        ? t("studio.layer_sending", { name, width: layer.width, height: layer.height, kbps: formatNumber(kbps) })
        : t("studio.layer_paused", { name });
      return el("li", { "data-rid": layer.rid, "data-width": String(layer.width), class: layer.active ? "" : "muted" }, text);
    });
    if (!layers.length) this.layerBytes.clear();
    list.replaceChildren(...(rows.length ? rows : [el("li", { class: "muted" }, t("studio.layers_none"))]));
    $("#stat-layers-note").textContent = layers.length === 1 ? t("studio.layers_single") : "";
  }
}
