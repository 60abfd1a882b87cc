"""What the flows need from the outside world, passed in (ports), so they stay free of `js`.

`app.main` builds an `Env` from `app.browser`; nothing in `app.flows` imports the browser.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Awaitable, Callable, Optional, Protocol

from app.config import AppConfig
from app.passkeys import Assertion, CreationOptions, NewCredential, RequestOptions
from app.ui.screen import Ui

if TYPE_CHECKING:  # imported lazily: the authorize popup answers the dapp before loading them
    from ic.agent import Agent, Identity, Transport

    from app.canister.client import IIClient


class SessionKey(Protocol):
    public_key_der: bytes

    async def sign(self, message: bytes) -> bytes: ...


@dataclass
class Env:
    config: AppConfig
    ui: Ui                                          # the screens the flows show and await (app.ui.screen)
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
    copy_text: Callable[[str], None]                # to the clipboard
    prompt: Callable[[str, str], Optional[str]]     # window.prompt(message, default): None if cancelled
    load_qr: Callable[[], Awaitable[None]]          # makes the vendored QR library importable
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep  # the clock's other half (polling)
    _root_key: Optional[bytes] = field(default=None, repr=False)
    _root_key_lock: Optional[asyncio.Lock] = field(default=None, repr=False)

    async def agent(self, identity: Optional["Identity"] = None) -> "Agent":
        """An agent for `identity`; the replica's root key is fetched once (fetch-root-key mode)."""
        from ic.agent import Agent, AnonymousIdentity

        if self.config.fetch_root_key and self._root_key is None:
            from ic.errors import ICError

            from app.canister.errors import refusal

            probe = Agent(self.transport, fetch_root_key=True, bls_verify=self.bls_verify, clock_ns=self.now_ns)
            try:
                self._root_key = await probe.fetch_root_key()
            except ICError as exc:
                raise refusal(exc) from None
        return Agent(self.transport, identity or AnonymousIdentity(), root_key_der=self._root_key,
                     bls_verify=self.bls_verify, clock_ns=self.now_ns, random=self.random)

    async def ii(self, identity: Optional["Identity"] = None) -> "IIClient":
        from app.canister.client import IIClient

        return IIClient(await self.agent(identity), self.config.canister_id)
