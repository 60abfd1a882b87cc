"""Per-dapp principals and delegations signed with canister signatures (reference section 4).

seed = SHA-256(u8(32) || salt || u8(len A) || A || u8(len F) || F), A = the anchor number in
decimal, F = the frontend origin (at most 255 bytes, else trap). User key = the canister-signature
DER key over (canister id, seed); its self-authenticating principal is what the dapp sees.
A numbered account (`accounts.py`) has its own seed, `calculate_account_seed`.
`prepare_delegation` adds the delegation's hash to the signature map and updates certified data;
`get_delegation` (a query) returns `{delegation, signature}` where the signature is the CBOR
(self-describing tag) map `{certificate, tree}`. TTL: 30 minutes by default, at most 30 days.
"""

from __future__ import annotations

import hashlib

from replica.canisters.internet_identity.signature_map import SignatureMap
from replica.canisters.internet_identity.state import State
from replica.runtime.contract import CallContext, CanisterTrap

MINUTE_NS = 60 * 1_000_000_000
DAY_NS = 24 * 60 * MINUTE_NS
DEFAULT_EXPIRATION_PERIOD_NS = 30 * MINUTE_NS
MAX_EXPIRATION_PERIOD_NS = 30 * DAY_NS
FRONTEND_HOSTNAME_LIMIT = 255
U64_MAX = 2**64 - 1

SALT_META_KEY = "ii.salt"


def check_frontend_length(frontend: str) -> None:
    n = len(frontend.encode())
    if n > FRONTEND_HOSTNAME_LIMIT:
        raise CanisterTrap(
            f"frontend hostname {n} exceeds the limit of {FRONTEND_HOSTNAME_LIMIT} bytes"
        )


def calculate_seed(salt: bytes, anchor_number: int, frontend: str) -> bytes:
    anchor = str(anchor_number).encode()
    origin = frontend.encode()
    blob = bytes([len(salt)]) + salt + bytes([len(anchor)]) + anchor + bytes([len(origin)]) + origin
    return hashlib.sha256(blob).digest()


ACCOUNT_SEED_PREFIX = b"<account>"


def calculate_account_seed(salt: bytes, account_number: int, frontend: str) -> bytes:
    """The seed of a numbered account (not tied to an anchor): SHA-256(u8(32) || salt ||
    u8(9) || "<account>" || u8(len N) || N || u8(len F) || F), N the account number in decimal."""
    number = str(account_number).encode()
    origin = frontend.encode()
    blob = (bytes([len(salt)]) + salt + bytes([len(ACCOUNT_SEED_PREFIX)]) + ACCOUNT_SEED_PREFIX
            + bytes([len(number)]) + number + bytes([len(origin)]) + origin)
    return hashlib.sha256(blob).digest()


def user_key(canister_id, seed: bytes) -> bytes:
    from ic.keys import CanisterSigPublicKey

    return CanisterSigPublicKey(canister_id, seed).to_der()


def signature_labels(seed: bytes, session_key: bytes, expiration: int) -> tuple[bytes, bytes]:
    """(SHA-256(seed), SHA-256(payload)): the entry's labels under "sig", where the payload is
    `\\x1Aic-request-auth-delegation || hash({pubkey, expiration})` (II sets no targets)."""
    from ic.canister_sig import signature_path
    from ic.delegation import Delegation, delegation_payload

    payload = delegation_payload(Delegation(pubkey=session_key, expiration=expiration, targets=None))
    _, seed_hash, msg_hash = signature_path(seed, payload)
    return seed_hash, msg_hash


class Delegations:
    def __init__(self, state: State) -> None:
        self.state = state
        self.sigs = SignatureMap()
        self._salt: bytes | None = state.storage.get_meta(SALT_META_KEY)

    # --- salt ----------------------------------------------------------------------------------

    def init_salt(self) -> None:
        if self._salt is not None:
            raise CanisterTrap("Salt already set")
        self.ensure_salt()

    def ensure_salt(self) -> bytes:
        """Set the salt from the randomness port on first need; it never changes afterwards."""
        if self._salt is None:
            salt = self.state.random(32)
            if len(salt) != 32:
                raise CanisterTrap(f"expected 32 bytes of randomness for the salt, got {len(salt)}")
            self.state.storage.set_meta_if_absent(SALT_META_KEY, salt)
            self._salt = self.state.storage.get_meta(SALT_META_KEY)
        return self._salt

    def salt_for_query(self) -> bytes:
        # Registration sets the salt, so it is set whenever an anchor exists.
        if self._salt is None:
            raise CanisterTrap("Salt is not set. Try calling init_salt() to set it")
        return self._salt

    # --- principals ----------------------------------------------------------------------------

    def seed(self, anchor_number: int, frontend: str, *, query: bool) -> bytes:
        salt = self.salt_for_query() if query else self.ensure_salt()
        return calculate_seed(salt, anchor_number, frontend)

    def get_principal(self, ctx: CallContext, anchor_number: int, frontend: str):
        from ic.principal import Principal

        check_frontend_length(frontend)
        seed = self.seed(anchor_number, frontend, query=ctx.is_query)
        return Principal.self_authenticating(user_key(ctx.canister_id, seed))

    # --- delegations ---------------------------------------------------------------------------

    def prepare(
        self, ctx: CallContext, anchor_number: int, frontend: str, session_key: bytes,
        max_ttl: int | None,
    ) -> tuple[bytes, int]:
        check_frontend_length(frontend)
        seed = self.seed(anchor_number, frontend, query=False)
        return self.prepare_for_seed(ctx, seed, session_key, max_ttl)

    def prepare_for_seed(
        self, ctx: CallContext, seed: bytes, session_key: bytes, max_ttl: int | None
    ) -> tuple[bytes, int]:
        """Sign a delegation to `session_key` for the user key of `seed`: (user key, expiration)."""
        ttl = min(DEFAULT_EXPIRATION_PERIOD_NS if max_ttl is None else max_ttl, MAX_EXPIRATION_PERIOD_NS)
        expiration = min(ctx.time_ns + ttl, U64_MAX)
        self.sigs.add(*signature_labels(seed, session_key, expiration), ctx.time_ns)
        ctx.set_certified_data(self.sigs.certified_data())
        self.state.counters.delegations += 1
        return user_key(ctx.canister_id, seed), expiration

    def get(
        self, ctx: CallContext, anchor_number: int, frontend: str, session_key: bytes, expiration: int
    ) -> dict:
        check_frontend_length(frontend)
        seed = self.seed(anchor_number, frontend, query=True)
        signed = self.get_for_seed(ctx, seed, session_key, expiration)
        return {"no_such_delegation": None} if signed is None else {"signed_delegation": signed}

    def get_for_seed(self, ctx: CallContext, seed: bytes, session_key: bytes, expiration: int) -> dict | None:
        """The `SignedDelegation` prepared for `seed`, or None if there is none (or it expired)."""
        seed_hash, msg_hash = signature_labels(seed, session_key, expiration)
        sig_expiration = self.sigs.expiration(seed_hash, msg_hash)
        if sig_expiration is None or sig_expiration <= ctx.time_ns:
            return None
        certificate = ctx.data_certificate()
        if certificate is None:
            raise CanisterTrap(
                "get_delegation needs a data certificate: it must be called as a query"
            )
        tree = self.sigs.witness(seed_hash, msg_hash)
        from ic import cbor

        signature = cbor.encode({"certificate": certificate, "tree": tree})  # tag 55799 in front
        return {
            "delegation": {"pubkey": session_key, "expiration": expiration, "targets": None},
            "signature": signature,
        }
