"""Which screen a URL opens (pure).

`#authorize` (legacy clients) and the path `/authorize` (the current II and `@icp-sdk/auth`) start
the authorize flow; `#diagnostics` checks what this browser supports; anything else is the landing
page.
"""

from __future__ import annotations

from enum import Enum


class Route(str, Enum):
    LANDING = "landing"
    AUTHORIZE = "authorize"
    DIAGNOSTICS = "diagnostics"


def route_for(path: str, fragment: str) -> Route:
    fragment = fragment.lstrip("#")
    if fragment == "authorize" or path.rstrip("/") == "/authorize":
        return Route.AUTHORIZE
    if fragment == "diagnostics":
        return Route.DIAGNOSTICS
    return Route.LANDING
