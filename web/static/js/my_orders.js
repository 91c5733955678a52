// @ts-check
// "My orders" (/orders): every order with its status, the show it came from and where it
// ships; cancel while unpaid; `order_updated` on the buyer's socket redraws it live.

import { api } from "./api.js";
import { accountError, countryName, startPage } from "./account_common.js";
import { formatPrice, formatTime, t } from "./i18n.js";
import "./live_toasts.js"; // "<host> is live" toasts for the hosts this account follows
import { RoomConnection } from "./room.js";
import { $, el, toast } from "./ui.js";

/** @type {any[]} */
let orders = [];

/** @param {any} order */
function statusText(order) {
  const key = `account.status_${order.status}`;
  const text = t(key);
  return text === key ? order.status : text;
}

/** @param {any} order */
function item(order) {
  const units = order.lines.reduce((sum, line) => sum + line.quantity, 0);
  const shipping = order.shipping;
  return el("li", { class: "card order", "data-order-id": String(order.id), "data-status": order.status },
    el("div", { class: "section-head" },
      el("h2", {}, t("account.order_title", { id: String(order.id) })),
      el("span", { class: `pill status-${order.status}`, role: "status" }, statusText(order))),
    el("p", { class: "muted" }, formatTime(order.created_at), " · ", t("account.items", { count: units })),
    order.show ? el("p", {}, t("account.from_show", { title: order.show.title }), " ", el("a", { href: `/watch/${order.show.id}` }, t("account.open_show"))) : "",
    el("ul", { class: "order-lines" }, ...order.lines.map((line) => el("li", {}, `${line.quantity} × ${line.title} (${line.sku})`))),
    shipping ? el("p", {}, el("strong", {}, t("account.ships_to")), " ", [...shipping.address_lines, countryName(shipping.country)].join(", ")) : "",
    shipping ? el("p", {}, t("account.shipping_fee", { amount: formatPrice(shipping.fee_minor, shipping.currency) })) : "",
    el("p", { class: "order-total" }, t("account.total", { amount: formatPrice(order.total_minor, order.currency) })),
    order.cancellable && order.expires_at ? el("p", { class: "muted" }, t("account.pay_by", { time: formatTime(order.expires_at) })) : "",
    order.cancellable ? el("button", { type: "button", class: "danger", onclick: () => cancel(order) }, t("account.cancel_order")) : "");
}

function render() {
  $("#orders-count").textContent = orders.length ? t("account.orders_count", { count: orders.length }) : t("account.no_orders");
  $("#orders").replaceChildren(...orders.map(item));
}

async function load() {
  try {
    orders = (await api("GET", "/api/account/orders")).orders;
  } catch (error) {
    toast(accountError(error));
  }
  render();
}

/** @param {any} order */
async function cancel(order) {
  try {
    await api("POST", `/api/orders/${order.id}/cancel`);
    toast(t("account.cancelled_toast"), "ok");
  } catch (error) {
    toast(accountError(error));
  }
  await load();
}

const user = await startPage(render);
if (!user) {
  $("#gate").hidden = false;
} else {
  $("#orders-card").hidden = false;
  await load();
  const room = new RoomConnection();
  // An order moved (paid, cancelled, expired, refunded, shipped): its shipping and show stay.
  room.on("order_updated", () => { load(); });
  room.onReconnect = () => { load(); };
  room.connect();
}
