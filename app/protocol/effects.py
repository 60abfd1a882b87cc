"""What the authorize session asks the outside world to do: its effects, executed in order by
`app.flows.authorize` (screens) and `app/browser/messaging.py` (postMessage, timers, fetches).
Plain data, so the session runs, and is tested, under CPython."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Union

from app.protocol.request import AuthorizationRequest


@dataclass(frozen=True)
class PostMessage:
    """`window.opener.postMessage(message, target_origin)`.

    The session only ever talks to `window.opener`: it accepts messages only from the opener, so
    the opener is also the source of every message it answers.
    """

    message: dict
    target_origin: str


@dataclass(frozen=True)
class ShowRequest:
    """Show the authorize screen: `request.request_origin` asks to sign in (see `request.py`)."""

    request: AuthorizationRequest


@dataclass(frozen=True)
class ShowCompleted:
    """The delegation was posted to `origin`; the dapp closes this window."""

    origin: str


@dataclass(frozen=True)
class ShowFailure:
    """An error screen: a short `title` and a `detail` a person (or a dapp developer) can act on."""

    title: str
    detail: str


@dataclass(frozen=True)
class StartTimer:
    """Call `session.on_timer(name)` after `ms` milliseconds; replaces a pending timer of that name."""

    name: str
    ms: int


@dataclass(frozen=True)
class CancelTimer:
    """Cancel the pending timer `name`, if any."""

    name: str


@dataclass(frozen=True)
class ResolveCanisterId:
    """`fetch(origin, {method: "HEAD", credentials: "omit"})`, then feed the response header
    `x-ic-canister-id` (or None when absent or when the fetch failed) to `session.on_canister_id`."""

    origin: str


@dataclass(frozen=True)
class FetchAlternativeOrigins:
    """`fetch(url, {method, redirect: "manual", credentials: "omit", headers: {Accept: accept}})`,
    then feed an `AlternativeOriginsResponse` to `session.on_alternative_origins`.

    Redirects are never followed (II's rule); with `redirect: "manual"` the browser hands back an
    `opaqueredirect` response, which the adapter reports as `redirected=True` so the refusal can say
    why. A fetch that rejects (network, CORS) is reported as `AlternativeOriginsResponse(status=0,
    error=str(exc))`.
    """

    url: str
    method: str = "GET"
    redirect: str = "manual"
    credentials: str = "omit"
    accept: str = "application/json"


Effect = Union[
    PostMessage, ShowRequest, ShowCompleted, ShowFailure, StartTimer, CancelTimer, ResolveCanisterId,
    FetchAlternativeOrigins,
]
