// @ts-check
// The sign-in page (/signin); the other pages sign in with signin.js's dialog.

import { signIn } from "./api.js";
import { accountError, goNext, startPage } from "./account_common.js";
import { $ } from "./ui.js";

await startPage();
const form = /** @type {HTMLFormElement} */ ($("#signin-form"));
form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const value = (/** @type {string} */ id) => /** @type {HTMLInputElement} */ ($(id)).value;
  $("#signin-error").textContent = "";
  try {
    await signIn(value("#signin-page-email").trim(), value("#signin-page-password"));
    goNext();
  } catch (error) {
    $("#signin-error").textContent = accountError(error);
  }
});
