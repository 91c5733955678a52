// @ts-check
// Interface strings in the eight show languages, plural forms and locale formatting.
//
// Catalogs are JSON files per language and page: /static/i18n/<lang>/<page>.json, plus
// "common" for what every page shares. A value is a string with {name} placeholders, or, for
// counts, an object keyed by the CLDR plural category ("one", "few", "many", "other") that
// Intl.PluralRules picks for the language: Polish, Russian and Ukrainian need "few" and "many".
// A key missing in a language falls back to English, then to the key itself.

export const LANGUAGES = ["en", "fr", "es", "pt", "it", "pl", "ru", "uk"];
export const LANGUAGE_NAMES = {
  en: "English", fr: "Français", es: "Español", pt: "Português",
  it: "Italiano", pl: "Polski", ru: "Русский", uk: "Українська",
};
const STORE = "shopcast.lang";

let language = "en";
/** @type {Record<string, string | Record<string, string>>} */
let messages = {};
/** @type {Record<string, string | Record<string, string>>} */
let fallback = {};

// The language the person chose before, else the first of the browser's we have, else English.
/**
 * @param {string | null} [stored]
 * @param {readonly string[]} [preferred]
 * @returns {string}
 */
export function pickLanguage(stored = localStorage.getItem(STORE), preferred = navigator.languages || [navigator.language]) {
  if (LANGUAGES.includes(stored)) return stored;
  for (const tag of preferred) {
    const base = String(tag || "").slice(0, 2).toLowerCase();
    if (LANGUAGES.includes(base)) return base;
  }
  return "en";
}

export function currentLanguage() {
  return language;
}

// The BCP 47 locale for numbers and prices: the browser's own when it speaks the chosen language
// ("fr-CH" keeps Swiss grouping), else the language alone.
export function locale() {
  const browser = navigator.language || "";
  return browser.slice(0, 2).toLowerCase() === language ? browser : language;
}

/**
 * @param {string} lang
 * @param {string} page
 * @returns {Promise<Record<string, string | Record<string, string>>>}
 */
async function fetchCatalog(lang, page) {
  try {
    const response = await fetch(`/static/i18n/${lang}/${page}.json`);
    return response.ok ? await response.json() : {};
  } catch {
    return {};
  }
}

// Load the common catalog and the page's, in the chosen language and in English.
/**
 * @param {string} page
 * @param {string} [lang]
 */
export async function loadMessages(page, lang = pickLanguage()) {
  language = lang;
  document.documentElement.lang = lang;
  const pages = ["common", page].filter(Boolean);
  const [own, english] = await Promise.all([
    Promise.all(pages.map((p) => fetchCatalog(lang, p))),
    lang === "en" ? Promise.resolve([]) : Promise.all(pages.map((p) => fetchCatalog("en", p))),
  ]);
  messages = Object.assign({}, ...own);
  fallback = Object.assign({}, ...english);
  applyTranslations();
  return lang;
}

/**
 * The string for `key`, its {name} placeholders filled from `params` (numbers formatted);
 * an object of plural forms picks by `params.count`.
 * @param {string} key
 * @param {Record<string, unknown>} [params]
 * @returns {string}
 */
export function t(key, params = {}) {
  let value = key in messages ? messages[key] : fallback[key];
  if (value === undefined) return key;
  if (typeof value === "object") {
    const count = Number(params.count ?? 0);
    const category = new Intl.PluralRules(language).select(count);
    value = value[category] ?? value.other ?? "";
  }
  return value.replace(/\{(\w+)\}/g, (whole, name) => {
    if (!(name in params)) return whole;
    const given = params[name];
    return typeof given === "number" ? formatNumber(given) : String(given);
  });
}

// Elements carry data-i18n="key" (text), data-i18n-placeholder, data-i18n-label (aria-label)
// and data-i18n-title; call again after building new parts of the page.
/** @param {ParentNode} [root] */
export function applyTranslations(root = document) {
  /** @param {string} selector */
  const all = (selector) => /** @type {NodeListOf<HTMLElement>} */ (root.querySelectorAll(selector));
  for (const node of all("[data-i18n]")) node.textContent = t(node.dataset.i18n);
  for (const node of all("[data-i18n-placeholder]")) /** @type {HTMLInputElement} */ (node).placeholder = t(node.dataset.i18nPlaceholder);
  for (const node of all("[data-i18n-label]")) node.setAttribute("aria-label", t(node.dataset.i18nLabel));
  for (const node of all("[data-i18n-title]")) node.title = t(node.dataset.i18nTitle);
}

/** @param {number} value */
export function formatNumber(value) {
  return new Intl.NumberFormat(locale()).format(value);
}

// Money travels as integer minor units; every currency we sell in has two decimals
// (server/core/domain/money.py), so the major amount is minor / 100.
/**
 * @param {number} minor
 * @param {string} currency ISO 4217
 */
export function formatPrice(minor, currency) {
  return new Intl.NumberFormat(locale(), { style: "currency", currency }).format(minor / 100);
}

/** @param {string} iso */
export function formatTime(iso) {
  return new Intl.DateTimeFormat(locale(), { dateStyle: "medium", timeStyle: "short" }).format(new Date(iso));
}

// A labelled <select> of the eight languages; choosing one keeps it and reloads the page's strings.
/** @param {(lang: string) => void} [onChange] */
export function languageSwitcher(onChange) {
  const label = document.createElement("label");
  label.className = "language";
  const text = document.createElement("span");
  text.className = "visually-hidden";
  text.dataset.i18n = "common.language";
  text.textContent = t("common.language");
  const select = document.createElement("select");
  select.id = "language";
  for (const lang of LANGUAGES) {
    const option = document.createElement("option");
    option.value = lang;
    option.lang = lang;
    option.textContent = LANGUAGE_NAMES[lang];
    option.selected = lang === language;
    select.append(option);
  }
  select.addEventListener("change", async () => {
    localStorage.setItem(STORE, select.value);
    await loadMessages(document.body.dataset.page, select.value);
    if (onChange) onChange(select.value);
  });
  label.append(text, select);
  return label;
}
