"""The small storage interface behind the II canister (SQLite now, PostgreSQL later).

The canister owns the meaning of an anchor; storage keeps opaque anchor records plus the three
indexes the canister needs in O(log n): device public key -> anchor, WebAuthn credential id ->
anchor, and recovery-phrase principal -> anchor (`lookup_caller_identity_by_recovery_phrase`).
It also keeps the anchors' accounts per app (`AccountRow`, "multiple accounts"): rows in the
order the real II lists them, numbered from one counter shared by all anchors.
The canister computes every index key (`AnchorRecord`); storage only keeps them in step with the
record. Every write method is one transaction that is durable when it returns.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ContextManager, Protocol


class StorageError(Exception):
    """A storage failure (I/O, constraint violation) that the canister turns into a trap."""


class IncompatibleStorageError(StorageError):
    """The database was written by an incompatible layout or version; it was left untouched."""


@dataclass(frozen=True)
class AnchorRecord:
    """One anchor as storage sees it: the canister's encoded anchor plus its index keys."""

    number: int
    data: bytes
    device_keys: tuple[bytes, ...] = ()
    credential_ids: tuple[bytes, ...] = ()
    # Raw self-authenticating principals of the anchor's recovery-phrase devices.
    recovery_phrase_principals: tuple[bytes, ...] = ()


@dataclass(frozen=True)
class AccountRow:
    """One of an anchor's accounts for one origin. `number` None is the unreserved default
    account (a row for it exists once another account was created); `seed_anchor` is set on a
    default account that was reserved (renamed), whose principal stays the anchor's classic one."""

    number: int | None
    name: str | None = None
    seed_anchor: int | None = None
    last_used: int | None = None


# An ingress-history row: request id, sender, effective canister id, expiry (ns), status, reply
# (None once pruned), reject code, reject message, error code.
IngressRow = tuple[bytes, bytes, bytes, int, str, "bytes | None", int, str, str]


class Storage(Protocol):
    """What the II canister needs from a database."""

    schema_version: int

    def get_meta(self, key: str) -> bytes | None:
        """A persisted canister-wide value (salt, configuration), or None."""

    def set_meta(self, key: str, value: bytes) -> None:
        """Persist a canister-wide value (durable on return)."""

    def set_meta_if_absent(self, key: str, value: bytes) -> bool:
        """Persist `value` only if `key` is unset; True if it was written."""

    def create_anchor(self, range_lo: int, range_hi: int, make: "AnchorFactory") -> AnchorRecord | None:
        """Allocate the next free number in [range_lo, range_hi) and store `make(number)`.

        Returns None if the range is exhausted. `make` may raise to abort the allocation; nothing
        is written then.
        """

    def read_anchor(self, number: int) -> AnchorRecord | None:
        """The anchor with this number, or None."""

    def write_anchor(self, record: AnchorRecord) -> None:
        """Replace an existing anchor and its index entries (durable on return)."""

    def anchor_with_device_key(self, pubkey: bytes) -> int | None:
        """The anchor holding a device with this public key, or None."""

    def anchor_with_credential_id(self, credential_id: bytes) -> int | None:
        """The anchor holding a device with this WebAuthn credential id, or None."""

    def anchor_with_recovery_phrase_principal(self, principal: bytes) -> int | None:
        """The lowest-numbered anchor whose recovery phrase has this (raw) principal, or None."""

    def anchor_count(self) -> int:
        """How many anchors exist."""

    def account_rows(self, anchor: int, origin: str) -> list[AccountRow]:
        """The anchor's accounts for `origin` in list order; [] when none is stored."""

    def anchor_account_count(self, anchor: int) -> int:
        """How many numbered accounts the anchor has, over all origins."""

    def insert_account(self, anchor: int, origin: str, name: str, *, reserve_default: bool) -> int:
        """Allocate the next account number (one counter for all anchors) and store the account.

        reserve_default=False appends it (after a row for the default account when the list is
        empty); True turns the default row into it, or makes it the list's only row, with
        `seed_anchor = anchor`, and makes it the origin's default account (`default_account`).
        """

    def rename_account(self, anchor: int, origin: str, number: int, name: str) -> bool:
        """Rename a numbered account of the anchor for origin; False if there is none."""

    def set_account_last_used(self, anchor: int, origin: str, number: int | None, now_ns: int) -> None:
        """Record a sign-in with that account row (nothing if the row is not stored)."""

    def default_account(self, anchor: int, origin: str) -> int | None:
        """The account number chosen as default for origin, or None (the unreserved one)."""

    def set_default_account(self, anchor: int, origin: str, number: int | None) -> None:
        """Choose the default account for origin (None: the unreserved default account)."""

    def transaction(self) -> ContextManager[object]:
        """One durable transaction; writes made inside it (by any method above) join it."""

    def save_ingress(self, row: IngressRow) -> None:
        """Record an executed call (or replace its record)."""

    def prune_ingress_replies(self, request_ids: list[bytes]) -> None:
        """Forget the replies of these calls (status becomes "done"); the ids stay."""

    def load_ingress(self, now_ns: int, limit: int) -> list[IngressRow]:
        """The newest `limit` records whose expiry is not past, oldest first."""

    def purge_ingress(self, now_ns: int) -> int:
        """Delete the records whose expiry is past; how many were deleted."""

    def close(self) -> None:
        """Release the database."""


class AnchorFactory(Protocol):
    def __call__(self, number: int) -> AnchorRecord: ...
