"""Tokens of Candid text (spec `Candid.md`, "Lexical structure"): shared by the `.did` parser,
the textual value parser and the test-suite reader.

Comments are `// ...` and nested `/* ... */`. Text literals are returned as `bytes` (escapes
`\\t \\n \\r \\" \\' \\\\`, `\\HH` for any byte, `\\u{HEX}` with `_` separators), so `blob "..."`
may hold any bytes; the consumer decodes UTF-8 where text is meant.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from .errors import CandidSyntaxError


class Token(NamedTuple):
    kind: str  # "id", "num", "text", "sym", "eof"
    value: object  # str for id/num/sym, bytes for text
    pos: int


_SYMBOLS = ("->", "!:", "==", "!=", "(", ")", "{", "}", ";", ",", ":", "=", ".")
_ID = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NUM = re.compile(
    r"[+-]?(?:0x[0-9a-fA-F](?:_?[0-9a-fA-F])*(?:\.(?:[0-9a-fA-F](?:_?[0-9a-fA-F])*)?)?"
    r"(?:[pP][+-]?[0-9](?:_?[0-9])*)?"
    r"|[0-9](?:_?[0-9])*(?:\.(?:[0-9](?:_?[0-9])*)?)?(?:[eE][+-]?[0-9](?:_?[0-9])*)?)")
_SPACE = re.compile(r"\s+")
_SIMPLE_ESCAPES = {"n": b"\n", "r": b"\r", "t": b"\t", "\\": b"\\", '"': b'"', "'": b"'"}


def position(text: str, pos: int) -> str:
    """`line:column` (both 1-based) of offset `pos` in `text`."""
    line = text.count("\n", 0, pos) + 1
    col = pos - (text.rfind("\n", 0, pos) + 1) + 1
    return f"{line}:{col}"


def tokenize(text: str) -> list[Token]:
    out: list[Token] = []
    i, n = 0, len(text)
    while True:
        m = _SPACE.match(text, i)
        if m:
            i = m.end()
        if i >= n:
            out.append(Token("eof", None, i))
            return out
        if text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j + 1
            continue
        if text.startswith("/*", i):
            i = _skip_block_comment(text, i)
            continue
        c = text[i]
        if c == '"':
            value, j = _read_text(text, i)
            out.append(Token("text", value, i))
            i = j
            continue
        if c.isdigit() or (c in "+-" and i + 1 < n and text[i + 1].isdigit()):
            m = _NUM.match(text, i)
            if m:
                out.append(Token("num", m.group(), i))
                i = m.end()
                continue
        m = _ID.match(text, i)
        if m:
            out.append(Token("id", m.group(), i))
            i = m.end()
            continue
        for sym in _SYMBOLS:
            if text.startswith(sym, i):
                out.append(Token("sym", sym, i))
                i += len(sym)
                break
        else:
            raise CandidSyntaxError(f"{position(text, i)}: unexpected character {c!r}")


def _skip_block_comment(text: str, i: int) -> int:
    depth, start = 0, i
    while i < len(text):
        if text.startswith("/*", i):
            depth += 1
            i += 2
        elif text.startswith("*/", i):
            depth -= 1
            i += 2
            if depth == 0:
                return i
        else:
            i += 1
    raise CandidSyntaxError(f"{position(text, start)}: unclosed /* comment")


def _read_text(text: str, start: int) -> tuple[bytes, int]:
    out = bytearray()
    i = start + 1
    n = len(text)
    while i < n:
        c = text[i]
        if c == '"':
            return bytes(out), i + 1
        if c != "\\":
            j = i
            while j < n and text[j] not in '"\\':
                j += 1
            out += text[i:j].encode("utf-8", "surrogatepass")
            i = j
            continue
        e = text[i + 1:i + 2]
        if e in _SIMPLE_ESCAPES:
            out += _SIMPLE_ESCAPES[e]
            i += 2
        elif e == "u":
            close = text.find("}", i)
            body = text[i + 3:close] if text[i + 2:i + 3] == "{" and close > 0 else None
            if body is None or not re.fullmatch(r"[0-9a-fA-F](?:_?[0-9a-fA-F])*", body):
                raise CandidSyntaxError(f"{position(text, i)}: bad unicode escape, expected \\u{{HEX}}")
            code = int(body.replace("_", ""), 16)
            if code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
                raise CandidSyntaxError(f"{position(text, i)}: \\u{{{body}}} is not a Unicode"
                                        " scalar value")
            out += chr(code).encode("utf-8")
            i = close + 1
        elif re.fullmatch(r"[0-9a-fA-F]{2}", text[i + 1:i + 3]):
            out.append(int(text[i + 1:i + 3], 16))
            i += 3
        else:
            raise CandidSyntaxError(f"{position(text, i)}: unknown escape \\{e}")
    raise CandidSyntaxError(f"{position(text, start)}: unterminated text literal")


class TokenStream:
    """A cursor over tokens with the small helpers recursive-descent parsers need."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.i = 0

    def peek(self, k: int = 0) -> Token:
        return self.tokens[min(self.i + k, len(self.tokens) - 1)]

    def next(self) -> Token:
        tok = self.tokens[self.i]
        if tok.kind != "eof":
            self.i += 1
        return tok

    def at(self, kind: str, value: object = None, k: int = 0) -> bool:
        tok = self.peek(k)
        return tok.kind == kind and (value is None or tok.value == value)

    def accept(self, kind: str, value: object = None) -> Token | None:
        if self.at(kind, value):
            return self.next()
        return None

    def expect(self, kind: str, value: object = None) -> Token:
        tok = self.peek()
        if tok.kind != kind or (value is not None and tok.value != value):
            self.fail(f"expected {value if value is not None else kind}", tok)
        return self.next()

    def fail(self, what: str, tok: Token | None = None):
        tok = tok or self.peek()
        found = "end of input" if tok.kind == "eof" else repr(tok.value)
        raise CandidSyntaxError(f"{position(self.text, tok.pos)}: {what}, found {found}")

    def utf8(self, tok: Token) -> str:
        try:
            return tok.value.decode("utf-8")  # type: ignore[union-attr]
        except UnicodeDecodeError:
            raise CandidSyntaxError(f"{position(self.text, tok.pos)}: text literal is not"
                                    " valid UTF-8") from None
