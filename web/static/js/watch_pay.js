// @ts-check
// Paying an order with the shop's payment provider (docs/protocol.md, "Buying").
//
// GET /api/payments/config names the provider. With `test` the server pays on its own. With
// Stripe the card never touches our code: Stripe.js, loaded from the origin the server names
// (Stripe requires js.stripe.com itself, never a copy or a bundle), draws the card field and
// turns it into a PaymentMethod id, which POST /api/orders/{id}/pay takes. When the card needs
// 3-D Secure, pay answers 202 with `next_action`; Stripe.js runs the bank's step and we call pay
// again, which captures (200), answers 202 while the step is not done, or 402 when it failed.

import { api, ApiError } from "./api.js";
import { t } from "./i18n.js";
import { el } from "./ui.js";

let setup = null; // GET /api/payments/config, once per page
const scripts = new Map(); // script URL -> Promise of window.Stripe

export async function paymentSetup() {
  if (!setup) setup = api("GET", "/api/payments/config").catch((error) => { setup = null; throw error; });
  return setup;
}

// Whether paying needs the buyer's card first (the server cannot pay on its own).
export async function needsCard() {
  return (await paymentSetup()).provider === "stripe";
}

function loadStripe(url, publishableKey) {
  if (!scripts.has(url)) {
    scripts.set(url, new Promise((resolve, reject) => {
      const script = el("script", { src: url });
      script.addEventListener("load", () => (window.Stripe ? resolve(window.Stripe) : reject(new Error("no Stripe"))));
      script.addEventListener("error", () => { scripts.delete(url); reject(new ApiError("network", t("watch.error.network"), 0)); });
      document.head.append(script);
    }));
  }
  return scripts.get(url).then((Stripe) => Stripe(publishableKey));
}

// The card sheet: Stripe's card field, Pay and Cancel. Resolves with a PaymentMethod id, or
// null when the buyer cancels (the order keeps its hold until it expires).
async function cardSheet(config) {
  const stripe = await loadStripe(config.script_url, config.publishable_key);
  const field = el("div", { class: "card-field", id: "card-field" });
  const status = el("p", { class: "cart-status", role: "status" });
  const pay = el("button", { type: "submit", class: "primary", id: "card-pay" }, t("watch.card.pay"));
  const cancel = el("button", { type: "button", id: "card-cancel" }, t("watch.card.cancel"));
  const form = el("form", { method: "dialog" }, el("h2", {}, t("watch.card.title")), field, status,
    el("div", { class: "dialog-actions" }, pay, cancel));
  const dialog = el("dialog", { class: "sheet", id: "card-sheet" }, form);
  document.body.append(dialog);
  const card = stripe.elements().create("card");
  card.mount(field);
  dialog.showModal();
  try {
    return await new Promise((resolve) => {
      cancel.addEventListener("click", () => resolve(null));
      dialog.addEventListener("cancel", () => resolve(null));
      form.addEventListener("submit", async (event) => {
        event.preventDefault();
        pay.disabled = true;
        const result = await stripe.createPaymentMethod({ type: "card", card });
        pay.disabled = false;
        if (result && result.paymentMethod) resolve(result.paymentMethod.id);
        else status.textContent = (result && result.error && result.error.message) || t("watch.error.generic");
      });
    });
  } finally {
    dialog.close();
    dialog.remove();
  }
}

// The provider's step a 202 asks for. Only Stripe has one in the browser.
async function runStep(action) {
  if (action.provider !== "stripe") throw new ApiError("requires_action", t("watch.error.requires_action"), 202);
  const stripe = await loadStripe(action.script_url, action.publishable_key);
  await stripe.confirmCardPayment(action.client_secret); // the server reads how it went
}

// Pay a reserved order: the card first when the provider needs one, then every step the
// provider asks for. Resolves with the order as the server last answered.
export async function payOrder(order) {
  let body = {};
  if (await needsCard()) {
    const method = await cardSheet(await paymentSetup());
    if (!method) return order;
    body = { payment_method: method };
  }
  return finishPayment(await api("POST", `/api/orders/${order.id}/pay`, body));
}

export async function finishPayment(order) {
  let current = order;
  for (let step = 0; current.next_action && step < 3; step += 1) {
    await runStep(current.next_action);
    current = await api("POST", `/api/orders/${current.id}/pay`, {});
  }
  return current;
}
