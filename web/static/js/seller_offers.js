// @ts-check
// The shop's offers to hosts (docs/protocol.md "Offers"): publish one for a product or the
// whole shop, see who joined or applied, approve or reject applicants, close an offer.

import { api } from "./api.js";
import { LANGUAGES, LANGUAGE_NAMES, currentLanguage, formatTime, t } from "./i18n.js";
import { $, el, toast } from "./ui.js";
import { failed } from "./seller_errors.js";
import { parseRate } from "./seller_money.js";
import { CATEGORIES, offerSubject, offerTerms, parseCountries, regionName } from "./offer_terms.js";

let shop = null;
let offers = [];
let products = [];

export function setUpOffers() {
  $("#offer-form").addEventListener("submit", publish);
  $("#offers-refresh").addEventListener("click", () => loadOffers(shop));
  fillForm();
}

// The form's choices, in the page's language (again after a language change).
export function fillForm() {
  const category = $("#offer-category").value || "other";
  $("#offer-category").replaceChildren(...CATEGORIES.map((code) => el("option", { value: code }, t(`seller.category.${code}`))));
  $("#offer-category").value = category;
  const checked = new Set([...document.querySelectorAll("#offer-languages input:checked")].map((box) => /** @type {HTMLInputElement} */ (box).value));
  $("#offer-languages").replaceChildren(
    el("legend", {}, t("seller.offer_languages")),
    ...LANGUAGES.map((code) => el("label", { class: "check" },
      el("input", { type: "checkbox", value: code, id: `offer-lang-${code}`, ...(checked.has(code) ? { checked: "" } : {}) }),
      " ", LANGUAGE_NAMES[code])));
  fillProducts();
}

function fillProducts() {
  const chosen = $("#offer-product").value;
  $("#offer-product").replaceChildren(
    el("option", { value: "" }, t("seller.offer_whole_shop")),
    ...products.map((product) => el("option", { value: String(product.id) }, productTitle(product))));
  $("#offer-product").value = chosen;
}

function productTitle(product) {
  return product.titles[currentLanguage()] || product.titles[product.language] || product.title;
}

export async function loadOffers(ofShop) {
  shop = ofShop;
  try {
    const [mine, listed] = await Promise.all([
      api("GET", "/api/offers/mine"),
      api("GET", `/api/products?seller_id=${shop.id}&lang=${currentLanguage()}`),
    ]);
    offers = mine.offers;
    products = listed.products;
  } catch (error) {
    failed(error);
  }
  fillProducts();
  renderOffers();
}

async function publish(event) {
  event.preventDefault();
  const rate = parseRate($("#offer-rate").value);
  if (rate === null || rate === undefined) {
    toast(t("seller.pf.bad_rate"));
    return $("#offer-rate").focus();
  }
  const countries = parseCountries($("#offer-countries").value);
  if (countries === null) {
    toast(t("seller.error.bad_country"));
    return $("#offer-countries").focus();
  }
  const product = $("#offer-product").value;
  const body = {
    product_id: product ? Number(product) : null,
    rate_bp: rate,
    category: $("#offer-category").value,
    countries,
    languages: [...document.querySelectorAll("#offer-languages input:checked")].map((box) => /** @type {HTMLInputElement} */ (box).value),
    join: $("#offer-join").value,
  };
  try {
    const offer = await api("POST", "/api/offers", body);
    offers.unshift({ ...offer, members: offer.members || [] });
    $("#offer-form").reset();
    renderOffers();
    toast(t("seller.offer_published"), "ok");
  } catch (error) {
    failed(error);
  }
}

async function closeOffer(offer) {
  try {
    const changed = await api("PATCH", `/api/offers/${offer.id}`, { status: "closed" });
    Object.assign(offer, changed, { members: offer.members });
    renderOffers();
    toast(t("seller.offer_closed_done"), "ok");
  } catch (error) {
    failed(error);
  }
}

async function decide(offer, member, decision) {
  try {
    const changed = await api("POST", `/api/offers/${offer.id}/members/${member.host_id}`, { decision });
    Object.assign(member, changed);
    renderOffers();
    const done = decision === "approve" ? "seller.member_approved" : "seller.member_rejected";
    toast(t(done, { name: member.display_name }), "ok");
  } catch (error) {
    failed(error);
  }
}

export function renderOffers() {
  $("#offers-empty").hidden = offers.length > 0;
  $("#offer-list").replaceChildren(...offers.map(offerCard));
}

function offerCard(offer) {
  const subject = offerSubject(offer, "seller");
  const members = offer.members || [];
  const close = offer.status === "active"
    ? el("button", { type: "button", class: "danger", "aria-label": t("seller.offer_close_label", { subject }), onclick: () => closeOffer(offer) }, t("seller.offer_close"))
    : el("span", { class: "pill" }, t("seller.offer_status.closed"));
  return el("article", { class: "card offer-card", id: `offer-${offer.id}`, "data-status": offer.status, "aria-labelledby": `offer-${offer.id}-title` },
    el("div", { class: "section-head" },
      el("div", {},
        el("h3", { id: `offer-${offer.id}-title` }, subject),
        el("p", { class: "muted offer-terms" }, offerTerms(offer, "seller"))),
      close),
    members.length
      ? el("ul", { class: "members", "aria-label": t("seller.members_of", { subject }) }, ...members.map((member) => memberLine(offer, member)))
      : el("p", { class: "muted small" }, t("seller.no_members")),
    el("p", { class: "muted small" }, t("seller.members_count", { count: members.filter((m) => m.status === "approved").length })));
}

function memberLine(offer, member) {
  const where = member.country ? ` · ${regionName(member.country)}` : "";
  const actions = member.status === "pending" && offer.status === "active"
    ? [
      el("button", { type: "button", class: "primary", "aria-label": t("seller.approve_label", { name: member.display_name }), onclick: () => decide(offer, member, "approve") }, t("seller.approve")),
      el("button", { type: "button", "aria-label": t("seller.reject_label", { name: member.display_name }), onclick: () => decide(offer, member, "reject") }, t("seller.reject")),
    ]
    : [];
  return el("li", { class: "member row", "data-host": String(member.host_id), "data-status": member.status },
    el("strong", {}, member.display_name),
    el("span", { class: `pill member-${member.status}` }, t(`seller.member_status.${member.status}`)),
    el("span", { class: "muted small" }, formatTime(member.joined_at) + where),
    ...actions);
}
