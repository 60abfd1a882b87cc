"""A screen a flow awaits: its markup, the clicks that end it, what those clicks read and start.

A flow builds a `Screen` and awaits `ui.ask(screen)`: the `Ui` port shows it and returns the
`Click` that ended it. Everything a click needs from the page is declared, so the browser adapter
(`app/browser/ui.py`) does it synchronously inside the click handler, before any await:

- `reads`: selectors of the inputs whose value (a checkbox: whether it is ticked) the click carries
  in `Click.values`;
- `starts`: for an action, a function called with those values inside the click; what it returns
  (a WebAuthn call already started, so Safari keeps the user activation) is `Click.started`;
- `live`: texts the adapter refreshes every second while the screen is up (a countdown), by
  selector.

`ui.show(screen)` shows a screen nothing ends (progress); the next screen replaces it.
`ui.fill(selector, markup)` completes the screen on display in place (what arrived after it was
drawn: a dapp's name and logo), so a click on its buttons is never lost to a redraw.
`ui.ask(screen, until=awaitable)` also ends when `awaitable` does (a device appears, a window
closes) and returns its result instead of a `Click`. Showing a screen cancels whatever the
previous one was still waiting on: its click, its `until`, its live texts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable, Mapping, Optional, Protocol, TypeVar

from app.ui.auth import render_busy, render_error
from app.ui.markup import Markup

_DATA_ACTION = re.compile(r'data-action="([^"]*)"')

Start = Callable[[Mapping[str, Any]], Any]
T = TypeVar("T")


@dataclass(frozen=True)
class Screen:
    markup: Markup
    actions: tuple[str, ...] = ()
    reads: tuple[str, ...] = ()
    starts: Mapping[str, Start] = field(default_factory=dict)
    live: Mapping[str, Callable[[], str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        unknown = set(self.starts) - set(self.actions)
        if unknown:
            raise ValueError(f"Screen: starts for actions it does not have: {sorted(unknown)}")


@dataclass(frozen=True)
class Click:
    """What ended a screen: the `data-action` clicked, the declared inputs, what the click started."""

    action: str
    values: Mapping[str, Any] = field(default_factory=dict)
    started: Any = None

    def text(self, selector: str) -> str:
        value = self.values.get(selector, "")
        return value if isinstance(value, str) else ""

    def checked(self, selector: str) -> bool:
        return self.values.get(selector) is True


class Ui(Protocol):
    def show(self, screen: Screen) -> None: ...

    async def ask(self, screen: Screen, until: Optional[Awaitable[T]] = None) -> "Click | T": ...

    def fill(self, selector: str, markup: Markup) -> None:
        """Puts `markup` inside `selector` of the screen on display, if it has one; the rest of
        the screen (its buttons, what was typed or ticked) stays as it is."""
        ...


def data_actions(markup: str) -> set[str]:
    """The `data-action` values in `markup` (what a test compares with `Screen.actions`)."""
    return set(_DATA_ACTION.findall(markup))


def busy_screen(message: str) -> Screen:
    """Progress: nothing to click; the next screen replaces it."""
    return Screen(render_busy(message))


def error_screen(title: str, detail: str, *, retry_label: str = "Try again") -> Screen:
    return Screen(render_error(title, detail, retry_label=retry_label), ("retry",))
