"""docs/protocol.md and the code name the same error codes and the same Socket.IO events.

The codes are the members of the enums in server/core/domain/error_codes.py and media's
`MediaCode`; the events, `ClientEvent` and `RoomEvent` in chat/events.py. The doc lists codes
in the first column of the table under "## Errors" and events in the first column of the
Socket.IO tables whose first header is `event`. A code or event in one and not the other fails,
and so does a bare code string in a raise: a new code goes through an enum.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from chat.events import ClientEvent, RoomEvent
from media.exceptions import MediaCode
from server.core.domain.error_codes import ERROR_CODE_ENUMS

ROOT = Path(__file__).resolve().parent.parent
PROTOCOL = (ROOT / "docs" / "protocol.md").read_text()
# helpers that take a code positionally: the argument it is
CODE_CALLS = {"error": 0, "error_response": 1}


def _section(text: str, heading: str) -> str:
    """From `heading` to the next heading of the same or a higher level."""
    level = heading.split(" ", 1)[0]
    start = text.index(f"\n{heading}\n")
    ends = [
        m.start()
        for m in re.finditer(r"\n(#+) ", text[start + 1 :])
        if len(m.group(1)) <= len(level)
    ]
    return text[start : start + 1 + ends[0]] if ends else text[start:]


def _first_column(table_text: str, header: str) -> set[str]:
    """The backticked names in the first column of each table whose first header is `header`."""
    names: set[str] = set()
    in_table = False
    for line in table_text.splitlines():
        if not line.startswith("|"):
            in_table = False
            continue
        first = line.split("|")[1].strip()
        if first == header:
            in_table = True
        elif in_table and not set(first) <= {"-", " "}:
            names |= set(re.findall(r"`([^`]+)`", first))
    return names


def documented_codes(text: str = PROTOCOL) -> set[str]:
    return _first_column(_section(text, "## Errors"), "code")


def documented_events(text: str = PROTOCOL) -> set[str]:
    return _first_column(_section(text, "## Socket.IO"), "event")


def enum_codes() -> set[str]:
    return {str(code) for enum in (*ERROR_CODE_ENUMS, MediaCode) for code in enum}


def test_every_error_code_is_documented_and_every_documented_code_exists() -> None:
    codes, documented = enum_codes(), documented_codes()
    assert sorted(codes - documented) == [], "in an enum, not in docs/protocol.md"
    assert sorted(documented - codes) == [], "in docs/protocol.md, in no enum"


def test_every_event_is_documented_and_every_documented_event_exists() -> None:
    names = {str(event) for event in (*ClientEvent, *RoomEvent)}
    documented = documented_events()
    assert sorted(names - documented) == [], "in chat/events.py, not in docs/protocol.md"
    assert sorted(documented - names) == [], "in docs/protocol.md, not in chat/events.py"


def test_each_core_code_belongs_to_one_area() -> None:
    seen: dict[str, str] = {}
    for enum in ERROR_CODE_ENUMS:
        for code in enum:
            assert code.value not in seen, f"{code.value} in {seen.get(code.value)} and {enum}"
            seen[code.value] = enum.__name__


def test_the_doc_readers_find_what_they_should() -> None:
    """The readers above can fail: a code or event missing from a table is not found."""
    doc = (
        "# P\n\n## Errors\n\n| code | HTTP | meaning |\n| --- | --- | --- |\n"
        "| `a_code`, `b_code` | 400 | see `not_a_code` |\n\n## Socket.IO\n\n### In\n\n"
        "| event | payload |\n| --- | --- |\n| `join` | `{stream_id}` |\n\n"
        "| code | x |\n| --- | --- |\n| `elsewhere` | |\n"
    )
    assert documented_codes(doc) == {"a_code", "b_code"}
    assert documented_events(doc) == {"join"}
    assert "sold_out" in documented_codes() and "join" in documented_events()


def _bare_codes(tree: ast.AST) -> list[str]:
    """`code="..."` keywords, `code = "..."` class defaults, and `error("...", ...)` calls."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.keyword) and node.arg == "code":
            if isinstance(node.value, ast.Constant | ast.JoinedStr):
                found.append(ast.unparse(node))
        elif isinstance(node, ast.ClassDef):
            for item in node.body:
                target = item.target if isinstance(item, ast.AnnAssign) else None
                if isinstance(item, ast.Assign) and len(item.targets) == 1:
                    target = item.targets[0]
                value = getattr(item, "value", None)
                if isinstance(target, ast.Name) and target.id == "code":
                    if isinstance(value, ast.Constant) and isinstance(value.value, str):
                        found.append(f"{node.name}.{ast.unparse(item)}")
        elif isinstance(node, ast.Call):
            name = node.func.id if isinstance(node.func, ast.Name) else None
            at = CODE_CALLS.get(str(name))
            arg = node.args[at] if at is not None and len(node.args) > at else None
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                found.append(ast.unparse(node)[:80])
    return found


def test_no_bare_code_string_in_the_sources() -> None:
    offenders = {
        str(path.relative_to(ROOT)): found
        for top in ("server", "chat", "media")
        for path in sorted((ROOT / top).rglob("*.py"))
        if (found := _bare_codes(ast.parse(path.read_text(), str(path))))
    }
    assert offenders == {}


def test_the_bare_code_check_finds_each_form() -> None:
    source = (
        "class E(DomainError):\n    code = 'late'\n"
        "raise NotFound('no', code='gone')\n"
        "raise NotFound('no', code=f'bad_{what}')\n"
        "return error('internal', 'failed')\n"
        "return error_response(500, 'internal', 'failed')\n"
        "raise NotFound('no', code=StreamCode.STREAM_NOT_FOUND)\n"
        "return error(exc.code, exc.message)\n"
    )
    assert len(_bare_codes(ast.parse(source))) == 5
