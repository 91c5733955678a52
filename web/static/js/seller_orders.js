// @ts-check
// The shop's orders, newest first, filtered by status; paid orders are fulfilled (shipped) or
// refunded from here (POST /api/orders/{id}/fulfil | refund).

import { api } from "./api.js";
import { formatPrice, formatTime, t } from "./i18n.js";
import { $, el, toast } from "./ui.js";
import { failed } from "./seller_errors.js";
import { learn, showTitle } from "./seller_shows.js";

const REFRESH_MS = 30000;
let orders = [];
let onRefund = () => {};

export function setUpOrders(refunded) {
  onRefund = refunded;
  $("#order-status").addEventListener("change", loadOrders);
  $("#orders-refresh").addEventListener("click", loadOrders);
  // No live events reach sellers: look again now and then while the page is in view.
  setInterval(() => { if (document.visibilityState === "visible" && !$("#desk").hidden) loadOrders(); }, REFRESH_MS);
}

export async function loadOrders() {
  const status = $("#order-status").value;
  const query = status ? `?status=${encodeURIComponent(status)}` : "";
  try {
    orders = (await api("GET", `/api/seller/orders${query}`)).orders;
  } catch (error) {
    failed(error);
    return;
  }
  await learn({ streamIds: orders.map((o) => o.stream_id) });
  renderOrders();
}

export function renderOrders() {
  $("#order-rows").replaceChildren(...orders.map(row));
  $("#orders-table").hidden = orders.length === 0;
  $("#orders-empty").hidden = orders.length > 0;
}

function row(order) {
  const items = el("ul", { class: "items" }, ...order.lines.map((line) => el("li", {},
    t("seller.order_line", { quantity: line.quantity, title: line.title }), " ",
    el("span", { class: "muted" }, `${line.sku} · ${formatPrice(line.unit_price_minor, line.currency)}`))));
  const total = el("td", { class: "num" }, el("strong", {}, formatPrice(order.total_minor, order.currency)));
  if (order.discount_minor > 0) {
    total.append(el("div", { class: "muted small" }, t("seller.discount", { amount: formatPrice(order.discount_minor, order.currency) })));
  }
  return el("tr", { id: `order-${order.id}`, "data-status": order.status },
    el("th", { scope: "row" }, t("seller.order_number", { id: String(order.id) })),
    el("td", {}, el("time", { datetime: order.created_at }, formatTime(order.created_at))),
    el("td", {}, order.stream_id === null ? showTitle(order.stream_id)
      : el("a", { href: `/report/${order.stream_id}`, title: t("seller.show_report") }, showTitle(order.stream_id))),
    el("td", {}, items),
    total,
    el("td", {}, el("span", { class: `pill status ${order.status}` }, t(`seller.status.${order.status}`))),
    el("td", { class: "actions" }, ...actions(order)));
}

function actions(order) {
  const buttons = [];
  if (order.status === "paid") {
    buttons.push(el("button", {
      type: "button", class: "primary fulfil",
      "aria-label": t("seller.fulfil_label", { id: String(order.id) }),
      onclick: () => change(order, "fulfil"),
    }, t("seller.fulfil")));
  }
  if (order.status === "paid" || order.status === "fulfilled") {
    buttons.push(el("button", {
      type: "button", class: "refund",
      "aria-label": t("seller.refund_label", { id: String(order.id) }),
      onclick: () => confirmRefund(order),
    }, t("seller.refund")));
  }
  return buttons;
}

async function confirmRefund(order) {
  const total = formatPrice(order.total_minor, order.currency);
  const yes = await confirmDialog(
    t("seller.refund_title", { id: String(order.id) }),
    t("seller.refund_text", { amount: total }),
    t("seller.refund"),
  );
  if (yes) await change(order, "refund");
  else $(`#order-${order.id} .refund`)?.focus();
}

async function change(order, verb) {
  try {
    const changed = await api("POST", `/api/orders/${order.id}/${verb}`);
    orders = orders.map((o) => (o.id === changed.id ? changed : o));
    renderOrders();
    const done = verb === "fulfil" ? "seller.fulfilled_done" : "seller.refunded_done";
    toast(t(done, { id: String(order.id) }), "ok");
    $(`#order-${order.id} th`)?.setAttribute("tabindex", "-1");
    $(`#order-${order.id} th`)?.focus();
    if (verb === "refund") onRefund();
  } catch (error) {
    failed(error);
  }
}

// A modal yes/no: resolves true when the person confirms (Escape or Cancel say no).
function confirmDialog(title, text, confirmLabel) {
  const dialog = $("#confirm");
  $("#confirm-title").textContent = title;
  $("#confirm-text").textContent = text;
  $("#confirm-ok").textContent = confirmLabel;
  return new Promise((resolve) => {
    const answer = (yes) => () => dialog.close(yes ? "ok" : "cancel");
    const ok = answer(true);
    const cancel = answer(false);
    $("#confirm-ok").addEventListener("click", ok);
    $("#confirm-cancel").addEventListener("click", cancel);
    dialog.addEventListener("close", () => {
      $("#confirm-ok").removeEventListener("click", ok);
      $("#confirm-cancel").removeEventListener("click", cancel);
      resolve(dialog.returnValue === "ok");
    }, { once: true });
    dialog.returnValue = "";
    dialog.showModal();
    $("#confirm-cancel").focus();  // the safe choice first
  });
}
