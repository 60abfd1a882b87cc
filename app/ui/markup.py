"""HTML that escapes by default (lit-html's rule): a value becomes markup only by being `Markup`.

`Markup` is a `str` that is already safe to put in a page; `html(template, ...)` fills a
`str.format` template and escapes every value that is not `Markup` (element text and quoted
attribute values alike); `join` concatenates pieces the same way. Templates are literals in the
`app.ui` modules: nothing that came from a person, a dapp or the canister is ever a template.
`card(page, body)` is the frame every screen shares; a `body` that is not `Markup` is shown as text.
"""

from __future__ import annotations

import html as _html
import string
from typing import Any, Iterable


class Markup(str):
    """Text that is HTML already; `+` escapes a plain `str` on the other side."""

    __slots__ = ()

    def __add__(self, other: object) -> "Markup":
        return Markup(str.__add__(self, escape(other)))

    def __radd__(self, other: object) -> "Markup":
        return Markup(str.__add__(escape(other), self))

    def __repr__(self) -> str:
        return f"Markup({str.__repr__(self)})"


def escape(value: object) -> Markup:
    """`value` as markup: `Markup` unchanged, anything else as escaped text (`"` and `'` too)."""
    if isinstance(value, Markup):
        return value
    return Markup(_html.escape(str(value), quote=True))


class _EscapingFormatter(string.Formatter):
    def format_field(self, value: Any, format_spec: str) -> str:
        formatted = format(value, format_spec)
        return formatted if isinstance(value, Markup) else escape(formatted)


_FORMATTER = _EscapingFormatter()


def html(template: str, /, *args: Any, **kwargs: Any) -> Markup:
    """`template.format(*args, **kwargs)` with every value that is not `Markup` escaped."""
    return Markup(_FORMATTER.vformat(template, args, kwargs))


def join(pieces: Iterable[object], separator: str = "") -> Markup:
    """The pieces one after another, each escaped unless it is `Markup`."""
    return Markup(escape(separator).join(escape(piece) for piece in pieces))


EMPTY = Markup()
LOGO = Markup('<img class="logo" src="/static/logo.svg" alt="" width="56" height="56">')


def card(page: str, body: Markup, *, title: str = "Internet Identity") -> Markup:
    """The frame every screen shares: brand header, then the screen's own content."""
    return html('<section class="card" data-page="{page}"><div class="brand">{logo}<h1>{title}</h1></div>'
                "{body}</section>", page=page, logo=LOGO, title=title, body=body)
