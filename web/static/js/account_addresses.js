// @ts-check
// The account page's addresses: listed as written on a parcel, added, edited, deleted, one the
// default; the form follows the chosen country (its postal code example, whether it has a
// region, "State" for the US).

import { api } from "./api.js";
import { accountError, COUNTRIES, countryName } from "./account_common.js";
import { t } from "./i18n.js";
import { $, el, toast } from "./ui.js";

const EXAMPLES = { GB: "SW1A 1AA", IE: "D02 X285", US: "94103", FR: "75001", ES: "28013", PT: "1100-148", IT: "00184", PL: "00-950", RU: "101000", UA: "01001" };
const NO_REGION = new Set(["FR", "PL"]);
const FIELDS = ["name", "line1", "line2", "city", "region", "phone"];

/** @param {string} id */
const input = (id) => /** @type {HTMLInputElement} */ ($(id));

export function setUpAddresses() {
  /** @type {any[]} */
  let list = [];
  /** @type {number | null} */
  let editing = null;
  const country = /** @type {HTMLSelectElement} */ ($("#address-country"));

  function followCountry() {
    const code = country.value;
    $("#address-region-box").hidden = NO_REGION.has(code);
    $("label[for=address-region]").textContent = code === "US" ? t("account.state") : t("account.region");
    $("#address-postal-hint").textContent = code ? t("account.postal_example", { example: EXAMPLES[code] }) : "";
  }

  function render() {
    const chosen = country.value;
    country.replaceChildren(...COUNTRIES.map((code) => el("option", { value: code }, countryName(code))));
    country.value = chosen || "PL";
    followCountry();
    $("#addresses-count").textContent = t("account.addresses_count", { count: list.length });
    $("#addresses").replaceChildren(...list.map((a) => el("li", { class: "card address", "data-address-id": String(a.id) },
      el("address", {}, ...a.lines.flatMap((line, i) => (i ? [el("br"), line] : [line])), el("br"), countryName(a.country)),
      a.default ? el("span", { class: "pill" }, t("account.default")) : "",
      el("div", { class: "row" },
        el("button", { type: "button", onclick: () => edit(a) }, t("account.edit")),
        a.default ? "" : el("button", { type: "button", onclick: () => save(a, true) }, t("account.make_default")),
        el("button", { type: "button", class: "danger", onclick: () => remove(a) }, t("account.delete"))))));
    $("#address-form-title").textContent = editing ? t("account.edit_address") : t("account.add_address");
    $("#address-cancel").hidden = editing === null;
  }

  async function load() {
    try {
      list = (await api("GET", "/api/account/addresses")).addresses;
    } catch (error) {
      toast(accountError(error));
    }
    render();
  }

  /** @param {any} a */
  function edit(a) {
    editing = a.id;
    country.value = a.country;
    for (const name of FIELDS) input(`#address-${name}`).value = a[name] || "";
    input("#address-postal").value = a.postal_code;
    input("#address-default").checked = a.default;
    render();
    input("#address-name").focus();
  }

  function clear() {
    editing = null;
    for (const name of [...FIELDS, "postal"]) input(`#address-${name}`).value = "";
    input("#address-default").checked = false;
    $("#address-error").textContent = "";
    render();
  }

  /** @param {any} a @param {boolean} makeDefault */
  async function save(a, makeDefault) {
    const body = { ...Object.fromEntries(FIELDS.map((n) => [n, a[n] || ""])), postal_code: a.postal_code, country: a.country, default: makeDefault };
    try {
      await api("PUT", `/api/account/addresses/${a.id}`, body);
      await load();
    } catch (error) {
      toast(accountError(error));
    }
  }

  /** @param {any} a */
  async function remove(a) {
    try {
      await api("DELETE", `/api/account/addresses/${a.id}`);
      if (editing === a.id) clear();
      await load();
    } catch (error) {
      toast(accountError(error));
    }
  }

  country.addEventListener("change", followCountry);
  $("#address-cancel").addEventListener("click", clear);
  $("#address-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    /** @type {Record<string, string | boolean>} */
    const body = {
      ...Object.fromEntries(FIELDS.map((n) => [n, input(`#address-${n}`).value])),
      postal_code: input("#address-postal").value,
      country: country.value,
      default: input("#address-default").checked,
    };
    if (NO_REGION.has(country.value)) delete body.region;
    $("#address-error").textContent = "";
    try {
      await api(editing ? "PUT" : "POST", editing ? `/api/account/addresses/${editing}` : "/api/account/addresses", body);
      toast(t("account.address_saved"), "ok");
      clear();
      await load();
    } catch (error) {
      $("#address-error").textContent = accountError(error);
    }
  });
  return { load, render };
}
