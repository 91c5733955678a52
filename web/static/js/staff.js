// @ts-check
// The staff console (/staff) for admins (docs/protocol.md, "Staff console"): shows live now with
// their viewers (end one), ended shows (take a replay down or put it back), accounts (find,
// change role, disable), then the platform's bans, word list, coupons, the nodes and the audit log
// (js/staff_platform.js). Every change the server makes here lands in the audit log.

import { api, session } from "./api.js";
import { formatTime, languageSwitcher, loadMessages } from "./i18n.js";
import { ensureSignedIn } from "./signin.js";
import { loadPlatform, report, setUpPlatform, words } from "./staff_platform.js";
import { $, el, toast } from "./ui.js";

const ROLES = ["viewer", "host", "seller", "moderator", "coach", "admin"];
/** @type {{live: any[], ended: any[], users: any[]}} */
const state = { live: [], ended: [], users: [] };

/** @param {string} text @param {boolean} signIn */
function gate(text, signIn) {
  $("#console").hidden = true;
  $("#gate").hidden = false;
  $("#gate-text").textContent = text;
  $("#gate-signin").hidden = !signIn;
}

/** @param {any} show */
function liveItem(show) {
  const end = el("button", { type: "button", class: "danger" }, words("end_show"));
  end.addEventListener("click", () => act(end, `/api/staff/shows/${show.id}/end`, words("ended_done")));
  return el("li", { class: "staff-row", "data-show": String(show.id) },
    el("span", {}, words("show_line", { title: show.title, id: show.id })),
    el("span", { class: "muted" }, words("viewers", { count: show.viewers ?? 0 })),
    end);
}

/** @param {any} show */
function endedItem(show) {
  const down = show.replay_taken_down;
  const button = el("button", { type: "button", class: down ? "" : "danger" }, words(down ? "restore_replay" : "take_down"));
  button.addEventListener("click", () =>
    act(button, `/api/staff/shows/${show.id}/take-down`, words(down ? "restored_done" : "taken_down_done"), { down: !down }));
  const when = show.ended_at ? formatTime(show.ended_at) : "";
  return el("li", { class: "staff-row", "data-show": String(show.id) },
    el("span", {}, words("show_line", { title: show.title, id: show.id })),
    el("span", { class: "muted" }, down ? words("replay_down") : when),
    button);
}

/**
 * @param {HTMLButtonElement} button
 * @param {string} path
 * @param {string} done
 * @param {unknown} [body]
 */
async function act(button, path, done, body) {
  button.disabled = true;
  try {
    await api("POST", path, body);
    toast(done, "ok");
    await loadAll();
  } catch (error) {
    report(error);
    button.disabled = false;
  }
}

function renderShows() {
  const none = (/** @type {string} */ key) => el("li", { class: "muted" }, words(key));
  $("#live-shows").replaceChildren(...(state.live.length ? state.live.map(liveItem) : [none("no_live")]));
  $("#ended-shows").replaceChildren(...(state.ended.length ? state.ended.map(endedItem) : [none("no_ended")]));
}

/** @param {any} user */
function userItem(user) {
  const id = `role-${user.id}`;
  const select = el("select", { id }, ...ROLES.map((r) => el("option", { value: r }, words(`role.${r}`))));
  select.value = user.role;
  select.addEventListener("change", async () => {
    try {
      await api("PATCH", `/api/staff/users/${user.id}`, { role: select.value });
      user.role = select.value;
      toast(words("role_done", { name: user.display_name }), "ok");
      await loadPlatform();
    } catch (error) {
      select.value = user.role;
      report(error);
    }
  });
  return el("li", { class: "staff-row", "data-user": String(user.id) },
    el("span", {}, `${user.display_name} · ${user.email} · u:${user.id}`),
    el("label", { for: id, class: "visually-hidden" }, words("role_of", { name: user.display_name })),
    select, disableButton(user));
}

// A disabled account cannot sign in, and its tokens stop working on every node.
/** @param {any} user */
function disableButton(user) {
  const name = user.display_name;
  const button = el("button", { type: "button", class: user.disabled ? "" : "danger" },
    words(user.disabled ? "enable" : "disable"));
  button.setAttribute("aria-label", words(user.disabled ? "enable_of" : "disable_of", { name }));
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      const changed = await api("PATCH", `/api/staff/users/${user.id}`, { disabled: !user.disabled });
      toast(words(changed.user.disabled ? "disabled_done" : "enabled_done", { name }), "ok");
      await findUsers();
      await loadPlatform();
    } catch (error) {
      report(error);
      button.disabled = false;
    }
  });
  return button;
}

async function findUsers() {
  const q = $("#user-query").value.trim();
  try {
    state.users = (await api("GET", `/api/staff/users?q=${encodeURIComponent(q)}`)).users;
  } catch (error) {
    report(error);
    return;
  }
  $("#users").replaceChildren(...(state.users.length ? state.users.map(userItem) : [el("li", { class: "muted" }, words("no_users"))]));
}

export async function loadAll() {
  const shows = await api("GET", "/api/staff/shows");
  state.live = shows.live;
  state.ended = shows.ended;
  renderShows();
  await loadPlatform();
}

function build() {
  $("#user-search").addEventListener("submit", (event) => { event.preventDefault(); findUsers(); });
  $("#gate-signin").addEventListener("click", async () => {
    await session.clear();
    if (await ensureSignedIn({ title: words("sign_in_title") })) location.reload();
  });
  setUpPlatform();
}

function rerender() {
  renderShows();
  if (state.users.length) $("#users").replaceChildren(...state.users.map(userItem));
  loadPlatform().catch(report);
}

async function main() {
  await loadMessages("staff");
  $("#language-slot").replaceWith(languageSwitcher(rerender));
  build();
  const user = await ensureSignedIn({ title: words("sign_in_title") });
  if (!user) { gate(words("signed_out"), true); return; }
  $("#who").textContent = user.display_name;
  if (user.role !== "admin") { gate(words("not_admin"), true); return; }
  $("#gate").hidden = true;
  $("#console").hidden = false;
  await loadAll();
  await findUsers();
}

main().catch(report);
