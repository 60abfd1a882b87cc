"""Dummy auth with an index per identity (the II's `DummyAuthConfig.prompt_for_index`).

The current II derives its dummy passkey from a seed index: seed = 32 bytes, the index as a
big-endian u64 in the first 8 and zeros after; the Ed25519 key is made from that seed and the
credential id is the seed itself (`src/frontend/src/lib/utils/discoverableDummyIdentity.ts`).
With `prompt_for_index` it asks for the index with `window.prompt("Enter seed index", "0")`
whenever it makes or uses that passkey, so index 1 is always the same key and, once registered,
the same identity: "user 1" and "user 2" of a dapp's test suite are distinct and stable. We ask
the same way, so a test helper written for the real II (`page.once("dialog", d => d.accept(n))`)
works here unchanged, and read the answer as JavaScript's `BigInt(text)` does, the index being
kept modulo 2**64 as `DataView.setBigUint64` keeps it.
"""

from __future__ import annotations

import re
from typing import Callable, Optional

from app.ui import auth as screens
from app.ui.screen import Screen, Ui

DUMMY_CREDENTIAL_BYTES = 32
MAX_INDEX = 2**64 - 1  # a u64 in the seed's first 8 bytes
PROMPT_TEXT, PROMPT_DEFAULT = "Enter seed index", "0"
MAX_INDEX_TEXT = 200  # characters; a 256-bit number in decimal is 78
# What JavaScript's BigInt(string) accepts: "" (zero), signed decimal, or 0x / 0o / 0b digits.
_BIGINT = re.compile(r"(?:[+-]?[0-9]+)?|0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+", re.ASCII)

Prompt = Callable[[str, str], Optional[str]]  # window.prompt: the text typed, None if cancelled


def credential_id_for_index(index: int) -> bytes:
    """The dummy passkey's credential id (and Ed25519 seed) of `index`."""
    if not 0 <= index <= MAX_INDEX:
        raise ValueError(f"a dummy-auth index is between 0 and {MAX_INDEX}, not {index}")
    return index.to_bytes(8, "big") + bytes(DUMMY_CREDENTIAL_BYTES - 8)


def parse_index(text: str) -> "int | str":
    """The index `text` names, as `BigInt(text)` then `setBigUint64` read it; or why it is none."""
    text = text.strip()
    if len(text) > MAX_INDEX_TEXT:
        return f"An index is a number of at most {MAX_INDEX_TEXT} characters."
    if not _BIGINT.fullmatch(text):
        return f"{text!r} is not a number: type an index such as 0, 1 or 2."
    value = int(text, 0) if text[:2].lower() in ("0x", "0o", "0b") else int(text or "0", 10)
    if value < 0:
        return "Invalid index: an index is not negative."
    return value % 2**64


def prompt_index(prompt: Prompt) -> "int | str | None":
    """One question in the browser's prompt: the index, why the answer is none, or None (cancelled)."""
    answer = prompt(PROMPT_TEXT, PROMPT_DEFAULT)
    return None if answer is None else parse_index(answer)


def refused_screen(purpose: str, message: str) -> Screen:
    return Screen(screens.render_dummy_index(purpose, message), ("retry", "cancel"))


async def ask_index(prompt: Prompt, ui: Ui, purpose: str, refusal: Optional[str] = None) -> Optional[int]:
    """The index typed into the browser's prompt (asked again, after `refusal` is shown, until it
    is one); None: the person cancelled."""
    while True:
        if refusal is not None:
            if (await ui.ask(refused_screen(purpose, refusal))).action == "cancel":
                return None
        parsed = prompt_index(prompt)
        if parsed is None or isinstance(parsed, int):
            return parsed
        refusal = parsed
