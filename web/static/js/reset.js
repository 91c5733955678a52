// @ts-check
// Password reset (/reset): without a token, ask for a link by email (the answer is the same
// whether or not the address has an account); with #token=... from that email, choose a new
// password (POST /api/auth/password-reset/confirm). A link used twice, expired or mangled
// says so in words, with a way to ask for a new one. The token is taken out of the address
// bar at once so it stays out of the history; a link opened in a tab already on this page
// (only the #fragment changes, nothing reloads) is read the same way.

import { api } from "./api.js";
import { describeError } from "./errors.js";
import { languageSwitcher, loadMessages, t } from "./i18n.js";
import { $ } from "./ui.js";

const DEAD_LINK = new Set(["reset_link_used", "reset_link_expired", "reset_link_invalid"]);
/** @type {string | null} */
let token = null;

/** @param {unknown} error */
function refusal(error) {
  return describeError(error, "reset", "reset.failed");
}

/** @param {string} id */
function value(id) {
  return /** @type {HTMLInputElement} */ ($(id)).value;
}

async function ask(/** @type {SubmitEvent} */ event) {
  event.preventDefault();
  $("#ask-error").textContent = "";
  $("#ask-sent").textContent = "";
  try {
    await api("POST", "/api/auth/password-reset", { email: value("#reset-email").trim() });
    $("#ask-sent").textContent = t("reset.sent");
  } catch (error) {
    $("#ask-error").textContent = refusal(error);
  }
}

async function choose(/** @type {SubmitEvent} */ event) {
  event.preventDefault();
  $("#choose-error").textContent = "";
  try {
    await api("POST", "/api/auth/password-reset/confirm", { token, password: value("#reset-password") });
    $("#choose-form").hidden = true;
    $("#choose-done").textContent = t("reset.done");
  } catch (error) {
    $("#choose-error").textContent = refusal(error);
    const dead = typeof error === "object" && error !== null && DEAD_LINK.has(String(/** @type {any} */ (error).code));
    $("#ask-again").hidden = !dead;
    if (dead) $("#choose-form").hidden = true;
  }
}

async function main() {
  await loadMessages("reset");
  $("#language-slot").replaceWith(languageSwitcher(() => { document.title = t("reset.page_title"); }));
  document.title = t("reset.page_title");
  $("#ask-form").addEventListener("submit", ask);
  $("#choose-form").addEventListener("submit", choose);
  addEventListener("hashchange", readLink);
  readLink();
}

// Ask for a link, or (with #token=... in the address) choose the new password.
function readLink() {
  const given = new URLSearchParams(location.hash.slice(1)).get("token");
  if (given) {
    token = given;
    history.replaceState(null, "", location.pathname);
  } else if (location.hash) {
    return;
  }
  for (const id of ["#ask-error", "#ask-sent", "#choose-error", "#choose-done"]) $(id).textContent = "";
  $("#ask").hidden = Boolean(token);
  $("#choose").hidden = !token;
  $("#choose-form").hidden = false;
  $("#ask-again").hidden = true;
  $(token ? "#reset-password" : "#reset-email").focus();
}

main().catch((error) => { $("#ask-error").textContent = refusal(error); });
