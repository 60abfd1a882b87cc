"""The page's address and the configuration the replica put on it."""

from __future__ import annotations

from typing import Callable

import js
from pyodide.ffi import create_proxy, jsnull

from app.config import AppConfig, parse_page_config


def read_config() -> AppConfig:
    tag = js.document.querySelector("script[type=py][data-canister-id]")
    if not tag:
        return parse_page_config(None, None)
    return parse_page_config(tag.getAttribute("data-canister-id"), tag.getAttribute("data-canister-config"))


def path() -> str:
    return str(js.location.pathname)


def query() -> str:
    return str(js.location.search)


def replace_url(url: str) -> None:
    """Changes the address bar without loading (an add-device link, once used, leaves it)."""
    js.history.replaceState(None, "", url)


def fragment() -> str:
    return str(js.location.hash)


def hostname() -> str:
    return str(js.location.hostname)


def origin() -> str:
    return str(js.location.origin)


def on_fragment_change(callback: Callable[[], None]) -> None:
    js.window.addEventListener("hashchange", create_proxy(lambda _event: callback()))


def set_fragment(value: str) -> None:
    js.location.hash = value


def browser_facts() -> dict[str, str]:
    """What the browser says about itself, for the diagnostics screen."""
    navigator = js.navigator
    return {
        "User agent": str(navigator.userAgent),
        "Secure context": "yes" if js.window.isSecureContext else "no",
        "WebAuthn": "available" if getattr(js.window, "PublicKeyCredential", None) else "missing",
        "WebCrypto": "available" if getattr(js.window.crypto, "subtle", None) else "missing",
    }


def random_bytes(count: int) -> bytes:
    array = js.Uint8Array.new(count)
    js.crypto.getRandomValues(array)
    return bytes(array.to_py())


def now_ns() -> int:
    """The browser's clock, in nanoseconds since the epoch (millisecond resolution)."""
    return int(js.Date.now()) * 1_000_000


def copy_text(value: str) -> None:
    """Puts `value` on the clipboard (inside a click: the browser asks for a user gesture)."""
    clipboard = getattr(js.navigator, "clipboard", None)
    if clipboard:
        clipboard.writeText(value)


def prompt(message: str, default: str) -> "str | None":
    """`window.prompt`: the text typed, or None when the person cancels (or the browser blocks it)."""
    answer = js.window.prompt(message, default)
    return None if answer is None or answer is jsnull else str(answer)  # JS null arrives as `jsnull`
