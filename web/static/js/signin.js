// A sign-in dialog: email/password, and optionally "continue as guest".

import { continueAsGuest, session, signIn } from "./api.js";
import { $, el, showError } from "./ui.js";

export function signInDialog({ allowGuest = false, title = "Sign in" } = {}) {
  return new Promise((resolve) => {
    const email = el("input", { id: "signin-email", type: "email", autocomplete: "username", required: "" });
    const password = el("input", { id: "signin-password", type: "password", autocomplete: "current-password", required: "" });
    const form = el("form", { method: "dialog" },
      el("h2", {}, title),
      el("label", { for: "signin-email" }, "Email"), email,
      el("label", { for: "signin-password" }, "Password"), password,
      el("div", { class: "row", style: "margin-top:.8rem" }, el("button", { class: "primary", type: "submit" }, "Sign in")),
    );
    const dialog = el("dialog", { "aria-label": title }, form);
    if (allowGuest) {
      const name = el("input", { id: "guest-name", maxlength: "40", autocomplete: "nickname" });
      const guest = el("form", { method: "dialog", style: "margin-top:1rem" },
        el("label", { for: "guest-name" }, "Or continue as a guest with a display name"), name,
        el("div", { class: "row", style: "margin-top:.6rem" }, el("button", { type: "submit" }, "Continue as guest")),
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

// The stored session, or a sign-in first.
export async function ensureSignedIn(options) {
  if (session.token) return session.user;
  return signInDialog(options);
}

export function signOutButton(onOut) {
  return el("button", { type: "button", onclick: () => { session.clear(); onOut(); } }, "Sign out");
}

export { $ };
