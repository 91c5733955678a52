// @ts-check
// The hosts' offers page (/offers): browse sellers' offers by category, show language, country
// and minimum commission; join one (or apply and wait for the seller); the offers joined and
// the host's own monthly commission statements. API: docs/protocol.md "Offers".

import { api, session } from "./api.js";
import { LANGUAGES, LANGUAGE_NAMES, currentLanguage, formatPrice, languageSwitcher, loadMessages, t } from "./i18n.js";
import { ensureSignedIn } from "./signin.js";
import { $, el, toast } from "./ui.js";
import { describeError } from "./errors.js";
import { COUNTRIES } from "./account_common.js";
import { CATEGORIES, offerSubject, offerTerms, regionName } from "./offer_terms.js";
import { parseRate } from "./seller_money.js";
import { loadStatements, renderStatements, setUpStatements } from "./seller_statements.js";

let user = null;
let offers = [];
let mine = [];
let shows = []; // the host's shows not ended: where a joined offer's product can go
const shopProducts = new Map(); // seller id → products, for whole-shop offers joined

/** @param {unknown} error */
function failed(error) {
  toast(describeError(error, "offers", "offers.error.unknown"));
}

/**
 * @param {string} id
 * @param {string} allKey
 * @param {string[][]} choices [value, label]
 */
function fillSelect(id, allKey, choices) {
  const chosen = $(id).value;
  $(id).replaceChildren(el("option", { value: "" }, t(allKey)), ...choices.map(([value, label]) => el("option", { value }, label)));
  $(id).value = chosen;
}

function fillFilters() {
  fillSelect("#f-category", "offers.any_category", CATEGORIES.map((code) => [code, t(`offers.category.${code}`)]));
  fillSelect("#f-language", "offers.any_language", LANGUAGES.map((code) => [code, LANGUAGE_NAMES[code]]));
  fillSelect("#f-country", "offers.any_country", COUNTRIES.map((code) => [code, regionName(code)]));
}

function filterQuery() {
  const params = new URLSearchParams();
  for (const [name, id] of [["category", "#f-category"], ["language", "#f-language"], ["country", "#f-country"]]) {
    if ($(id).value) params.set(name, $(id).value);
  }
  const rate = parseRate($("#f-rate").value);
  if (rate === null) return null;
  if (rate !== undefined) params.set("min_rate_bp", String(rate));
  return params.toString();
}

async function search(event) {
  event?.preventDefault();
  const query = filterQuery();
  if (query === null) {
    toast(t("offers.bad_rate"));
    return $("#f-rate").focus();
  }
  try {
    offers = (await api("GET", `/api/offers?${query}`)).offers;
    await loadShopProducts();
  } catch (error) {
    failed(error);
    return;
  }
  renderOffers();
}

async function loadMine() {
  if (user.role !== "host") return;
  try {
    mine = (await api("GET", "/api/offers/mine")).offers;
  } catch (error) {
    failed(error);
  }
  renderMine();
}

async function loadShows() {
  if (user.role !== "host") return;
  try {
    const { streams } = await api("GET", "/api/streams");
    shows = streams.filter((stream) => stream.host.id === user.id && stream.status !== "ended");
  } catch (error) {
    failed(error);
  }
}

function renderOffers() {
  $("#offers-empty").hidden = offers.length > 0;
  $("#offers-count").textContent = t("offers.found", { count: offers.length });
  $("#offer-list").replaceChildren(...offers.map(offerCard));
}

function membershipPill(offer) {
  return offer.membership ? el("span", { class: `pill member-${offer.membership}` }, t(`offers.membership.${offer.membership}`)) : "";
}

function offerCard(offer) {
  const subject = offerSubject(offer, "offers");
  const price = offer.price_minor === null ? "" : formatPrice(offer.price_minor, offer.currency);
  return el("article", { class: "card offer-card", id: `offer-${offer.id}`, "aria-labelledby": `offer-${offer.id}-title` },
    offer.image_url ? el("img", { src: offer.image_url, alt: "", class: "offer-image", loading: "lazy" }) : "",
    el("div", { class: "offer-text" },
      el("h2", { id: `offer-${offer.id}-title` }, subject),
      el("p", { class: "muted" }, [offer.shop, price].filter(Boolean).join(" · ")),
      el("p", { class: "offer-terms" }, offerTerms(offer, "offers")),
      el("div", { class: "row" }, membershipPill(offer), ...joinControls(offer, subject), ...lineUpControls(offer, subject))));
}

