// @ts-check
// An offer's terms in words, for the seller desk and the hosts' offers page: its category, the
// countries and show languages it is for, how hosts join. `page` is the catalog the words are
// in ("seller" or "offers"), each page loading only its own.

import { LANGUAGE_NAMES, locale, t } from "./i18n.js";
import { formatRate } from "./seller_money.js";

// server/core/domain/offers.py CATEGORIES, in that order.
export const CATEGORIES = ["fashion", "beauty", "home", "electronics", "food", "sports", "kids", "other"];

/** @param {string} code */
export function regionName(code) {
  try {
    return new Intl.DisplayNames([locale()], { type: "region" }).of(code) || code;
  } catch {
    return code;
  }
}

/**
 * "Fashion · 12% · Poland, France · Polski · on approval"
 * @param {any} offer
 * @param {string} page
 */
export function offerTerms(offer, page) {
  const countries = offer.countries.length ? offer.countries.map(regionName).join(", ") : t(`${page}.all_countries`);
  const languages = offer.languages.length
    ? offer.languages.map((code) => LANGUAGE_NAMES[code] || code).join(", ")
    : t(`${page}.all_languages`);
  return [
    t(`${page}.category.${offer.category}`),
    t(`${page}.rate`, { rate: formatRate(offer.rate_bp) }),
    countries,
    languages,
    t(`${page}.join.${offer.join}`),
  ].join(" · ");
}

/**
 * What the offer covers: its product's title, or the whole shop.
 * @param {any} offer
 * @param {string} page
 */
export function offerSubject(offer, page) {
  return offer.product_id === null ? t(`${page}.whole_shop`, { shop: offer.shop }) : offer.product_title || `#${offer.product_id}`;
}

/**
 * "pl, FR" -> ["PL", "FR"]; null when one is not two letters.
 * @param {string} text
 */
export function parseCountries(text) {
  const codes = text.split(/[\s,;]+/).filter(Boolean).map((code) => code.toUpperCase());
  return codes.every((code) => /^[A-Z]{2}$/.test(code)) ? [...new Set(codes)] : null;
}
