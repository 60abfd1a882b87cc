"""Delegation chains (interface spec "Authentication", ic-interface-facts §4.6; authclient-facts §4, §6).

- `Delegation`, `SignedDelegation`, `DelegationChain`: frozen values, parsed once at the edge;
- `delegation_hash` (representation-independent hash of {pubkey, expiration, targets?}) and
  `delegation_payload` (`\\x1Aic-request-auth-delegation` ‖ hash), the bytes every link signs;
- JSON both ways: `@dfinity/identity` `DelegationChain.toJSON()` (hex) and ICRC-34 (base64,
  decimal expiration, text targets); `parse_chain_json` accepts either;
- `check_links`: the replica's chain rules in its order, over any links, signatures through a
  callback, failures as `DelegationError` subclasses carrying the facts (the replica words them);
- `verify_chain`: `check_links` with `ic.keys` signatures, returning the authenticated principal.

Run `python -m ic.delegation CHAIN.json --root-key HEX [--session-key HEX] [--now-ns N]` to check a
chain from the command line (see `main`).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass
from typing import Any, Callable, Optional, Sequence

from ic.errors import DelegationError, ICError
from ic.keys.public_key import PublicKey, parse_der
from ic.keys.verify import VerifyContext
from ic.signatures import verify_signature
from ic.principal import Principal
from ic.request_id import DOMAIN_DELEGATION, hash_of_map

DELEGATION_DOMAIN = DOMAIN_DELEGATION  # b"\x1aic-request-auth-delegation"
MAX_DELEGATIONS = 20
MAX_TARGETS = 1000
MAX_U64 = 2**64 - 1


@dataclass(frozen=True)
class Delegation:
    """`{pubkey, expiration, targets?}`: `pubkey` (DER) may sign until `expiration` (ns since epoch)."""

    pubkey: bytes
    expiration: int
    targets: Optional[tuple[Principal, ...]] = None

    def __post_init__(self) -> None:
        if not isinstance(self.pubkey, bytes):
            raise DelegationError(f"delegation pubkey: expected bytes, found {type(self.pubkey).__name__}")
        if isinstance(self.expiration, bool) or not isinstance(self.expiration, int):
            raise DelegationError(f"delegation expiration: expected an integer, found {type(self.expiration).__name__}")
        if not 0 <= self.expiration <= MAX_U64:
            raise DelegationError(f"delegation expiration: {self.expiration} is not a 64-bit unsigned integer")
        if self.targets is not None:
            if not isinstance(self.targets, tuple) or not all(isinstance(t, Principal) for t in self.targets):
                raise DelegationError("delegation targets: expected a tuple of Principal values or None")

    def to_map(self) -> dict[str, Any]:
        """The CBOR/hash form: targets omitted when absent, principals as bytes."""
        value: dict[str, Any] = {"pubkey": self.pubkey, "expiration": self.expiration}
        if self.targets is not None:
            value["targets"] = [target.raw for target in self.targets]
        return value


@dataclass(frozen=True)
class SignedDelegation:
    delegation: Delegation
    signature: bytes

    def __post_init__(self) -> None:
        if not isinstance(self.delegation, Delegation):
            raise DelegationError(f"signed delegation: expected a Delegation, found {type(self.delegation).__name__}")
        if not isinstance(self.signature, bytes):
            raise DelegationError(f"signed delegation: signature must be bytes, found {type(self.signature).__name__}")


@dataclass(frozen=True)
class DelegationChain:
    """Links from `public_key` (the identity, e.g. II's canister-signature key) to a session key."""

    delegations: tuple[SignedDelegation, ...]
    public_key: bytes

    def __post_init__(self) -> None:
        if not isinstance(self.delegations, tuple) or not all(
            isinstance(link, SignedDelegation) for link in self.delegations
        ):
            raise DelegationError("delegation chain: delegations must be a tuple of SignedDelegation")
        if not isinstance(self.public_key, bytes):
            raise DelegationError(f"delegation chain: public_key must be bytes, found {type(self.public_key).__name__}")

    def principal(self) -> Principal:
        """The principal the chain speaks for: self-authenticating of `public_key`."""
        return Principal.self_authenticating(self.public_key)

    def expiration(self) -> Optional[int]:
        """The earliest expiration of any link (None for an empty chain)."""
        return min((link.delegation.expiration for link in self.delegations), default=None)


def delegation_hash(delegation: Delegation) -> bytes:
    """Representation-independent hash of the delegation map (ic-interface-facts §3)."""
    return hash_of_map(delegation.to_map(), where="delegation")


def delegation_payload(delegation: Delegation) -> bytes:
    """What a link's signature covers: `\\x1Aic-request-auth-delegation` ‖ delegation_hash."""
    return DELEGATION_DOMAIN + delegation_hash(delegation)


def sign_delegation(delegation: Delegation, sign: Callable[[bytes], bytes]) -> SignedDelegation:
    """Sign with any signer that takes the payload bytes (WebCrypto, `cryptography`, a passkey...)."""
    return SignedDelegation(delegation, bytes(sign(delegation_payload(delegation))))


# --- CBOR form (envelopes: sender_delegation) ---------------------------------------------------


def encode_sender_delegation(delegations: tuple[SignedDelegation, ...]) -> list[dict[str, Any]]:
    """The `sender_delegation` array of a request envelope."""
    return [{"delegation": link.delegation.to_map(), "signature": link.signature} for link in delegations]


def parse_sender_delegation(value: Any) -> tuple[SignedDelegation, ...]:
    """Decoded CBOR `sender_delegation` (or a legacy postMessage `delegations` list with bytes)."""
    if not isinstance(value, (list, tuple)):
        raise DelegationError(f"sender_delegation: expected an array, found {type(value).__name__}")
    links = []
    for i, item in enumerate(value):
        where = f"sender_delegation[{i}]"
        if not isinstance(item, dict):
            raise DelegationError(f"{where}: expected a map, found {type(item).__name__}")
        inner = item.get("delegation")
        if not isinstance(inner, dict):
            raise DelegationError(f"{where}.delegation: expected a map, found {type(inner).__name__}")
        targets = inner.get("targets")
        if targets is not None:
            if not isinstance(targets, (list, tuple)) or not all(isinstance(t, bytes) for t in targets):
                raise DelegationError(f"{where}.delegation.targets: expected an array of principal bytes")
            targets = tuple(_principal_from_bytes(t, f"{where}.delegation.targets") for t in targets)
        pubkey = _require(inner, "pubkey", bytes, f"{where}.delegation")
        expiration = _require(inner, "expiration", int, f"{where}.delegation")
        signature = _require(item, "signature", bytes, where)
        links.append(SignedDelegation(Delegation(pubkey, expiration, targets), signature))
    return tuple(links)


def _require(obj: dict, name: str, kind: type, where: str) -> Any:
    value = obj.get(name)
    if value is None:
        raise DelegationError(f"{where}: field '{name}' is missing")
    if not isinstance(value, kind) or isinstance(value, bool):
        raise DelegationError(f"{where}.{name}: expected {kind.__name__}, found {type(value).__name__}")
    return value


def _principal_from_bytes(raw: bytes, where: str) -> Principal:
    try:
        return Principal.from_bytes(raw)
    except ICError as exc:
        raise DelegationError(f"{where}: {exc}") from None


# --- JSON forms ------------------------------------------------------------------------------

_HEX = re.compile(r"(?:[0-9a-fA-F]{2})*")
_HEX_NUMBER = re.compile(r"[0-9a-fA-F]{1,16}")
_DECIMAL = re.compile(r"[0-9]{1,20}")


def _hex(value: Any, where: str) -> bytes:
    if not isinstance(value, str) or not _HEX.fullmatch(value):
        raise DelegationError(f"{where}: expected an even-length hex string, found {str(value)[:80]!r}")
    return bytes.fromhex(value)


def _base64(value: Any, where: str) -> bytes:
    if not isinstance(value, str):
        raise DelegationError(f"{where}: expected a base64 string, found {type(value).__name__}")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise DelegationError(f"{where}: not valid base64: {value[:80]!r}") from None


def _field(obj: Any, name: str, where: str) -> Any:
    if not isinstance(obj, dict):
        raise DelegationError(f"{where}: expected a JSON object, found {type(obj).__name__}")
    if name not in obj:
        raise DelegationError(f"{where}: field '{name}' is missing")
    return obj[name]


def encode_chain_json(chain: DelegationChain) -> dict[str, Any]:
    """`@dfinity/identity` `DelegationChain.toJSON()`: hex bytes, expiration in hex, targets in hex."""
    links = []
    for link in chain.delegations:
        inner: dict[str, Any] = {"expiration": format(link.delegation.expiration, "x"), "pubkey": link.delegation.pubkey.hex()}
        if link.delegation.targets is not None:
            inner["targets"] = [target.raw.hex().upper() for target in link.delegation.targets]
        links.append({"delegation": inner, "signature": link.signature.hex()})
    return {"delegations": links, "publicKey": chain.public_key.hex()}


def encode_chain_icrc34(chain: DelegationChain) -> dict[str, Any]:
    """ICRC-34 result: base64 bytes, decimal-string expiration, text targets."""

    def b64(data: bytes) -> str:
        return base64.b64encode(data).decode("ascii")

    links = []
    for link in chain.delegations:
        inner: dict[str, Any] = {"pubkey": b64(link.delegation.pubkey), "expiration": str(link.delegation.expiration)}
        if link.delegation.targets is not None:
            inner["targets"] = [target.to_text() for target in link.delegation.targets]
        links.append({"delegation": inner, "signature": b64(link.signature)})
    return {"publicKey": b64(chain.public_key), "signerDelegation": links}


def _parse_links(
    items: Any,
    where: str,
    blob: Callable[[Any, str], bytes],
    expiration: Callable[[Any, str], int],
    target: Callable[[Any, str], Principal],
) -> tuple[SignedDelegation, ...]:
    """The links of either JSON form; the three callables read one form's bytes, numbers, targets."""
    if not isinstance(items, list):
        raise DelegationError(f"{where}: expected an array, found {type(items).__name__}")
    links = []
    for i, item in enumerate(items):
        at = f"{where}[{i}]"
        inner = _field(item, "delegation", at)
        at_inner = f"{at}.delegation"
        targets = inner.get("targets") if isinstance(inner, dict) else None
        if targets is not None:
            if not isinstance(targets, list):
                raise DelegationError(f"{at_inner}.targets: expected an array, found {type(targets).__name__}")
            targets = tuple(target(t, f"{at_inner}.targets[{j}]") for j, t in enumerate(targets))
        delegation = Delegation(
            blob(_field(inner, "pubkey", at_inner), f"{at_inner}.pubkey"),
            expiration(_field(inner, "expiration", at_inner), f"{at_inner}.expiration"),
            targets,
        )
        links.append(SignedDelegation(delegation, blob(_field(item, "signature", at), f"{at}.signature")))
    return tuple(links)


def _hex_expiration(value: Any, where: str) -> int:
    if not isinstance(value, str) or not _HEX_NUMBER.fullmatch(value):
        raise DelegationError(f"{where}: expected the expiration as a hex string (agent-js toJSON), found {value!r:.40}")
    return int(value, 16)


def _decimal_expiration(value: Any, where: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if not isinstance(value, str) or not _DECIMAL.fullmatch(value):
        raise DelegationError(f"{where}: expected the expiration as a decimal string (ICRC-34), found {value!r:.40}")
    return int(value)


def _hex_target(value: Any, where: str) -> Principal:
    return _principal_from_bytes(_hex(value, where), where)


def _text_target(value: Any, where: str) -> Principal:
    if not isinstance(value, str):
        raise DelegationError(f"{where}: expected principal text, found {type(value).__name__}")
    try:
        return Principal.from_text(value)
    except ICError as exc:
        raise DelegationError(f"{where}: {exc}") from None


def parse_chain_json(value: str | bytes | dict) -> DelegationChain:
    """A chain from either JSON form: `{delegations, publicKey}` (hex) or ICRC-34 `{publicKey, signerDelegation}`."""
    if isinstance(value, (str, bytes)):
        try:
            value = json.loads(value)
        except ValueError as exc:
            raise DelegationError(f"delegation chain: not valid JSON: {exc}") from None
    if not isinstance(value, dict):
        raise DelegationError(f"delegation chain: expected a JSON object, found {type(value).__name__}")
    if "signerDelegation" in value:
        links = _parse_links(value["signerDelegation"], "signerDelegation", _base64, _decimal_expiration, _text_target)
        return DelegationChain(links, _base64(_field(value, "publicKey", "ICRC-34 chain"), "publicKey"))
    if "delegations" in value:
        links = _parse_links(value["delegations"], "delegations", _hex, _hex_expiration, _hex_target)
        return DelegationChain(links, _hex(_field(value, "publicKey", "delegation chain"), "publicKey"))
    raise DelegationError(
        "delegation chain: expected 'delegations' (@dfinity/identity JSON) or 'signerDelegation' (ICRC-34), "
        f"found keys {sorted(value)[:10]}"
    )


# --- verification ----------------------------------------------------------------------------


class ChainTooLong(DelegationError):
    """More than `MAX_DELEGATIONS` links."""

    def __init__(self, count: int):
        self.count = count
        super().__init__(f"delegation chain is too long: {count} delegations, at most {MAX_DELEGATIONS} are allowed")


class LinkExpired(DelegationError):
    """Link `index` expired before `now` (both in ns since the epoch)."""

    def __init__(self, index: int, expiration: int, now: int):
        self.index, self.expiration, self.now = index, expiration, now
        super().__init__(f"delegation {index} expired: expiration {expiration} ns is before now ({now} ns)")


class RepeatedKey(DelegationError):
    """Link `index` delegates to `pubkey`, a key already in the chain (the chain key or an earlier link's)."""

    def __init__(self, index: int, pubkey: bytes):
        self.index, self.pubkey = index, pubkey
        super().__init__(f"delegation {index} repeats a public key already in the chain (a cycle): {pubkey.hex()}")


class TooManyTargets(DelegationError):
    """Link `index` lists `count` targets, more than `MAX_TARGETS`."""

    def __init__(self, index: int, count: int):
        self.index, self.count = index, count
        super().__init__(f"delegation {index} has {count} targets, at most {MAX_TARGETS} are allowed")


class LinkSignatureInvalid(DelegationError):
    """Link `index` is not signed by the previous key (the chain key for link 0); `reason` says why."""

    def __init__(self, index: int, reason: str):
        self.index, self.reason = index, reason
        who = "the chain public key" if index == 0 else f"the pubkey of delegation {index - 1}"
        super().__init__(f"delegation {index}: signature by {who} does not verify: {reason}")


def check_links(
    public_key: bytes,
    links: Sequence[Any],
    *,
    now_ns: int,
    verify_link: Callable[[int, bytes, Any], None],
) -> Optional[frozenset]:
    """The replica's delegation rules, in its order (ic-interface-facts §4.6); returns the targets.

    `links` are anything with `.delegation.pubkey`, `.delegation.expiration`, `.delegation.targets`
    and `.signature` (this module's `SignedDelegation`, the replica's parsed envelope). The rules:
    at most 20 links, none expired at `now_ns`, no public key twice (starting with `public_key`),
    at most 1000 targets per link, then link i signed by the key before it:
    `verify_link(i, signer, link)` raises `ValueError` with the reason when it is not (a
    `DelegationError` it raises passes through as is). The first broken rule raises its
    `DelegationError` subclass above. An empty chain passes. Returns the intersection of every
    link's targets, or None when no link restricts them.
    """
    if len(links) > MAX_DELEGATIONS:
        raise ChainTooLong(len(links))
    for i, link in enumerate(links):
        if link.delegation.expiration < now_ns:
            raise LinkExpired(i, link.delegation.expiration, now_ns)
    seen = {public_key}
    for i, link in enumerate(links):
        if link.delegation.pubkey in seen:
            raise RepeatedKey(i, link.delegation.pubkey)
        seen.add(link.delegation.pubkey)
    for i, link in enumerate(links):
        if link.delegation.targets is not None and len(link.delegation.targets) > MAX_TARGETS:
            raise TooManyTargets(i, len(link.delegation.targets))
    targets: Optional[frozenset] = None
    signer = public_key
    for i, link in enumerate(links):
        try:
            verify_link(i, signer, link)
        except DelegationError:
            raise
        except ValueError as exc:
            raise LinkSignatureInvalid(i, str(exc)) from None
        if link.delegation.targets is not None:
            these = frozenset(link.delegation.targets)
            targets = these if targets is None else targets & these
        signer = link.delegation.pubkey
    return targets


def _parse_key(der: bytes, what: str) -> PublicKey:
    try:
        return parse_der(der)
    except ICError as exc:
        raise DelegationError(f"{what}: {exc}") from None


def verify_chain(
    chain: DelegationChain,
    *,
    ctx: VerifyContext,
    now_ns: int,
    session_public_key: bytes | None = None,
    expected_target: Principal | None = None,
) -> Principal:
    """Check every link as the replica does (`check_links`) and return the principal.

    Beyond the replica: the chain must have at least 1 link, and every key must be readable
    (`chain.public_key` before link 0's signature is checked, each link's pubkey after its own).
    Signatures are checked with `ic.keys` (canister signatures through `ic.canister_sig` with
    `ctx`). Then `expected_target` must be within the intersection of all targets, and
    `session_public_key` equal to the last pubkey. Without `session_public_key` the caller must
    itself check a signature by `chain.delegations[-1].delegation.pubkey`.
    """
    links = chain.delegations
    if not links:
        raise DelegationError("delegation chain is empty: expected at least 1 delegation")

    def verify_link(i: int, signer: bytes, link: SignedDelegation) -> None:
        key = _parse_key(signer, "chain public key" if i == 0 else f"delegation {i - 1}: pubkey")
        verify_signature(key, delegation_payload(link.delegation), link.signature, ctx=ctx)
        _parse_key(link.delegation.pubkey, f"delegation {i}: pubkey")

    targets = check_links(chain.public_key, links, now_ns=now_ns, verify_link=verify_link)
    if expected_target is not None and targets is not None and expected_target not in targets:
        raise DelegationError(f"canister '{expected_target.to_text()}' is not one of the delegation targets")
    if session_public_key is not None and links[-1].delegation.pubkey != session_public_key:
        raise DelegationError(
            "the last delegation is not to the session key: "
            f"expected {session_public_key.hex()}, found {links[-1].delegation.pubkey.hex()}"
        )
    return chain.principal()


# --- command line ----------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    """`python -m ic.delegation CHAIN.json --root-key HEX [--session-key HEX] [--now-ns N] [--target TEXT]`.

    Prints one JSON object: `valid`, `principal` (text, or null when invalid), `error` on failure.
    Exit status 0 only when the chain is valid. CHAIN.json may be `-` for standard input.
    """
    import argparse
    import sys
    import time

    parser = argparse.ArgumentParser(prog="python -m ic.delegation", description="Verify an IC delegation chain.")
    parser.add_argument("chain", help="chain JSON file (@dfinity/identity toJSON or ICRC-34 form), or - for stdin")
    parser.add_argument("--root-key", required=True, help="IC root key in hex: DER (133 bytes) or the raw 96-byte key")
    parser.add_argument("--session-key", help="DER public key (hex) the last delegation must delegate to")
    parser.add_argument("--now-ns", type=int, help="current time in ns since the epoch (default: the clock)")
    parser.add_argument("--target", help="canister id (text) the chain must allow")
    args = parser.parse_args(argv)

    def report(result: dict[str, Any]) -> int:
        print(json.dumps(result))
        return 0 if result["valid"] else 1

    try:
        if args.chain == "-":
            text = sys.stdin.read()
        else:
            with open(args.chain, encoding="utf-8") as handle:
                text = handle.read()
    except OSError as exc:
        return report({"valid": False, "principal": None, "error": f"cannot read {args.chain}: {exc}"})
    try:
        chain = parse_chain_json(text)
        root_key = _hex(args.root_key.strip().removeprefix("0x"), "--root-key")
        if len(root_key) == 96:  # the raw G2 key, as `python -m ic.certificate` also accepts
            from ic.bls import der_encode_public_key

            root_key = der_encode_public_key(root_key)
        session_key = _hex(args.session_key.strip(), "--session-key") if args.session_key else None
        target = Principal.from_text(args.target) if args.target else None
        from ic.bls import arkworks_verify

        ctx = VerifyContext(root_key_der=root_key, bls_verify=arkworks_verify)
        now_ns = args.now_ns if args.now_ns is not None else time.time_ns()
        principal = verify_chain(chain, ctx=ctx, now_ns=now_ns, session_public_key=session_key, expected_target=target)
    except ICError as exc:
        return report({"valid": False, "principal": None, "error": str(exc)})
    return report({"valid": True, "principal": principal.to_text()})


if __name__ == "__main__":
    raise SystemExit(main())
