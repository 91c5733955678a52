// @ts-check
// Hosts' names and shows' titles, for orders and the ledger (which carry only ids).

import { api } from "./api.js";
import { t } from "./i18n.js";

const hosts = new Map();
const shows = new Map();

export async function loadShows() {
  try {
    const { streams } = await api("GET", "/api/streams");
    for (const stream of streams) {
      shows.set(stream.id, stream.title);
      hosts.set(stream.host.id, stream.host.display_name);
    }
  } catch {
    // Names are a convenience: ids stand in for them.
  }
}

// Look again when something names a show or host we have not heard of (a show started since).
export async function learn({ streamIds = [], hostIds = [] }) {
  const unknown = streamIds.some((id) => id !== null && !shows.has(id)) || hostIds.some((id) => !hosts.has(id));
  if (unknown) await loadShows();
}

export function hostName(id) {
  return hosts.get(id) ?? t("seller.host_number", { id: String(id) });
}

export function showTitle(id) {
  return id === null || id === undefined ? "—" : shows.get(id) ?? t("seller.show_number", { id: String(id) });
}
