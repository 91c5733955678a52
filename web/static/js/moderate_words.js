// @ts-check
// This show's word filter: terms that refuse, hold or mask a message, per language or for all.

import { LANGUAGES, LANGUAGE_NAMES, t } from "./i18n.js";
import { $, el, toast } from "./ui.js";
import { act } from "./moderate_context.js";

const ACTIONS = ["block", "hold", "mask"];
let terms = [];

export function setUpWords() {
  fillLanguages();
  $("#word-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const term = $("#word-term").value.trim();
    if (!term) return;
    const language = $("#word-language").value;
    const ack = await act("add_word", { term, action: $("#word-action").value, language });
    if (!ack) return;
    $("#word-term").value = "";
    toast(t("moderate.done.word_added", { term: ack.entry.target }), "ok");
    await loadWords();
    $("#word-term").focus();
  });
}

function fillLanguages() {
  const select = $("#word-language");
  const chosen = select.value || "all";
  select.replaceChildren(
    el("option", { value: "all" }, t("moderate.all_languages")),
    ...LANGUAGES.map((lang) => el("option", { value: lang, lang }, LANGUAGE_NAMES[lang])),
  );
  select.value = chosen;
}

export async function loadWords() {
  const ack = await act("word_list", {});
  if (!ack) return;
  terms = ack.terms;
  renderWords();
}

export function renderWords() {
  fillLanguages();
  const sorted = [...terms].sort((a, b) => a.text.localeCompare(b.text) || a.language.localeCompare(b.language));
  $("#words").replaceChildren(...sorted.map((term) => el("tr", { "data-term": term.text },
    el("td", { class: "term" }, term.text),
    el("td", {}, term.language === "all" ? t("moderate.all_languages") : LANGUAGE_NAMES[term.language] || term.language),
    el("td", {}, ACTIONS.includes(term.action) ? t(`moderate.action_${term.action}`) : term.action),
    el("td", {}, el("button", {
      type: "button",
      "aria-label": t("moderate.remove_word_label", { term: term.text }),
      onclick: () => removeWord(term),
    }, t("moderate.remove"))))));
  $("#words-table").hidden = terms.length === 0;
  $("#words-empty").hidden = terms.length > 0;
}

async function removeWord(term) {
  const ack = await act("remove_word", { term: term.text, language: term.language });
  if (ack) toast(t("moderate.done.word_removed", { term: term.text }), "ok");
  await loadWords();
}
