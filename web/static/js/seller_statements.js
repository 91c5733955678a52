// @ts-check
// Commission statements month by month (docs/protocol.md "Commission statements"): what a shop
// owes each host, earned, reversed by refunds, net, and when it is payable; with the same rows
// as CSV. The seller desk shows its shop's (as=seller, a column per host), the offers page the
// host's own (as=host, a column per shop). `page` is the catalog the words are in.

import { api } from "./api.js";
import { formatNumber, formatPrice, locale, t } from "./i18n.js";
import { $, el, toast } from "./ui.js";
import { describeError } from "./errors.js";

/** @typedef {{as: "seller" | "host", page: string}} View */

/** @type {View} */
let view = { as: "seller", page: "seller" };
let statements = [];
let windowDays = null;

// The section's heading, month range, CSV link and table, built into #st-slot.
function build() {
  const word = (key) => t(`${view.page}.${key}`);
  const month = (id, key) => el("div", {}, el("label", { for: id }, word(key)), el("input", { id, type: "month" }));
  $("#st-slot").replaceWith(
    el("div", { class: "section-head" },
      el("h2", { id: "statements-title" }, word("statements")),
      el("a", { id: "st-csv", class: "button", href: "/api/statements.csv", download: "statements.csv" }, word("st_csv"))),
    el("form", { id: "st-form", class: "inline-form" },
      month("st-from", "st_from"), month("st-to", "st_to"), el("button", { type: "submit" }, word("refresh"))),
    el("p", { class: "muted small", id: "st-window" }),
    el("p", { class: "muted", id: "st-empty", hidden: "" }, word("st_empty")),
    // Scrolls sideways on a phone: focusable, so a keyboard can scroll it too.
    el("div", { class: "table-wrap", tabindex: "0", role: "region", "aria-labelledby": "statements-title" },
      el("table", { class: "data", id: "st-table", hidden: "" },
        el("caption", { class: "visually-hidden" }, word("statements")),
        el("thead", {}, el("tr", { id: "st-head" })),
        el("tbody", { id: "st-rows" }))));
}

// The words of the section's fixed parts, again in a newly chosen language.
function relabel() {
  const word = (key) => t(`${view.page}.${key}`);
  $("#statements-title").textContent = word("statements");
  $("#st-csv").textContent = word("st_csv");
  $('label[for="st-from"]').textContent = word("st_from");
  $('label[for="st-to"]').textContent = word("st_to");
  $("#st-form button").textContent = word("refresh");
  $("#st-empty").textContent = word("st_empty");
  $("#st-table caption").textContent = word("statements");
  $("#st-window").textContent = windowDays === null ? "" : t(`${view.page}.st_window`, { count: windowDays });
}

/** @param {View} chosen */
export function setUpStatements(chosen) {
  view = chosen;
  build();
  const now = new Date();
  const month = (date) => date.toISOString().slice(0, 7);
  $("#st-to").value = month(now);
  $("#st-from").value = month(new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 5, 1)));
  $("#st-form").addEventListener("submit", (event) => { event.preventDefault(); loadStatements(); });
}

function query() {
  const params = new URLSearchParams({ as: view.as });
  if ($("#st-from").value) params.set("from", $("#st-from").value);
  if ($("#st-to").value) params.set("to", $("#st-to").value);
  return params.toString();
}

export async function loadStatements() {
  const asked = query();
  $("#st-csv").setAttribute("href", `/api/statements.csv?${asked}`);
  try {
    const answer = await api("GET", `/api/statements?${asked}`);
    statements = answer.statements;
    windowDays = answer.refund_window_days;
  } catch (error) {
    toast(describeError(error, view.page, `${view.page}.error.unknown`));
    return;
  }
  renderStatements();
}

export function renderStatements() {
  relabel();
  const who = view.as === "seller" ? "st_col_host" : "st_col_shop";
  const heads = [
    ["st_col_month", ""], [who, ""], ["st_col_sales", "num"], ["st_col_earned", "num"],
    ["st_col_reversed", "num"], ["st_col_net", "num"], ["st_col_payable", ""],
  ];
  $("#st-head").replaceChildren(...heads.map(([key, cls]) => el("th", { scope: "col", class: cls }, t(`${view.page}.${key}`))));
  $("#st-rows").replaceChildren(...statements.map(row));
  $("#st-table").hidden = statements.length === 0;
  $("#st-empty").hidden = statements.length > 0;
}

function row(statement) {
  const money = (minor) => formatPrice(minor, statement.currency);
  const month = new Intl.DateTimeFormat(locale(), { month: "long", year: "numeric", timeZone: "UTC" })
    .format(new Date(`${statement.month}T00:00:00Z`));
  const payable = new Intl.DateTimeFormat(locale(), { dateStyle: "medium", timeZone: "UTC" })
    .format(new Date(`${statement.payable_on}T00:00:00Z`));
  return el("tr", { "data-host": String(statement.host_id), "data-month": statement.month, "data-status": statement.status },
    el("th", { scope: "row" }, month),
    el("td", {}, view.as === "seller" ? statement.host : statement.shop),
    el("td", { class: "num" }, formatNumber(statement.sales)),
    el("td", { class: "num" }, money(statement.earned_minor)),
    el("td", { class: "num" }, money(statement.reversed_minor)),
    el("td", { class: "num" }, el("strong", {}, money(statement.net_minor))),
    el("td", {}, el("span", { class: `pill st-${statement.status}` }, t(`${view.page}.st_status.${statement.status}`)), " ",
      t(`${view.page}.st_payable_on`, { date: payable })));
}
