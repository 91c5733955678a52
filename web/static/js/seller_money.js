// @ts-check
// Amounts typed by a seller, to and from integer minor units (every currency we sell in has
// two decimals: server/core/domain/money.py), and commission rates in basis points.

import { locale } from "./i18n.js";

export const CURRENCIES = ["EUR", "PLN", "UAH", "USD", "GBP", "CHF", "CZK", "RUB"];
const MAX_MINOR = 10 ** 11;

// "59,90", "59.9", "1 234,50", "1,234.50", "1.234.567" -> 5990, 5990, 123450, 123450, 123456700.
// With both "." and ",", the last one is the decimal mark; a single mark followed by one or two
// digits is a decimal mark, by three it could be either ("12,345"), so that is refused rather
// than guessed. Anything else is null. No floats on the way.
export function parseMinor(text) {
  const plain = String(text ?? "").trim().replace(/[\s\u00a0\u202f']/g, "");
  if (!/^\d[\d.,]*$/.test(plain)) return null;
  const marks = plain.match(/[.,]/g) || [];
  let whole = plain;
  let cents = "";
  const last = Math.max(plain.lastIndexOf("."), plain.lastIndexOf(","));
  const decimal = new Set(marks).size === 2 || (marks.length === 1 && plain.length - last - 1 <= 2);
  if (marks.length === 1 && plain.length - last - 1 === 3) return null;
  if (decimal) {
    whole = plain.slice(0, last);
    cents = plain.slice(last + 1);
    if (!/^\d{1,2}$/.test(cents)) return null;
  }
  if (!/^\d{1,3}([.,]\d{3})*$|^\d+$/.test(whole)) return null;
  const minor = Number(whole.replace(/[.,]/g, "")) * 100 + Number(cents.padEnd(2, "0") || 0);
  return Number.isSafeInteger(minor) && minor <= MAX_MINOR ? minor : null;
}

// 5990 -> "59,90" or "59.90", with the decimal mark of the page's locale.
export function minorToInput(minor) {
  const mark = new Intl.NumberFormat(locale()).formatToParts(1.5).find((p) => p.type === "decimal")?.value || ".";
  return `${Math.floor(minor / 100)}${mark}${String(minor % 100).padStart(2, "0")}`;
}

// A percentage typed with up to two decimals -> basis points (0...10000); "" -> undefined.
export function parseRate(text) {
  if (String(text ?? "").trim() === "") return undefined;
  const bp = parseMinor(String(text).replace("%", ""));
  return bp !== null && bp <= 10000 ? bp : null;
}

export function rateToInput(bp) {
  return bp === null || bp === undefined ? "" : minorToInput(bp).replace(/[.,]00$/, "");
}

export function formatRate(bp) {
  return new Intl.NumberFormat(locale(), { style: "percent", maximumFractionDigits: 2 }).format(bp / 10000);
}
