// @ts-check
// The buyer's account (/account): preferred language and country, and shipping addresses in
// their country's format (docs/protocol.md "Addresses and shipping").

import { api } from "./api.js";
import { accountError, COUNTRIES, countryName, startPage } from "./account_common.js";
import { setUpAddresses } from "./account_addresses.js";
import { LANGUAGE_NAMES, LANGUAGES, t } from "./i18n.js";
import "./live_toasts.js"; // "<host> is live" toasts for the hosts this account follows
import { $, el, toast } from "./ui.js";

/** @type {{language: string | null, country: string | null}} */
let profile = { language: null, country: null };
let addresses = setUpAddresses();

function renderProfile() {
  const language = /** @type {HTMLSelectElement} */ ($("#profile-language"));
  language.replaceChildren(
    el("option", { value: "" }, t("account.none")),
    ...LANGUAGES.map((code) => el("option", { value: code, lang: code }, LANGUAGE_NAMES[code])));
  language.value = profile.language || "";
  const country = /** @type {HTMLSelectElement} */ ($("#profile-country"));
  country.replaceChildren(
    el("option", { value: "" }, t("account.none")),
    ...COUNTRIES.map((code) => el("option", { value: code }, countryName(code))));
  country.value = profile.country || "";
}

const user = await startPage(() => { renderProfile(); addresses.render(); });
if (!user) {
  $("#gate").hidden = false;
} else {
  $("#account").hidden = false;
  try {
    profile = await api("GET", "/api/account/profile");
  } catch (error) {
    toast(accountError(error));
  }
  renderProfile();
  await addresses.load();
  $("#profile-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const language = /** @type {HTMLSelectElement} */ ($("#profile-language")).value || null;
    const country = /** @type {HTMLSelectElement} */ ($("#profile-country")).value || null;
    $("#profile-error").textContent = "";
    try {
      profile = await api("PATCH", "/api/account/profile", { language, country });
      toast(t("account.saved"), "ok");
    } catch (error) {
      $("#profile-error").textContent = accountError(error);
    }
  });
}
