// @ts-check
// Sign-up (/signup): a viewer account (POST /api/accounts), signed in at once.

import { api, session } from "./api.js";
import { accountError, goNext, startPage } from "./account_common.js";
import { $ } from "./ui.js";

await startPage();
const form = /** @type {HTMLFormElement} */ ($("#signup-form"));
form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const value = (/** @type {string} */ id) => /** @type {HTMLInputElement} */ ($(id)).value;
  $("#signup-error").textContent = "";
  try {
    const { user, expires_in: expiresIn } = await api("POST", "/api/accounts", {
      display_name: value("#signup-name").trim(),
      email: value("#signup-email").trim(),
      password: value("#signup-password"),
    });
    session.save(user, expiresIn);
    goNext();
  } catch (error) {
    $("#signup-error").textContent = accountError(error);
  }
});
