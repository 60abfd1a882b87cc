"""The canister's side of an e2e test: what the II canister holds after a step, read over real HTTP
with `ic.agent` (verified certificates), not from the screen.

- `credentials(server, anchor)`: the public part (anyone may ask): passkeys, recovery devices and
  recovery phrase keys.
- `anchor_info(server, anchor, identity)`: everything (aliases, protection, the add-device window);
  it needs one of the identity's keys. In the dev flavor a dummy-auth key is derivable from its
  credential id (`dummy_identity`); a recovery phrase's key from the phrase.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

from ic.agent import Agent, AnonymousIdentity, Ed25519Identity, Identity, UrllibTransport

from app.canister.client import IIClient
from app.canister.devices import AnchorInfo
from tests.e2e.conftest import II_CANISTER_ID, Server

DUMMY_CREDENTIAL_BYTES = 32


def b64(text: str) -> bytes:
    """Bytes of a CDP base64 field (credential ids of the virtual authenticator)."""
    import base64

    return base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_" if "-" in text or "_" in text else None)


def run(coroutine):
    """Runs `coroutine` to completion on a thread of its own: Playwright's sync API keeps an event
    loop running on the test's thread, where `asyncio.run` is not allowed."""
    with ThreadPoolExecutor(max_workers=1) as worker:
        return worker.submit(asyncio.run, coroutine).result()


def client(server: Server, identity: Identity | None = None) -> IIClient:
    agent = Agent(UrllibTransport(f"http://localhost:{server.port}"), identity or AnonymousIdentity(),
                  fetch_root_key=True)
    return IIClient(agent, II_CANISTER_ID)


def credentials(server: Server, anchor: int) -> dict:
    """`get_anchor_credentials`: {credentials, recovery_credentials, recovery_phrases}."""
    return run(client(server).actor.call("get_anchor_credentials", anchor))


def anchor_info(server: Server, anchor: int, identity: Identity) -> AnchorInfo:
    return run(client(server, identity).anchor_info(anchor))


def dummy_identity(server: Server, anchor: int) -> Ed25519Identity:
    """A dummy-auth device key of `anchor` (dev flavor: the credential id is the Ed25519 seed)."""
    for credential in credentials(server, anchor)["credentials"]:
        seed = bytes(credential["credential_id"])
        if len(seed) == DUMMY_CREDENTIAL_BYTES:
            identity = Ed25519Identity.from_seed(seed)
            if identity.public_key_der() == bytes(credential["pubkey"]):
                return identity
    raise AssertionError(f"identity {anchor} has no dummy-auth device")


def root_key(server: Server) -> bytes:
    """The replica's root key (DER), as a dapp with `shouldFetchRootKey` gets it."""
    agent = Agent(UrllibTransport(f"http://localhost:{server.port}"), AnonymousIdentity(), fetch_root_key=True)
    return run(agent.fetch_root_key())
