// @ts-check
// The seller desk (/seller): a seller account's shop, products with variants and stock,
// orders to fulfil or refund, the commission owed to hosts, offers to hosts with their
// monthly statements, and where the shop ships. API: docs/protocol.md.

import { api, session } from "./api.js";
import { languageSwitcher, loadMessages, locale, t } from "./i18n.js";
import { ensureSignedIn } from "./signin.js";
import { $, el, showError, toast } from "./ui.js";
import { errorText, failed } from "./seller_errors.js";
import { loadLedger, renderLedger, setUpLedger } from "./seller_ledger.js";
import { formatRate, parseRate, rateToInput } from "./seller_money.js";
import { loadOrders, renderOrders, setUpOrders } from "./seller_orders.js";
import { loadProducts, setUpProducts, shopChanged } from "./seller_products.js";
import { fillForm, loadOffers, renderOffers, setUpOffers } from "./seller_offers.js";
import { loadShipping, renderShipping, setUpShipping } from "./seller_shipping.js";
import { loadStatements, renderStatements, setUpStatements } from "./seller_statements.js";
import { loadShows } from "./seller_shows.js";

const COUNTRIES = [
  "AL", "AM", "AR", "AT", "AU", "AZ", "BA", "BE", "BG", "BR", "BY", "CA", "CH", "CY", "CZ", "DE",
  "DK", "EE", "ES", "FI", "FR", "GB", "GE", "GR", "HR", "HU", "IE", "IL", "IS", "IT", "JP", "KZ",
  "LT", "LU", "LV", "MD", "ME", "MK", "MT", "MX", "NL", "NO", "PL", "PT", "RO", "RS", "RU", "SE",
  "SI", "SK", "TR", "UA", "US",
];
let shop = null;
let user = null;

function countryName(code) {
  try {
    return new Intl.DisplayNames([locale()], { type: "region" }).of(code) || code;
  } catch {
    return code;
  }
}

function fillCountries() {
  const select = $("#new-shop-country");
  const region = (navigator.language.split("-")[1] || "").toUpperCase();
  const chosen = select.value || (COUNTRIES.includes(region) ? region : "");
  const names = COUNTRIES.map((code) => [code, countryName(code)]).sort((a, b) => a[1].localeCompare(b[1], locale()));
  select.replaceChildren(
    el("option", { value: "" }, t("seller.choose_country")),
    ...names.map(([code, name]) => el("option", { value: code }, name)));
  select.value = chosen;
}

function show(part) {
  for (const id of ["signed-out", "not-seller", "open-shop", "desk"]) $(`#${id}`).hidden = id !== part;
  $("#sections").hidden = part !== "desk";
}

function showShop() {
  $("#shop-title").textContent = shop.name;
  const rate = shop.commission_bp === null ? t("seller.no_commission") : t("seller.shop_rate", { rate: formatRate(shop.commission_bp) });
  $("#shop-meta").textContent = `${countryName(shop.country)} · ${rate}`;
  $("#shop-name").value = shop.name;
  $("#shop-commission").value = rateToInput(shop.commission_bp);
  document.title = t("seller.page_title", { shop: shop.name });
}

async function openDesk() {
  show("desk");
  showShop();
  await loadShows();
  await Promise.all([loadProducts(shop), loadOrders(), loadLedger(), loadOffers(shop), loadStatements(), loadShipping()]);
}

async function start() {
  user = await ensureSignedIn({ title: t("seller.sign_in_title") });
  if (!user) {
    show("signed-out");
    $("#sign-in").focus();
    return;
  }
  $("#who").textContent = user.display_name;
  $("#sign-out").hidden = false;
  if (user.role !== "seller") {
    $("#not-seller-text").textContent = t("seller.not_seller", { name: user.display_name });
    show("not-seller");
    return;
  }
  try {
    shop = await api("GET", "/api/sellers/me");
  } catch (error) {
    if (error.code === "no_seller") {
      fillCountries();
      show("open-shop");
      $("#new-shop-name").focus();
      return;
    }
    if (error.status === 401) {  // an expired session: sign in again
      await session.clear();
      return start();
    }
    throw error;
  }
  await openDesk();
}

async function openShop(event) {
  event.preventDefault();
  const name = $("#new-shop-name").value.trim();
  const country = $("#new-shop-country").value;
  if (!name) return $("#new-shop-name").focus();
  if (!country) return $("#new-shop-country").focus();
  try {
    shop = await api("POST", "/api/sellers", { name, country });
    toast(t("seller.opened", { shop: shop.name }), "ok");
    await openDesk();
    $("#shop-title").setAttribute("tabindex", "-1");
    $("#shop-title").focus();
  } catch (error) {
    failed(error);
  }
}

async function saveShop(event) {
  event.preventDefault();
  const rate = parseRate($("#shop-commission").value);
  if (rate === null) {
    toast(t("seller.pf.bad_rate"));
    return $("#shop-commission").focus();
  }
  const change = { name: $("#shop-name").value.trim(), commission_bp: rate ?? null };
  try {
    shop = await api("PATCH", "/api/sellers/me", change);
    showShop();
    shopChanged(shop);
    toast(t("seller.shop_saved"), "ok");
  } catch (error) {
    toast(errorText(error));
  }
}

// Everything built from data is rebuilt in the newly chosen language.
async function relabel() {
  if (!$("#open-shop").hidden) fillCountries();
  if (!shop) return;
  showShop();
  await loadProducts(shop);  // titles in the new language
  renderOrders();
  renderLedger();
  fillForm();
  renderOffers();
  renderStatements();
  renderShipping();
}

async function main() {
  await loadMessages("seller");
  $("#language-slot").replaceWith(languageSwitcher(relabel));
  setUpProducts();
  setUpOrders(loadLedger);
  setUpLedger();
  setUpOffers();
  setUpStatements({ as: "seller", page: "seller" });
  setUpShipping();
  $("#open-shop-form").addEventListener("submit", openShop);
  $("#shop-form").addEventListener("submit", saveShop);
  $("#sign-in").addEventListener("click", () => start().catch(showError));
  $("#sign-out").addEventListener("click", async () => { await session.clear(); location.reload(); });
  await start();
}

main().catch((error) => toast(errorText(error)));
