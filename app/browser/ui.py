"""The `Ui` port in the page (`app.ui.screen`): show a screen in `#app`, end it with a click.

Inside the click handler, before anything is awaited, the adapter reads the screen's declared
inputs and calls its declared start for the action (a WebAuthn call: Safari drops the user
activation after an await), then hands the `Click` to the flow awaiting the screen. Showing the
next screen cancels what the previous one was still awaiting (its click, its `until`, the task
refreshing its live texts), so a flow whose screen is gone stops.
"""

from __future__ import annotations

import asyncio
from typing import Any, Awaitable, Optional

from app.browser import dom
from app.ui.markup import Markup
from app.ui.screen import Click, Screen

TICK_S = 1.0


class BrowserUi:
    def __init__(self) -> None:
        self._owned: list[asyncio.Future] = []  # what the screen on display is waiting on
        self.showing = False  # a screen has been shown (the page turns ready after the first)

    def _replace(self) -> None:
        for waiting in self._owned:
            if not waiting.done():
                waiting.cancel()
        self._owned = []

    def _display(self, screen: Screen, handlers: dict) -> None:
        self._replace()
        dom.show(screen.markup, handlers)
        self.showing = True
        if screen.live:
            self._owned.append(asyncio.ensure_future(self._refresh(screen)))

    @staticmethod
    async def _refresh(screen: Screen) -> None:
        while True:
            await asyncio.sleep(TICK_S)
            for selector, text in screen.live.items():
                dom.set_text(selector, text())

    def show(self, screen: Screen) -> None:
        self._display(screen, {})

    def fill(self, selector: str, markup: Markup) -> None:
        dom.set_inner(selector, markup)

    async def ask(self, screen: Screen, until: Optional[Awaitable] = None) -> Any:
        future = asyncio.get_event_loop().create_future()

        def handler(action: str):
            def on_click(_event: Any) -> None:
                if future.done():
                    return
                values = {selector: dom.read(selector) for selector in screen.reads}
                start = screen.starts.get(action)
                started = start(values) if start is not None else None  # synchronously, in the click
                future.set_result(Click(action, values, started))
            return on_click

        self._display(screen, {action: handler(action) for action in screen.actions})
        self._owned.append(future)
        if until is None:
            return await future
        other = asyncio.ensure_future(until)
        self._owned.append(other)
        done, _ = await asyncio.wait({future, other}, return_when=asyncio.FIRST_COMPLETED)
        winner = future if future in done else other
        for waiting in (future, other):
            if waiting is not winner:
                waiting.cancel()
        return winner.result()
