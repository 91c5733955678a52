// @ts-check
// What the buyer's pages (sign-up, sign-in, account, "My orders") share: their strings
// (i18n/<lang>/account.json), the header, country names and refusals in the page's language.

import { session } from "./api.js";
import { describeError } from "./errors.js";
import { languageSwitcher, loadMessages, locale, t } from "./i18n.js";
import { $ } from "./ui.js";

// Where we ship (server/core/domain/addresses.py COUNTRIES), in the order of the languages.
export const COUNTRIES = ["GB", "IE", "US", "FR", "ES", "PT", "IT", "PL", "RU", "UA"];

/** @param {string} code */
export function countryName(code) {
  try {
    return new Intl.DisplayNames([locale()], { type: "region" }).of(code) || code;
  } catch {
    return code;
  }
}

/** @param {unknown} error */
export function accountError(error) {
  return describeError(error, "account", "account.failed");
}

/** @param {() => void} [onLanguage] */
export async function startPage(onLanguage) {
  await loadMessages("account");
  $("#language-slot").replaceWith(languageSwitcher(onLanguage));
  const user = session.user;
  const who = $("#who");
  if (who && user) who.textContent = t("account.signed_in_as", { name: user.display_name });
  return user;
}

// After signing in or up: back where the buyer came from (`?next=/watch/3`), else the account.
export function goNext() {
  const next = new URLSearchParams(location.search).get("next") || "/account";
  location.assign(next.startsWith("/") && !next.startsWith("//") ? next : "/account");
}
