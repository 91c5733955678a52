"""Word filters: terms per language whose matches block, hold for review or mask a chat line.

Matching works on a *skeleton* of the text: each character is case-folded, decomposed with
NFKD, stripped of combining marks and mapped through small tables (Polish ł, Danish ø, Cyrillic
and Greek look-alikes...), keeping for each skeleton character the offset it came from so a
match can be masked in place. Leet digits and symbols (0 3 4 5 7 @ $) stay themselves and the
pattern for a letter accepts them; "1", which may be "i" or "l", is read both ways (a second
pass, only for text that contains a "1"). All terms of a language compile into one regex built
from a trie, recompiled only when the list changes, so a message is scanned once however many
terms there are. Letter classes never overlap and runs are possessive: no backtracking blow-up.

False-positive guards (docs/moderation.md has the reasoning):
- a term matches whole words: no letter may touch either end ("classic" does not match "class");
- a match must contain at least one real letter, so prices like "$55" or "455" never match;
- punctuation may sit inside a word ("b.a.d", "b-a-d") but spaces only when every letter
  stands alone ("b a d"), and only for terms of three letters or more.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache
from typing import Any

from server.core.domain.error_codes import GeneralCode, RoomCode
from server.core.domain.errors import NotFound, ValidationError
from server.core.domain.streams import LANGUAGES

ALL_LANGUAGES = "all"  # a term filed under "all" applies to streams of every language
MIN_TERM_LETTERS = 2
MAX_TERM_CHARS = 64
MAX_TERMS = 1_000  # per list: 1,000 terms compile in about 0.15 s, once per edit
SPACED_MIN_LETTERS = 3  # "b a d" is caught; "i a" is too common in real text to be

# Letters with no NFKD decomposition that readers still see as a plain Latin letter.
_FOLD = str.maketrans(
    {"ł": "l", "đ": "d", "ð": "d", "ø": "o", "ħ": "h", "\u0131": "i", "ŧ": "t", "ŀ": "l"}
    | {"æ": "ae", "œ": "oe", "þ": "th"}
    | {"_": "-"}  # punctuation like any other, which keeps the separator classes simple
)
# Cyrillic and Greek letters that render like Latin ones (applied after case folding).
_LOOKALIKE = str.maketrans(
    "авекмнорстухіјѕԁ" + "αβεικνορτυχ",
    "abekmhopctyxijsd" + "abeikvoptux",
)
# Symbols people type for a letter; the pattern for a letter accepts them too. Scanning keeps
# "@" and "$" as they are (other punctuation becomes "."), so no character is in two classes.
_LEET = {"a": "4@", "e": "3", "o": "0", "s": "5$", "t": "7"}
_AMBIGUOUS = ("1", "il")  # read as each of these letters in turn

# Scanning sees every punctuation mark as "." and every space as " ": short patterns compile fast.
_LETTER = r"[^\W\d_]"
_INNER = r"\."  # punctuation allowed inside a word: b.a.d, b-a-d, b_a_d
_GAP = r"[ .]"  # spaces or punctuation between words, or between spaced-out letters


class FilterAction(StrEnum):
    BLOCK = "block"  # refuse the message
    HOLD = "hold"  # queue it for a moderator
    MASK = "mask"  # deliver it with the match replaced by asterisks


_SEVERITY = {FilterAction.MASK: 0, FilterAction.HOLD: 1, FilterAction.BLOCK: 2}


@dataclass(frozen=True)
class Term:
    text: str  # as entered, shown to moderators
    language: str
    action: FilterAction
    key: str = field(compare=False)  # normalised words joined by one space

    @classmethod
    def parse(cls, text: object, language: object, action: object) -> Term:
        if not isinstance(text, str) or not 0 < len(text.strip()) <= MAX_TERM_CHARS:
            raise ValidationError(
                f"a term is 1-{MAX_TERM_CHARS} characters", code=RoomCode.BAD_TERM
            )
        return cls(text.strip(), _language(language), _action(action), _term_key(text))


@dataclass(frozen=True)
class Match:
    term: str  # the term's key
    language: str
    action: FilterAction
    start: int  # span in the original text
    end: int


def normalize(text: str) -> str:
    """The form terms and text are compared in: folded, unaccented, look-alikes mapped."""
    return "".join(_fold_char(c) for c in text)


def mask(text: str, matches: Iterable[Match]) -> str:
    """Replace each matched span with as many asterisks: the length never changes."""
    chars = list(text)
    for match in matches:
        chars[match.start : match.end] = "*" * (match.end - match.start)
    return "".join(chars)


def strongest(matches: Iterable[Match]) -> FilterAction | None:
    """Block beats hold beats mask; None when nothing matched."""
    return max((m.action for m in matches), key=_SEVERITY.__getitem__, default=None)


class WordFilter:
    """One list of terms (a stream's or the platform's), edited live, compiled per language."""

    def __init__(self, terms: Iterable[Term] = ()) -> None:
        self._terms: dict[tuple[str, str], Term] = {(t.language, t.key): t for t in terms}
        self._compiled: dict[str, _Compiled] = {}

    @property
    def terms(self) -> tuple[Term, ...]:
        return tuple(self._terms.values())

    def add(self, text: object, language: object, action: object) -> Term:
        """Add a term, or change the action of one already listed."""
        term = Term.parse(text, language, action)
        if (term.language, term.key) not in self._terms and len(self._terms) >= MAX_TERMS:
            raise ValidationError(
                f"a list holds at most {MAX_TERMS} terms", code=RoomCode.TOO_MANY_TERMS
            )
        self._terms[(term.language, term.key)] = term
        self._compiled.clear()
        return term

    def remove(self, text: object, language: object) -> Term:
        if not isinstance(text, str):
            raise ValidationError("a term is a string", code=RoomCode.BAD_TERM)
        term = self._terms.pop((_language(language), _term_key(text)), None)
        if term is None:
            raise NotFound("no such term in this list", code=RoomCode.TERM_NOT_FOUND)
        self._compiled.clear()
        return term

    def scan(self, text: str, language: str) -> list[Match]:
        """Every non-overlapping match in `text` of the terms for `language` and for all."""
        compiled = self._compiled.get(language)
        if compiled is None:
            compiled = self._compiled[language] = _compile(self._for_language(language))
        return compiled.scan(text)

    def to_dict(self) -> dict[str, Any]:
        return {"terms": [_term_dict(t) for t in self._terms.values()]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> WordFilter:
        return cls(Term.parse(t["text"], t["language"], t["action"]) for t in data["terms"])

    def _for_language(self, language: str) -> list[Term]:
        return [t for t in self._terms.values() if t.language in (language, ALL_LANGUAGES)]


# -- normalisation ----------------------------------------------------------------------------


@lru_cache(maxsize=8192)
def _fold_char(char: str) -> str:
    if char.isspace():
        return " "
    if unicodedata.category(char) == "Cf":
        return ""  # zero-width spaces and joiners, soft hyphens: invisible, used to split words
    folded = unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", char).casefold())
    kept = "".join(c for c in folded if not unicodedata.category(c).startswith("M"))
    return kept.translate(_FOLD).translate(_LOOKALIKE)


def _term_key(text: str) -> str:
    skeleton = normalize(text)
    if any(c.isdigit() for c in skeleton):
        raise ValidationError(
            "spell terms in letters: look-alikes match anyway", code=RoomCode.BAD_TERM
        )
    words = re.findall(f"{_LETTER}+", skeleton)
    if sum(map(len, words)) < MIN_TERM_LETTERS:
        raise ValidationError(
            f"a term has at least {MIN_TERM_LETTERS} letters", code=RoomCode.BAD_TERM
        )
    return " ".join(words)


def _term_dict(term: Term) -> dict[str, str]:
    return {"text": term.text, "language": term.language, "action": term.action.value}


def _language(language: object) -> str:
    if language != ALL_LANGUAGES and language not in LANGUAGES:
        choices = ", ".join((*LANGUAGES, ALL_LANGUAGES))
        raise ValidationError(f"language must be one of {choices}", code=GeneralCode.BAD_LANGUAGE)
    return str(language)


def _action(action: object) -> FilterAction:
    try:
        return FilterAction(str(action))
    except ValueError:
        raise ValidationError(
            "action must be block, hold or mask", code=RoomCode.BAD_ACTION
        ) from None


# -- compilation ------------------------------------------------------------------------------


@dataclass
class _Compiled:
    pattern: re.Pattern[str] | None
    by_group: dict[str, Term]

    def scan(self, text: str) -> list[Match]:
        if self.pattern is None:
            return []
        skeleton, origin = _skeleton(text)
        matches: dict[Match, None] = {}  # ordered and without the duplicates of two readings
        for reading in _readings(skeleton):
            for found in self.pattern.finditer(reading):
                if not any(c.isalpha() for c in skeleton[found.start() : found.end()]):
                    continue  # digits and symbols only: a number or a price, not a word
                term = self.by_group[str(found.lastgroup)]
                start, end = origin[found.start()], _end_in(text, origin[found.end() - 1] + 1)
                matches[Match(term.key, term.language, term.action, start, end)] = None
        return list(matches)


@dataclass
class _Node:
    children: dict[str, _Node] = field(default_factory=dict)
    group: str | None = None  # set where a term ends


def _compile(terms: list[Term]) -> _Compiled:
    if not terms:
        return _Compiled(None, {})
    # A key listed for this language and for all: the stronger action applies.
    weakest_first = sorted(terms, key=lambda t: _SEVERITY[t.action])
    unique = list({t.key: t for t in weakest_first}.values())
    by_group: dict[str, Term] = {}
    compact, spaced = _Node(), _Node()
    for index, term in enumerate(unique):
        by_group[f"c{index}"] = by_group[f"s{index}"] = term
        _insert(compact, _compact_pieces(term.key), f"c{index}")
        letters = term.key.replace(" ", "")
        if len(letters) >= SPACED_MIN_LETTERS:
            _insert(spaced, _spaced_pieces(letters), f"s{index}")
    alternatives = [_render(node) for node in (compact, spaced) if node.children]
    body = "|".join(alternatives)
    return _Compiled(re.compile(f"(?<!{_LETTER})(?:{body})(?!{_LETTER})"), by_group)


def _compact_pieces(key: str) -> list[str]:
    """One regex piece per run of a letter: "good" is g, o twice, d; each run may be stretched
    and dotted ("goooo.d"); words of a phrase may be split by anything or nothing."""
    pieces = []
    for w, word in enumerate(key.split(" ")):
        for r, run in enumerate(m.group() for m in re.finditer(r"(.)\1*", word)):
            letter = _class(run[0])
            lead = (_GAP + "*+" if w else "") if r == 0 else _INNER + "*+"
            more = "*+" if len(run) == 1 else f"{{{len(run) - 1},}}+"
            pieces.append(f"{lead}{letter}(?:{_INNER}*+{letter}){more}")
    return pieces


def _spaced_pieces(letters: str) -> list[str]:
    """Every letter alone, split by spaces or punctuation: "b a d", "b. a. d"."""
    return [_class(c) if i == 0 else f"{_GAP}++{_class(c)}" for i, c in enumerate(letters)]


def _class(letter: str) -> str:
    leet = _LEET.get(letter)
    return f"[{re.escape(letter + leet)}]" if leet else re.escape(letter)


def _insert(root: _Node, pieces: list[str], group: str) -> None:
    node = root
    for piece in pieces:
        node = node.children.setdefault(piece, _Node())
    node.group = group


def _render(node: _Node) -> str:
    """Alternation of a trie's branches, longer paths first so the longest term wins."""
    branches = [piece + _render(child) for piece, child in node.children.items()]
    if node.group is not None:
        branches.append(f"(?P<{node.group}>)")
    return branches[0] if len(branches) == 1 else f"(?:{'|'.join(branches)})"


def _skeleton(text: str) -> tuple[str, list[int]]:
    """The text as scanned, and for each of its characters the index it came from."""
    parts: list[str] = []
    origin: list[int] = []
    for index, char in enumerate(text):
        folded = _scan_char(char)
        parts.append(folded)
        origin.extend([index] * len(folded))
    return "".join(parts), origin


@lru_cache(maxsize=8192)
def _scan_char(char: str) -> str:
    return "".join(c if c.isalnum() or c in " @$" else "." for c in _fold_char(char))


def _readings(skeleton: str) -> list[str]:
    symbol, letters = _AMBIGUOUS
    if symbol not in skeleton:
        return [skeleton]
    return [skeleton.replace(symbol, letter) for letter in letters]


def _end_in(text: str, end: int) -> int:
    """Extend a span over trailing characters with no skeleton (combining marks, joiners)."""
    while end < len(text) and not _fold_char(text[end]):
        end += 1
    return end
