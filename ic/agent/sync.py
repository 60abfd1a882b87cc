"""Blocking use of the async agent for CPython tools and scripts (not for the browser).

    agent = blocking(Agent(UrllibTransport("http://127.0.0.1:4943"), fetch_root_key=True))
    agent.status()                       # runs the coroutine with asyncio.run
    actor = blocking(Actor(agent.wrapped, ii_canister_id, did_text))
    actor.call("stats")

Each call runs its own event loop, so it must not be used from inside a running loop.
"""

from __future__ import annotations

import asyncio
import inspect
from typing import Any


class Blocking:
    """Proxies an object; any method returning an awaitable is run to completion."""

    def __init__(self, wrapped: Any):
        object.__setattr__(self, "wrapped", wrapped)

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self.wrapped, name)
        if not callable(attribute):
            return attribute

        def run(*args: Any, **kwargs: Any) -> Any:
            result = attribute(*args, **kwargs)
            return asyncio.run(_await(result)) if inspect.isawaitable(result) else result

        run.__name__ = name
        run.__doc__ = getattr(attribute, "__doc__", None)
        return run

    def __repr__(self) -> str:
        return f"blocking({self.wrapped!r})"


async def _await(awaitable: Any) -> Any:
    return await awaitable


def blocking(obj: Any) -> Blocking:
    return Blocking(obj)
