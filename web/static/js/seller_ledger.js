// @ts-check
// What the shop owes hosts: the commission ledger summed per host and currency, for all time
// or per day, week or month (GET /api/ledger?as=seller&by=host[,period]); sales bought from a
// show's replay in rows of their own, marked.

import { api } from "./api.js";
import { formatNumber, formatPrice, locale, t } from "./i18n.js";
import { $, el } from "./ui.js";
import { failed } from "./seller_errors.js";
import { hostName, learn } from "./seller_shows.js";

let answer = null;

export function setUpLedger() {
  $("#ledger-period").addEventListener("change", loadLedger);
  $("#ledger-refresh").addEventListener("click", loadLedger);
}

export async function loadLedger() {
  const period = $("#ledger-period").value;
  const query = period ? `by=host,period&period=${period}` : "by=host";
  try {
    answer = await api("GET", `/api/ledger?as=seller&${query}`);
  } catch (error) {
    failed(error);
    return;
  }
  await learn({ hostIds: answer.rows.map((row) => row.host_id) });
  renderLedger();
}

export function renderLedger() {
  if (!answer) return;
  const byPeriod = Boolean(answer.period);
  const heads = [
    ["seller.col_host", ""],
    ...(byPeriod ? [["seller.col_period", ""]] : []),
    ["seller.col_sales", "num"],
    ["seller.col_refunds", "num"],
    ["seller.col_gmv", "num"],
    ["seller.col_commission", "num"],
  ];
  $("#ledger-head").replaceChildren(...heads.map(([key, cls]) => el("th", { scope: "col", class: cls }, t(key))));
  const rows = [...answer.rows].sort((a, b) =>
    hostName(a.host_id).localeCompare(hostName(b.host_id)) || a.currency.localeCompare(b.currency) || String(b.period).localeCompare(String(a.period))
    || a.source.localeCompare(b.source));
  $("#ledger-rows").replaceChildren(...rows.map((row) => el("tr", { "data-host": String(row.host_id), "data-currency": row.currency, "data-source": row.source },
    el("th", { scope: "row" }, hostName(row.host_id), ...replayMark(row.source)),
    byPeriod ? el("td", {}, periodLabel(row.period, answer.period)) : "",
    el("td", { class: "num" }, formatNumber(row.sales)),
    el("td", { class: "num" }, formatNumber(row.refunds)),
    el("td", { class: "num" }, formatPrice(row.gmv_minor, row.currency)),
    el("td", { class: "num owed" }, el("strong", {}, formatPrice(row.commission_minor, row.currency))))));
  $("#ledger-table").hidden = rows.length === 0;
  $("#ledger-empty").hidden = rows.length > 0;
}

// Sales bought from a show's replay (source "replay") sit in rows of their own, marked.
function replayMark(source) {
  return source === "replay" ? [" ", el("span", { class: "pill ledger-replay" }, t("seller.ledger_replay"))] : [];
}

// A period by its first day (UTC): "12 May 2026", "week of 11 May 2026", "May 2026".
function periodLabel(firstDay, period) {
  const date = new Date(`${firstDay}T00:00:00Z`);
  if (period === "month") return new Intl.DateTimeFormat(locale(), { month: "long", year: "numeric", timeZone: "UTC" }).format(date);
  const day = new Intl.DateTimeFormat(locale(), { dateStyle: "medium", timeZone: "UTC" }).format(date);
  return period === "week" ? t("seller.week_of", { date: day }) : day;
}
