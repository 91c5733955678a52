// @ts-check
// Where the shop ships and for how much (GET/PUT /api/seller/shipping): one row per country we
// ship to, ticked with its fee, every fee in the one currency of the shop's table.

import { api } from "./api.js";
import { t } from "./i18n.js";
import { $, el, toast } from "./ui.js";
import { COUNTRIES, countryName } from "./account_common.js";
import { failed } from "./seller_errors.js";
import { CURRENCIES, minorToInput, parseMinor } from "./seller_money.js";

let rates = [];

export function setUpShipping() {
  $("#shipping-currency").replaceChildren(...CURRENCIES.map((code) => el("option", { value: code }, code)));
  $("#shipping-form").addEventListener("submit", save);
}

export async function loadShipping() {
  try {
    rates = (await api("GET", "/api/seller/shipping")).rates;
  } catch (error) {
    failed(error);
  }
  renderShipping();
}

export function renderShipping() {
  if (rates.length) $("#shipping-currency").value = rates[0].currency;
  const fees = new Map(rates.map((rate) => [rate.country, rate.fee_minor]));
  $("#shipping-rows").replaceChildren(...COUNTRIES.map((code) => {
    const name = countryName(code);
    const fee = fees.get(code);
    return el("tr", { "data-country": code },
      el("th", { scope: "row" },
        el("label", { class: "check" },
          el("input", { type: "checkbox", id: `ship-${code}`, ...(fee === undefined ? {} : { checked: "" }) }), " ", name)),
      el("td", { class: "num" },
        el("input", { id: `ship-fee-${code}`, inputmode: "decimal", autocomplete: "off", size: "8",
          "aria-label": t("seller.ship_fee_label", { country: name }), value: fee === undefined ? "" : minorToInput(fee) })));
  }));
}

async function save(event) {
  event.preventDefault();
  const currency = $("#shipping-currency").value;
  const chosen = [];
  for (const code of COUNTRIES) {
    if (!$(`#ship-${code}`).checked) continue;
    const fee = parseMinor($(`#ship-fee-${code}`).value || "0");
    if (fee === null) {
      toast(t("seller.ship_bad_fee", { country: countryName(code) }));
      return $(`#ship-fee-${code}`).focus();
    }
    chosen.push({ country: code, fee_minor: fee, currency });
  }
  try {
    rates = (await api("PUT", "/api/seller/shipping", { rates: chosen })).rates;
    renderShipping();
    toast(t("seller.shipping_saved"), "ok");
  } catch (error) {
    failed(error);
  }
}