// A joined offer: put its product (or, for a whole shop, one of the shop's products) in one of
// the host's shows (PUT …/lineup).
function lineUpControls(offer, subject) {
  if (offer.membership !== "approved" || !shows.length) return [];
  const parts = [];
  let product = null;
  if (offer.product_id === null) {
    product = el("select", { id: `lineup-product-${offer.id}`, "aria-label": t("offers.lineup_product", { subject }) },
      ...(shopProducts.get(offer.seller_id) || []).map((p) => el("option", { value: String(p.id) }, p.title)));
    if (!product.options.length) return [];
    parts.push(product);
  }
  const choice = el("select", { id: `lineup-show-${offer.id}`, "aria-label": t("offers.lineup_show", { subject }) },
    ...shows.map((stream) => el("option", { value: String(stream.id) }, stream.title)));
  const chosen = () => (product ? Number(product.value) : offer.product_id);
  const title = () => (product ? product.selectedOptions[0].textContent : subject);
  return [...parts, choice, el("button", { type: "button", id: `lineup-add-${offer.id}`, onclick: () => lineUp(chosen(), title(), Number(choice.value)) }, t("offers.lineup_add"))];
}

// The products of the shops whose whole-shop offers the host joined, in the page's language.
async function loadShopProducts() {
  const shops = new Set(offers.filter((o) => o.membership === "approved" && o.product_id === null).map((o) => o.seller_id));
  await Promise.all([...shops].map(async (id) => {
    try {
      shopProducts.set(id, (await api("GET", `/api/products?seller_id=${id}&lang=${currentLanguage()}`)).products);
    } catch {
      // the offer's card then has nothing to line up: the studio's line-up stays as it is
    }
  }));
}

async function lineUp(productId, title, streamId) {
  const stream = shows.find((s) => s.id === streamId);
  const ids = stream.lineup.map((product) => product.id);
  try {
    const changed = await api("PUT", `/api/streams/${streamId}/lineup`, { product_ids: ids.includes(productId) ? ids : [...ids, productId] });
    Object.assign(stream, changed);
    toast(t("offers.lined_up", { subject: title, show: stream.title }), "ok");
  } catch (error) {
    failed(error);
  }
}

// Join (or apply), with the country the host shows from when the offer names countries.
function joinControls(offer, subject) {
  if (user.role !== "host" || offer.membership) return [];
  const label = offer.join === "open" ? t("offers.join") : t("offers.apply");
  const parts = [];
  let country = null;
  if (offer.countries.length) {
    country = el("select", { id: `join-country-${offer.id}`, "aria-label": t("offers.join_country", { subject }) },
      ...offer.countries.map((code) => el("option", { value: code }, regionName(code))));
    parts.push(country);
  }
  parts.push(el("button", { type: "button", class: "primary", "aria-label": `${label}: ${subject}`, onclick: () => join(offer, country) }, label));
  return parts;
}

async function join(offer, country) {
  try {
    const member = await api("POST", `/api/offers/${offer.id}/join`, country ? { country: country.value } : {});
    offer.membership = member.status;
    await loadShopProducts();
    renderOffers();
    toast(t(member.status === "approved" ? "offers.joined" : "offers.applied", { subject: offerSubject(offer, "offers") }), "ok");
    await loadMine();
    $(`#offer-${offer.id}-title`).setAttribute("tabindex", "-1");
    $(`#offer-${offer.id}-title`).focus();
  } catch (error) {
    failed(error);
  }
}

function renderMine() {
  $("#mine").hidden = user.role !== "host";
  $("#mine-empty").hidden = mine.length > 0;
  $("#mine-list").replaceChildren(...mine.map((offer) => el("li", { class: "member row", "data-offer": String(offer.id), "data-status": offer.membership || "" },
    el("strong", {}, offerSubject(offer, "offers")),
    el("span", { class: "muted" }, offer.shop),
    membershipPill(offer),
    offer.status === "closed" ? el("span", { class: "pill" }, t("offers.closed")) : "")));
}

async function start() {
  user = await ensureSignedIn({ title: t("offers.sign_in_title") });
  if (!user) {
    $("#signed-out").hidden = false;
    $("#market").hidden = true;
    $("#sign-in").focus();
    return;
  }
  $("#signed-out").hidden = true;
  $("#market").hidden = false;
  $("#who").textContent = user.display_name;
  $("#sign-out").hidden = false;
  $("#not-host").hidden = user.role === "host";
  $("#statements").hidden = user.role !== "host";
  await loadShows();
  await Promise.all([search(), loadMine(), user.role === "host" ? loadStatements() : null]);
}

function relabel() {
  fillFilters();
  if (!user) return;
  renderOffers();
  renderMine();
  if (user.role === "host") renderStatements();
}

async function main() {
  await loadMessages("offers");
  $("#language-slot").replaceWith(languageSwitcher(relabel));
  fillFilters();
  setUpStatements({ as: "host", page: "offers" });
  $("#filters").addEventListener("submit", search);
  $("#sign-in").addEventListener("click", () => start().catch(failed));
  $("#sign-out").addEventListener("click", async () => { await session.clear(); location.reload(); });
  await start();
}

main().catch(failed);
