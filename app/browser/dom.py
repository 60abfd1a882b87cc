"""The page: render a screen into `#app`, dispatch clicks on `[data-action]`, report app state."""

from __future__ import annotations

from typing import Any, Callable

import js
from pyodide.ffi import create_proxy

from app.ui.markup import Markup, escape

Handler = Callable[[Any], None]

_handlers: dict[str, Handler] = {}
_listener: Any = None


def _root() -> Any:
    return js.document.getElementById("app")


def _on_click(event: Any) -> None:
    target = event.target.closest("[data-action]") if event.target else None
    if not target:
        return
    handler = _handlers.get(target.dataset.action)
    if handler is None:
        return
    if target.tagName == "A":
        event.preventDefault()
    handler(event)


def show(markup: Markup, handlers: dict[str, Handler]) -> None:
    """Replace the screen; `handlers` maps `data-action` names to synchronous click handlers.
    Only `Markup` becomes HTML: anything else is shown as text."""
    global _listener
    if _listener is None:
        _listener = create_proxy(_on_click)
        _root().addEventListener("click", _listener)
    _handlers.clear()
    _handlers.update(handlers)
    _root().innerHTML = escape(markup)


def set_app_state(state: str) -> None:
    """`data-app-state` on <html> (tests and dapps wait on it), and a performance mark of the moment
    (bench/boot.py reads it in every engine)."""
    js.document.documentElement.dataset.appState = state
    js.performance.mark(f"app-state:{state}")


def query(selector: str) -> Any:
    return js.document.querySelector(selector)


def read(selector: str) -> str | bool:
    """What a click carries of an input: a checkbox's tick, any other input's value."""
    element = js.document.querySelector(selector)
    if not element:
        return ""
    if str(getattr(element, "type", "") or "") == "checkbox":
        return bool(element.checked)
    return str(element.value)


def set_inner(selector: str, markup: Markup) -> None:
    """Replaces one element's content in place; as in `show`, only `Markup` becomes HTML."""
    element = _root().querySelector(selector)
    if element:
        element.innerHTML = escape(markup)


def set_text(selector: str, value: str) -> None:
    """Updates one element's text in place (a countdown), leaving the rest of the screen as is."""
    element = js.document.querySelector(selector)
    if element:
        element.textContent = value
