#!/usr/bin/env python3
"""Check a Shopcast giveaway's draw from its published entry list (standard library only).

    python3 docs/verify_giveaway.py https://shop.example/api/giveaways/12/entries
    python3 docs/verify_giveaway.py entries.json

The input is what GET /api/giveaways/{id}/entries answers. The script checks that the revealed
seed hashes to the commitment published before entries opened, recomputes the winners with the
procedure in docs/giveaways.md, and compares them with the winners announced. It prints the
winners it computed and exits 0 when everything agrees, 1 when it does not.
"""

from __future__ import annotations

import hashlib
import json
import sys
import urllib.request


def sorted_entries(entries: list[str]) -> list[str]:
    return sorted(set(entries), key=lambda e: e.encode("utf-8"))


def entries_digest(entries: list[str]) -> str:
    return hashlib.sha256("\n".join(sorted_entries(entries)).encode("utf-8")).hexdigest()


def winners_of(seed: str, entries: list[str], count: int) -> list[str]:
    pool = sorted_entries(entries)
    digest = entries_digest(pool)
    winners = []
    k = 0
    while pool and len(winners) < count:
        h = hashlib.sha256(f"{seed}:{digest}:{k}".encode("ascii")).digest()
        winners.append(pool.pop(int.from_bytes(h, "big") % len(pool)))
        k += 1
    return winners


def check(export: dict) -> list[str]:
    """What does not agree (nothing when the draw verifies)."""
    seed = export.get("seed")
    if not seed:
        return ["the giveaway has not been drawn yet: no seed revealed"]
    problems = []
    if hashlib.sha256(seed.encode("ascii")).hexdigest() != export["commitment"]:
        problems.append("the seed does not match the commitment")
    if entries_digest(export["entries"]) != export.get("entries_digest"):
        problems.append("the entry list does not match its digest")
    computed = winners_of(seed, export["entries"], export["winner_count"])
    if computed != export.get("winners"):
        problems.append(f"the winners drawn differ: computed {computed}")
    return problems


def load(source: str) -> dict:
    if source.startswith(("http://", "https://")):
        with urllib.request.urlopen(source, timeout=30) as answer:
            return json.load(answer)
    with open(source, encoding="utf-8") as file:
        return json.load(file)


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    export = load(argv[1])
    problems = check(export)
    if export.get("seed"):
        computed = winners_of(export["seed"], export["entries"], export["winner_count"])
        print("entries:", len(sorted_entries(export["entries"])))
        print("winners:", " ".join(computed) or "(none)")
    for problem in problems:
        print("FAIL:", problem)
    if not problems:
        print("OK: the seed matches the commitment and gives these winners")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
