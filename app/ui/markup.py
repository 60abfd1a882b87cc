"""Tiny HTML helpers shared by the screens: escaping and the page frame."""

from __future__ import annotations

from html import escape

LOGO = '<img class="logo" src="/static/logo.svg" alt="" width="56" height="56">'


def text(value: object) -> str:
    """Escape any value for use as element text or a quoted attribute value."""
    return escape(str(value), quote=True)


def card(page: str, body: str, *, title: str = "Internet Identity") -> str:
    """The frame every screen shares: brand header, then the screen's own content."""
    return (f'<section class="card" data-page="{text(page)}">'
            f'<div class="brand">{LOGO}<h1>{text(title)}</h1></div>{body}</section>')
