// @ts-check
// The host's follower count in the studio's header (GET /api/hosts/{host id} of the page's
// show), beside the viewer count. The studio imports this module (one line) and it places its
// own pill; the count is asked again every minute, its words follow the page's language.

import { api, streamIdFromPath } from "./api.js";
import { t } from "./i18n.js";
import { $, el } from "./ui.js";

const ASK_EVERY_MS = 60000;
const DRAW_EVERY_MS = 1000; // cheap: text only, and it picks up a language switch
/** @type {number | null} */
let followers = null;

async function ask(/** @type {number} */ hostId) {
  const page = await api("GET", `/api/hosts/${hostId}`).catch(() => null);
  if (page) followers = page.followers;
}

function draw(/** @type {HTMLElement} */ pill) {
  pill.hidden = followers === null;
  if (followers !== null) pill.textContent = t("common.followers", { count: followers });
}

async function start() {
  const streamId = streamIdFromPath();
  const viewers = $("#viewers");
  if (streamId === null || !viewers) return;
  const show = await api("GET", `/api/streams/${streamId}`).catch(() => null);
  if (!show) return;
  const pill = el("span", { class: "pill", id: "followers", "aria-live": "off", hidden: "" });
  viewers.after(pill);
  await ask(show.host.id);
  draw(pill);
  setInterval(() => draw(pill), DRAW_EVERY_MS);
  setInterval(() => { ask(show.host.id); }, ASK_EVERY_MS);
}

start();
