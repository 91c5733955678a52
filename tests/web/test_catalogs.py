"""The interface strings: every page's catalog has every key in all eight languages, counts
have the plural forms each language needs, placeholders match English, and no string carries
markup (the pages put them in as text)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from server.core.domain.streams import LANGUAGES
from web import STATIC_DIR

CATALOGS = STATIC_DIR / "i18n"
PAGES = sorted(p.stem for p in (CATALOGS / "en").glob("*.json"))
# CLDR plural categories for integers in each language (Intl.PluralRules picks among them).
PLURALS = {
    "en": {"one", "other"},
    "fr": {"one", "many", "other"},
    "es": {"one", "many", "other"},
    "pt": {"one", "many", "other"},
    "it": {"one", "many", "other"},
    "pl": {"one", "few", "many", "other"},
    "ru": {"one", "few", "many", "other"},
    "uk": {"one", "few", "many", "other"},
}
NEEDED = {
    "en": {"one", "other"},
    "fr": {"one", "other"},
    "es": {"one", "other"},
    "pt": {"one", "other"},
    "it": {"one", "other"},
    "pl": {"one", "few", "many"},
    "ru": {"one", "few", "many"},
    "uk": {"one", "few", "many"},
}
PLACEHOLDER = re.compile(r"\{(\w+)\}")


def load(language: str, page: str) -> dict:
    return json.loads(Path(CATALOGS / language / f"{page}.json").read_text(encoding="utf-8"))


def placeholders(value: object) -> set[str]:
    texts = value.values() if isinstance(value, dict) else [value]
    return {name for text in texts for name in PLACEHOLDER.findall(str(text))}


def test_the_common_catalog_exists() -> None:
    assert "common" in PAGES


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("language", LANGUAGES)
def test_every_key_in_every_language(language: str, page: str) -> None:
    english, own = load("en", page), load(language, page)
    assert sorted(set(english) ^ set(own)) == []
    for key, value in own.items():
        assert value, key
        assert placeholders(value) == placeholders(english[key]), key
        texts = value.values() if isinstance(value, dict) else [value]
        assert not any("<" in str(text) for text in texts), key
        if isinstance(value, dict):
            assert NEEDED[language] <= set(value) <= PLURALS[language], key
