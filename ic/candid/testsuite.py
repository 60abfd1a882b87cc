"""Runner for the official Candid conformance test format (`*.test.did`, candid `test/README.md`).

    python -m ic.candid.testsuite FILE...

Each file is `<def>;* <test>;*`, a test being `assert <input> : <tuptype> <desc>?`, `!:`, or
`<input> == <input> :` / `!=`; an input is a text literal holding textual Candid values or
`blob "..."` holding a binary message. Prints one line per failing assertion
(`file:line: description: why`) and ends with `N passed, N failed`; exits 0 only if none failed.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

from .decode import decode
from .did_parser import TypeParser
from .errors import CandidError
from .lexer import TokenStream
from .text import parse_value_text
from .types import Ref, Type


@dataclass(frozen=True)
class Assertion:
    line: int
    kind: str  # ":", "!:", "==", "!="
    left: tuple[str, object]  # ("blob", bytes) or ("text", str)
    right: tuple[str, object] | None
    types: tuple[Type, ...]
    desc: str


@dataclass(frozen=True)
class Outcome:
    assertion: Assertion
    ok: bool
    why: str = ""


def parse_test_file(text: str) -> tuple[list[Assertion], dict[str, Ref]]:
    ts = TokenStream(text)
    tp = TypeParser(ts)
    tests: list[Assertion] = []
    while not ts.at("eof"):
        if ts.accept("id", "type"):
            tp.definition()
        else:
            start = ts.expect("id", "assert")
            line = text.count("\n", 0, start.pos) + 1
            left = _input(ts)
            right = None
            op = ts.next()
            if op.kind != "sym" or op.value not in (":", "!:", "==", "!="):
                ts.fail("expected ':', '!:', '==' or '!='", op)
            if op.value in ("==", "!="):
                right = _input(ts)
                ts.expect("sym", ":")
            types = tp.tuptype()
            desc_tok = ts.accept("text")
            desc = ts.utf8(desc_tok) if desc_tok else f"line {line}"
            tests.append(Assertion(line, str(op.value), left, right, types, desc))
        if not ts.accept("sym", ";") and not ts.at("eof"):
            ts.fail("expected ';'")
    tp.finish()
    return tests, tp.env


def _input(ts: TokenStream) -> tuple[str, object]:
    if ts.accept("id", "blob"):
        return ("blob", ts.expect("text").value)
    tok = ts.expect("text")
    return ("text", ts.utf8(tok))


def _read(inp: tuple[str, object], types: tuple[Type, ...], env: dict) -> list:
    kind, data = inp
    if kind == "blob":
        return decode(data, list(types))  # type: ignore[arg-type]
    return parse_value_text(data, list(types), env)  # type: ignore[arg-type]


def run_assertion(a: Assertion, env: dict) -> Outcome:
    try:
        left = _read(a.left, a.types, env)
    except CandidError as e:
        if a.kind == "!:":
            return Outcome(a, True)
        return Outcome(a, False, f"input rejected: {e}")
    except Exception as e:  # noqa: BLE001 (a crash is a failed assertion, reported as such)
        return Outcome(a, False, f"crashed: {type(e).__name__}: {e}")
    if a.kind == "!:":
        return Outcome(a, False, f"expected rejection, but decoded to {left!r}")
    if a.kind == ":":
        return Outcome(a, True)
    try:
        right = _read(a.right, a.types, env)  # type: ignore[arg-type]
    except CandidError as e:
        return Outcome(a, False, f"right-hand input rejected: {e}")
    except Exception as e:  # noqa: BLE001
        return Outcome(a, False, f"crashed on right-hand input: {type(e).__name__}: {e}")
    if (left == right) == (a.kind == "=="):
        return Outcome(a, True)
    return Outcome(a, False, f"{left!r} {'!=' if a.kind == '==' else '=='} {right!r}")


def run_file(path: str) -> list[Outcome]:
    with open(path, encoding="utf-8") as f:
        text = f.read()
    tests, env = parse_test_file(text)
    return [run_assertion(a, env) for a in tests]


def main(argv: list[str] | None = None) -> int:
    paths = sys.argv[1:] if argv is None else argv
    if not paths:
        print("usage: python -m ic.candid.testsuite FILE...", file=sys.stderr)
        return 2
    passed = failed = 0
    for path in paths:
        try:
            outcomes = run_file(path)
        except (OSError, CandidError) as e:
            print(f"{path}: cannot run: {e}")
            failed += 1
            continue
        for o in outcomes:
            if o.ok:
                passed += 1
            else:
                failed += 1
                print(f"{path}:{o.assertion.line}: {o.assertion.desc}: {o.why}")
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
