// @ts-check
// A sign-in dialog: email/password, and optionally "continue as guest".

import { continueAsGuest, session, signIn } from "./api.js";
import { t } from "./i18n.js";
import { $, el, showError } from "./ui.js";

export function signInDialog({ allowGuest = false, title = t("common.sign_in") } = {}) {
  return new Promise((resolve) => {
    const email = el("input", { id: "signin-email", type: "email", autocomplete: "username", required: "" });
    const password = el("input", { id: "signin-password", type: "password", autocomplete: "current-password", required: "" });
    const form = el("form", { method: "dialog" },
      el("h2", {}, title),
      el("label", { for: "signin-email" }, t("common.email")), email,
      el("label", { for: "signin-password" }, t("common.password")), password,
      el("div", { class: "row dialog-actions" },
        el("button", { class: "primary", type: "submit" }, t("common.sign_in")),
        el("button", { type: "button", onclick: () => { dialog.close(); dialog.remove(); resolve(null); } }, t("common.cancel"))),
    );
    const dialog = el("dialog", { "aria-label": title }, form);
    if (allowGuest) {
      const name = el("input", { id: "guest-name", maxlength: "40", autocomplete: "nickname" });
      const guest = el("form", { method: "dialog", class: "dialog-guest" },
        el("label", { for: "guest-name" }, t("common.guest_prompt")), name,
        el("div", { class: "row" }, el("button", { type: "submit" }, t("common.continue_as_guest"))),
      );
      guest.addEventListener("submit", async (event) => {
        event.preventDefault();
        try { resolve(await continueAsGuest(name.value)); dialog.close(); dialog.remove(); } catch (error) { showError(error); }
      });
      dialog.append(guest);
    }
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      try { resolve(await signIn(email.value, password.value)); dialog.close(); dialog.remove(); } catch (error) { showError(error); }
    });
    document.body.append(dialog);
    dialog.showModal();
  });
}

// Who is signed in, or a sign-in first.
export async function ensureSignedIn(options) {
  return session.user || signInDialog(options);
}

export { $ };
