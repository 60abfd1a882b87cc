"""Dummy auth with an index per identity (the II's `DummyAuthConfig.prompt_for_index`).

The current II derives its dummy passkey from a seed index: seed = 32 bytes, the index as a
big-endian u64 in the first 8 and zeros after; the Ed25519 key is made from that seed and the
credential id is the seed itself (`src/frontend/src/lib/utils/discoverableDummyIdentity.ts`).
With `prompt_for_index` it asks for the index whenever it makes or uses that passkey, so index 1
is always the same key and, once registered, the same identity: "user 1" and "user 2" of a dapp's
test suite are distinct and stable. We ask on a screen of our own (`#dummyAuthIndexInput`,
`#dummyAuthIndexContinue`) instead of `window.prompt`.
"""

from __future__ import annotations

from typing import Optional

from app.ui import auth as screens
from app.ui.screen import Screen, Ui

DUMMY_CREDENTIAL_BYTES = 32
MAX_INDEX = 2**64 - 1  # a u64 in the seed's first 8 bytes
INDEX_INPUT = "#dummyAuthIndexInput"


def credential_id_for_index(index: int) -> bytes:
    """The dummy passkey's credential id (and Ed25519 seed) of `index`."""
    if not 0 <= index <= MAX_INDEX:
        raise ValueError(f"a dummy-auth index is between 0 and {MAX_INDEX}, not {index}")
    return index.to_bytes(8, "big") + bytes(DUMMY_CREDENTIAL_BYTES - 8)


def parse_index(text: str) -> "int | str":
    """The index typed, or why it is not one."""
    text = text.strip()
    if not text.isdigit():
        return "Type an index: a whole number such as 0, 1 or 2."
    if len(text) > 20 or int(text) > MAX_INDEX:
        return f"The index is at most {MAX_INDEX}."
    return int(text)


def index_screen(purpose: str, value: str = "", message: Optional[str] = None) -> Screen:
    return Screen(screens.render_dummy_index(purpose, value, message), ("continue-index", "cancel"),
                  reads=(INDEX_INPUT,))


async def ask_index(ui: Ui, purpose: str, message: Optional[str] = None) -> Optional[int]:
    """The index the person types (asked again until it is one); None: they cancelled."""
    value = ""
    while True:
        click = await ui.ask(index_screen(purpose, value, message))
        if click.action == "cancel":
            return None
        value = click.text(INDEX_INPUT).strip()
        parsed = parse_index(value)
        if isinstance(parsed, int):
            return parsed
        message = parsed
