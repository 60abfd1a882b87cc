"""Boot and routing of the II page (the `<script type="py">` of index.html awaits `boot`)."""

from __future__ import annotations

import asyncio
import sys

from app.browser import dom, page
from app.config import ConfigError
from app.routing import Route, route_for
from app.ui.diagnostics import render_diagnostics
from app.ui.landing import render_landing
from app.ui.markup import card, text

_tasks: set[asyncio.Task] = set()


def spawn(coroutine) -> None:
    """Run a flow in the background, keeping a reference so it is not collected mid-way."""
    task = asyncio.ensure_future(coroutine)
    _tasks.add(task)
    task.add_done_callback(_tasks.discard)


def show_landing() -> None:
    dom.show(render_landing(), {
        "diagnostics": lambda _e: page.set_fragment("diagnostics"),
    })


def show_diagnostics() -> None:
    from app.browser import credentials
    from app.flows.diagnostics import run_passkey_check

    checks = {"Python": sys.version.split()[0], **page.browser_facts()}

    def run(_event) -> None:
        # The WebAuthn call starts inside the click handler, before any await (user activation).
        pending_flow = run_passkey_check(page.hostname(), page.origin(), page.random_bytes,
                                         start_create=credentials.start_create,
                                         start_get=credentials.start_get)
        spawn(finish(pending_flow))

    async def finish(flow) -> None:
        try:
            result = await flow
        except Exception as exc:  # shown to the person; the check is over either way
            dom.show(render_diagnostics(checks, error=str(exc)), handlers)
        else:
            dom.show(render_diagnostics(checks, result=result), handlers)

    handlers = {"diagnostics-run": run, "home": lambda _e: page.set_fragment("")}
    dom.show(render_diagnostics(checks), handlers)


def show_route() -> None:
    route = route_for(page.path(), page.fragment())
    if route is Route.DIAGNOSTICS:
        show_diagnostics()
    else:
        show_landing()


async def boot() -> None:
    try:
        page.read_config()
    except ConfigError as exc:
        dom.show(card("error", f'<p id="errorContainer" class="error" role="alert">{text(exc)}</p>'), {})
        dom.set_app_state("error")
        return
    show_route()
    page.on_fragment_change(show_route)
    dom.set_app_state("ready")
