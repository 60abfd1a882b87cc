"""Which screen a URL opens (pure).

`#authorize` (legacy clients) and the path `/authorize` (the current II and `@icp-sdk/auth`) start
the authorize flow; `#diagnostics` checks what this browser supports; an add-device link (the
classic `/?action=add-passkey&ii=<number>` or the current `/pair#<registration id>`) adds this
device to an identity; `/activate#<registration id>` (a new device's pairing link, opened on a
signed-in device) lets that new device in; anything else is the landing page.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Optional
from urllib.parse import parse_qs

REGISTRATION_ID_LENGTH = 5


class Route(str, Enum):
    LANDING = "landing"
    AUTHORIZE = "authorize"
    DIAGNOSTICS = "diagnostics"
    ADD_DEVICE = "add-device"
    ACTIVATE = "activate"

ACTIVATE_PATH = "/activate"


def activate_url(origin: str, registration_id: str) -> str:
    """The link a new device shows: the signed-in device opens it to let the new one in."""
    return f"{origin}{ACTIVATE_PATH}#{registration_id}"


def activate_link(path: str, fragment: str) -> Optional[str]:
    """The registration id of an `/activate#<id>` link (unchecked: the page says what is wrong)."""
    return fragment.lstrip("#") if path.rstrip("/") == ACTIVATE_PATH else None


@dataclass(frozen=True)
class AddDeviceLink:
    """Where an add-device link points: an identity number (v1) or a registration id (v2)."""

    anchor: Optional[int] = None
    registration_id: Optional[str] = None

    def url(self, origin: str) -> str:
        if self.registration_id is not None:
            return f"{origin}/pair#{self.registration_id}"
        return f"{origin}/?action=add-passkey&ii={self.anchor}"


def valid_registration_id(value: str) -> bool:
    return len(value) == REGISTRATION_ID_LENGTH and value.isascii() and value.isalnum()


def add_device_link(path: str, query: str, fragment: str) -> Optional[AddDeviceLink]:
    """The add-device link in this URL, if it is one (malformed ones are still links: the page
    says what is wrong with them)."""
    if path.rstrip("/") == "/pair":
        return AddDeviceLink(registration_id=fragment.lstrip("#"))
    params = parse_qs(query.lstrip("?"))
    if params.get("action") == ["add-passkey"]:
        number = (params.get("ii") or [""])[0]
        return AddDeviceLink(anchor=int(number) if number.isdigit() and len(number) <= 20 else -1)
    return None


def route_for(path: str, fragment: str, query: str = "") -> Route:
    fragment = fragment.lstrip("#")
    if fragment == "authorize" or path.rstrip("/") == "/authorize":
        return Route.AUTHORIZE
    if fragment == "diagnostics":
        return Route.DIAGNOSTICS
    if add_device_link(path, query, fragment) is not None:
        return Route.ADD_DEVICE
    if activate_link(path, fragment) is not None:
        return Route.ACTIVATE
    return Route.LANDING
