"""Pure-Python wheels the page loads on demand (not at start-up): unpacked onto `sys.path`."""

from __future__ import annotations

import importlib

import js
from pyodide_js import unpackArchive

from app.errors import AppError

_loaded: set[str] = set()


class WheelError(AppError):
    """A wheel the page needs could not be fetched."""


async def load_wheel(url: str) -> None:
    """Fetch and unpack the wheel at `url` (same origin) once; later calls return at once."""
    if url in _loaded:
        return
    response = await js.fetch(url)
    if not response.ok:
        raise WheelError(f"Could not load {url} (HTTP {response.status})")
    unpackArchive(await response.arrayBuffer(), "wheel")  # into site-packages
    importlib.invalidate_caches()
    _loaded.add(url)
