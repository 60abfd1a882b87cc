"""What the flows need from the outside world, passed in (ports), so they stay free of `js`.

`app.main` builds an `Env` from `app.browser`; nothing in `app.flows` imports the browser.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable, Optional, Protocol

from typing import TYPE_CHECKING

from app.config import AppConfig
from app.passkeys import Assertion, CreationOptions, NewCredential, RequestOptions

if TYPE_CHECKING:  # imported lazily: the authorize popup answers the dapp before loading them
    from ic.agent import Agent, Identity, Transport

    from app.canister.client import IIClient

Handlers = dict[str, Callable[[Any], None]]


class SessionKey(Protocol):
    public_key_der: bytes

    async def sign(self, message: bytes) -> bytes: ...


@dataclass
class Env:
    config: AppConfig
    show: Callable[[str, Handlers], None]          # render a screen with its click handlers
    spawn: Callable[[Awaitable[Any]], None]         # run a coroutine in the background
    transport: "Transport"
    bls_verify: Callable[[bytes, bytes, bytes], bool]
    new_session_key: Callable[[], Awaitable[SessionKey]]
    start_create: Callable[[CreationOptions], Awaitable[NewCredential]]
    start_get: Callable[[RequestOptions], Awaitable[Assertion]]
    random: Callable[[int], bytes]
    now_ns: Callable[[], int]
    rp_id: str
    origin: str
    load: Callable[[str], Optional[str]]
    save: Callable[[str, str], None]
    input_value: Callable[[str], str]               # the value of an <input> by CSS selector
    is_checked: Callable[[str], bool]               # whether a checkbox by CSS selector is ticked
    copy_text: Callable[[str], None]                # to the clipboard
    set_text: Callable[[str, str], None]            # update one element's text (a countdown)
    load_qr: Callable[[], Awaitable[None]]          # makes the vendored QR library importable
    _root_key: Optional[bytes] = field(default=None, repr=False)
    _root_key_lock: Optional[asyncio.Lock] = field(default=None, repr=False)

    async def agent(self, identity: Optional["Identity"] = None) -> "Agent":
        """An agent for `identity`; the replica's root key is fetched once (fetch-root-key mode)."""
        from ic.agent import Agent, AnonymousIdentity

        if self.config.fetch_root_key and self._root_key is None:
            probe = Agent(self.transport, fetch_root_key=True, bls_verify=self.bls_verify, clock_ns=self.now_ns)
            self._root_key = await probe.fetch_root_key()
        return Agent(self.transport, identity or AnonymousIdentity(), root_key_der=self._root_key,
                     bls_verify=self.bls_verify, clock_ns=self.now_ns, random=self.random)

    async def ii(self, identity: Optional["Identity"] = None) -> "IIClient":
        from app.canister.client import IIClient

        return IIClient(await self.agent(identity), self.config.canister_id)
