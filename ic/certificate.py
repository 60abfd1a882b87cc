"""Certificates (interface spec "Certification": "Certificate", "Delegation", "Canister ranges";
agent-js `certificate.ts` for the freshness rule).

    certificate = tagged { tree: hash-tree, signature: bytes(48), ? delegation: { subnet_id, certificate } }

Verification, in order, each failure a `CertificateError` whose message starts with the step
(`decode`, `root key`, `delegation`, `signature`, `time`) and which carries it as `.step`:

1. decode: CBOR map with exactly `tree`, `signature` and optionally `delegation`; well-formed tree.
2. delegation (if present): the inner certificate has no delegation of its own and verifies
   against the root key (time: at most 30 days old); its tree gives the subnet's DER BLS key at
   `/subnet/<id>/public_key`, and, when a canister id is given, a canister range containing it at
   `/subnet/<id>/canister_ranges` or in the `/canister_ranges/<id>/<lower bound>` shards (CBOR
   lists of `[lo, hi]` principal bytes, closed, compared bytewise).
3. signature: BLS over `\\x0dic-state-root ‖ reconstruct(tree)` with the subnet key (or the root
   key when there is no delegation); identity points refused before any pairing.
4. time: `/time` (LEB128 nanoseconds) must be present; with `now_ns` it must lie within
   [now - max_age_ns, now + max_future_ns] (agent-js: 5 minutes either way).

Command line: `python -m ic.certificate FILE_OR_HEX --root-key HEX [--canister-id TEXT]
[--now-ns N] [--max-age-s S]` prints one JSON object and exits 0 only when the certificate is valid.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from typing import Any, Sequence

from ic import bls, cbor, hash_tree
from ic.bls import BlsVerify
from ic.errors import CborError, CertificateError, HashTreeError, ICError, KeyFormatError, RequestIdError
from ic.hash_tree import Found, HashTree, LookupResult
from ic.principal import Principal
from ic.request_id import DOMAIN_STATE_ROOT, decode_leb128

MINUTE_NS = 60 * 10**9
DEFAULT_MAX_AGE_NS = 5 * MINUTE_NS
DEFAULT_MAX_FUTURE_NS = 5 * MINUTE_NS
DELEGATION_MAX_AGE_NS = 30 * 24 * 60 * MINUTE_NS
MAX_CERTIFICATE_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True)
class Delegation:
    subnet_id: Principal
    certificate: bytes


@dataclass(frozen=True)
class Certificate:
    tree: HashTree
    signature: bytes
    delegation: Delegation | None = None

    def lookup(self, path: Sequence[bytes | str]) -> LookupResult:
        return hash_tree.lookup_path(self.tree, path)

    def lookup_value(self, path: Sequence[bytes | str]) -> bytes | None:
        """The value at `path`, None if provably absent; CertificateError if unknown or a subtree."""
        try:
            return hash_tree.lookup_value(self.tree, path)
        except HashTreeError as exc:
            raise CertificateError(f"certificate lookup: {exc}") from None

    def time_ns(self) -> int:
        """The certified `/time` in nanoseconds since the epoch."""
        return certificate_time(self)

    def root_hash(self) -> bytes:
        return hash_tree.reconstruct(self.tree)


def _error(step: str, message: str) -> CertificateError:
    error = CertificateError(f"{step}: {message}")
    error.step = step  # type: ignore[attr-defined]
    return error


# -- parsing --------------------------------------------------------------------------------------


def parse_certificate(data: bytes, *, max_size: int = MAX_CERTIFICATE_BYTES) -> Certificate:
    """Decode a certificate's CBOR (no verification)."""
    try:
        obj = cbor.decode(data, max_size=max_size)
    except CborError as exc:
        raise _error("decode", f"not valid CBOR: {exc}") from None
    if not isinstance(obj, dict):
        raise _error("decode", f"expected a CBOR map, found {type(obj).__name__}")
    unknown = sorted(str(key) for key in obj if key not in ("tree", "signature", "delegation"))
    if unknown:
        raise _error("decode", f"unexpected field(s) {', '.join(unknown)}; expected tree, signature, delegation")
    if "tree" not in obj:
        raise _error("decode", "field 'tree' is missing")
    try:
        tree = hash_tree.decode_tree(obj["tree"])
    except HashTreeError as exc:
        raise _error("decode", f"field 'tree': {exc}") from None
    signature = obj.get("signature")
    if not isinstance(signature, bytes):
        raise _error("decode", f"field 'signature' must be bytes, found {type(signature).__name__}")
    delegation = None
    if "delegation" in obj:
        delegation = _parse_delegation(obj["delegation"])
    return Certificate(tree, signature, delegation)


def _parse_delegation(obj: Any) -> Delegation:
    if not isinstance(obj, dict):
        raise _error("decode", f"field 'delegation' must be a map, found {type(obj).__name__}")
    if set(obj) != {"subnet_id", "certificate"}:
        raise _error("decode", f"field 'delegation' must have exactly subnet_id and certificate, found {sorted(map(str, obj))}")
    subnet_id, inner = obj["subnet_id"], obj["certificate"]
    if not isinstance(subnet_id, bytes) or not isinstance(inner, bytes):
        raise _error("decode", "delegation.subnet_id and delegation.certificate must be byte strings")
    try:
        principal = Principal(subnet_id)
    except ICError as exc:
        raise _error("decode", f"delegation.subnet_id: {exc}") from None
    return Delegation(principal, inner)


def certificate_time(certificate: Certificate) -> int:
    """`/time` of a certificate in nanoseconds; CertificateError (step `time`) if missing or bad."""
    result = certificate.lookup([b"time"])
    if not isinstance(result, Found):
        raise _error("time", f"/time is not in the certificate ({type(result).__name__})")
    try:
        return decode_leb128(result.value)
    except RequestIdError as exc:
        raise _error("time", f"/time is not a LEB128 natural number: {exc}") from None


# -- verification ---------------------------------------------------------------------------------


def verify_certificate(
    certificate: bytes | Certificate,
    *,
    root_key_der: bytes,
    bls_verify: BlsVerify,
    canister_id: Principal | None = None,
    now_ns: int | None = None,
    max_age_ns: int | None = DEFAULT_MAX_AGE_NS,
    max_future_ns: int | None = DEFAULT_MAX_FUTURE_NS,
) -> Certificate:
    """Verify a certificate (bytes or parsed) and return it; CertificateError names the failing step.

    Freshness is checked only when `now_ns` is given (`max_age_ns`/`max_future_ns` = None turn
    either bound off). Canister ranges are checked when the certificate has a delegation and
    `canister_id` is given.
    """
    cert = certificate if isinstance(certificate, Certificate) else parse_certificate(certificate)
    try:
        root_key = bls.der_decode_public_key(root_key_der)
    except KeyFormatError as exc:
        raise _error("root key", str(exc)) from None
    if bls.is_identity_encoding(root_key):
        raise _error("root key", "the root key is the identity point")
    key = root_key
    if cert.delegation is not None:
        key = _verify_delegation(cert.delegation, root_key_der, bls_verify, canister_id, now_ns, max_future_ns)
    _verify_signature(cert, key, bls_verify)
    _verify_time(cert, now_ns, max_age_ns, max_future_ns)
    return cert


def _verify_signature(cert: Certificate, key: bytes, bls_verify: BlsVerify, where: str = "") -> None:
    step = where + "signature"
    signature = cert.signature
    if len(signature) != bls.SIGNATURE_LENGTH:
        raise _error(step, f"expected {bls.SIGNATURE_LENGTH} bytes (compressed G1), found {len(signature)}")
    if bls.is_identity_encoding(signature):
        raise _error(step, "the signature is the identity point")
    message = DOMAIN_STATE_ROOT + hash_tree.reconstruct(cert.tree)
    try:
        valid = bls_verify(signature, message, key)
    except Exception as exc:  # an injected verifier that raises counts as a failed check
        raise _error(step, f"the BLS verifier failed: {type(exc).__name__}: {exc}") from None
    if valid is not True:
        raise _error(step, f"BLS signature does not verify over the root hash {message[len(DOMAIN_STATE_ROOT):].hex()}")


def _verify_time(
    cert: Certificate, now_ns: int | None, max_age_ns: int | None, max_future_ns: int | None, where: str = ""
) -> int:
    step = where + "time"
    try:
        time_ns = certificate_time(cert)
    except CertificateError as exc:
        raise _error(step, str(exc).split(": ", 1)[1]) from None
    if now_ns is None:
        return time_ns
    if max_age_ns is not None and time_ns < now_ns - max_age_ns:
        raise _error(
            step,
            f"certificate is too old: /time {time_ns} ns is {(now_ns - time_ns) / 1e9:.3f} s before now "
            f"({now_ns} ns); at most {max_age_ns / 1e9:g} s allowed",
        )
    if max_future_ns is not None and time_ns > now_ns + max_future_ns:
        raise _error(
            step,
            f"certificate is in the future: /time {time_ns} ns is {(time_ns - now_ns) / 1e9:.3f} s after now "
            f"({now_ns} ns); at most {max_future_ns / 1e9:g} s allowed",
        )
    return time_ns


def _verify_delegation(
    delegation: Delegation,
    root_key_der: bytes,
    bls_verify: BlsVerify,
    canister_id: Principal | None,
    now_ns: int | None,
    max_future_ns: int | None,
) -> bytes:
    """Verify the delegation certificate; return the subnet's 96-byte BLS key."""
    try:
        inner = parse_certificate(delegation.certificate)
    except CertificateError as exc:
        raise _error("delegation", f"the delegation certificate: {exc}") from None
    if inner.delegation is not None:
        raise _error("delegation", "the delegation certificate has a delegation itself (at most one level allowed)")
    _verify_signature(inner, bls.der_decode_public_key(root_key_der), bls_verify, where="delegation ")
    _verify_time(inner, now_ns, DELEGATION_MAX_AGE_NS, max_future_ns, where="delegation ")
    subnet = delegation.subnet_id
    key_result = inner.lookup([b"subnet", subnet.raw, b"public_key"])
    if not isinstance(key_result, Found):
        raise _error(
            "delegation", f"/subnet/{subnet}/public_key is not in the delegation certificate ({type(key_result).__name__})"
        )
    try:
        key = bls.der_decode_public_key(key_result.value)
    except KeyFormatError as exc:
        raise _error("delegation", f"/subnet/{subnet}/public_key: {exc}") from None
    if bls.is_identity_encoding(key):
        raise _error("delegation", f"/subnet/{subnet}/public_key is the identity point")
    if canister_id is not None:
        ranges = subnet_canister_ranges(inner, subnet)
        if not any(lo <= canister_id.raw <= hi for lo, hi in ranges):
            raise _error(
                "delegation",
                f"canister {canister_id} ({canister_id.raw.hex()}) is not in the canister ranges of subnet {subnet}: "
                + (", ".join(f"[{lo.hex()}, {hi.hex()}]" for lo, hi in ranges) or "none"),
            )
    return key


def subnet_canister_ranges(cert: Certificate, subnet: Principal) -> list[tuple[bytes, bytes]]:
    """The canister ranges a certificate reveals for a subnet (classic path, else the sharded one)."""
    classic = cert.lookup([b"subnet", subnet.raw, b"canister_ranges"])
    if isinstance(classic, Found):
        return _parse_ranges(classic.value, f"/subnet/{subnet}/canister_ranges")
    shards = hash_tree.lookup_subtree(cert.tree, [b"canister_ranges", subnet.raw])
    ranges: list[tuple[bytes, bytes]] = []
    if isinstance(shards, Found):
        for path, node in hash_tree.list_paths(shards.value):
            if isinstance(node, hash_tree.Leaf) and len(path) == 1:
                ranges.extend(_parse_ranges(node.value, f"/canister_ranges/{subnet}/{path[0].hex()}"))
    if not ranges:
        raise _error("delegation", f"no canister ranges for subnet {subnet} in the delegation certificate")
    return ranges


def _parse_ranges(value: bytes, where: str) -> list[tuple[bytes, bytes]]:
    try:
        ranges = cbor.decode(value)
    except CborError as exc:
        raise _error("delegation", f"{where}: not valid CBOR: {exc}") from None
    if not isinstance(ranges, list) or not all(
        isinstance(r, list) and len(r) == 2 and all(isinstance(b, bytes) for b in r) for r in ranges
    ):
        raise _error("delegation", f"{where}: expected a list of [lo, hi] byte-string pairs")
    return [(lo, hi) for lo, hi in ranges]


# -- command line ---------------------------------------------------------------------------------


def _read_input(source: str) -> bytes:
    import os

    if os.path.exists(source):
        with open(source, "rb") as handle:
            raw = handle.read()
        text = raw.strip()
        try:
            return bytes.fromhex(text.decode("ascii")) if text else raw
        except (UnicodeDecodeError, ValueError):
            return raw
    return bytes.fromhex(source.strip().removeprefix("0x"))


def main(argv: Sequence[str] | None = None) -> int:
    """The `python -m ic.certificate` command; prints one JSON object, returns the exit status."""
    import time

    parser = argparse.ArgumentParser(
        prog="python -m ic.certificate", description="Verify an IC certificate (BLS, delegation, canister ranges, /time)."
    )
    parser.add_argument("certificate", metavar="FILE_OR_HEX", help="a file (binary CBOR or hex text) or the hex itself")
    parser.add_argument("--root-key", required=True, help="the IC root key, DER in hex (133 bytes) or the raw 96-byte key")
    parser.add_argument("--canister-id", help="check that a delegated certificate covers this canister (text form)")
    parser.add_argument("--now-ns", type=int, help="current time in ns since the epoch (default: this machine's clock)")
    parser.add_argument("--max-age-s", type=float, default=DEFAULT_MAX_AGE_NS / 1e9, help="maximum age of /time (default 300)")
    args = parser.parse_args(argv)

    report: dict[str, Any] = {"valid": False, "time": None}
    try:
        data = _read_input(args.certificate)
    except (OSError, ValueError) as exc:
        report.update(error=f"input: cannot read {args.certificate!r} as a file or hex: {exc}", step="input")
        return _print(report, 1)
    try:
        root_key = bytes.fromhex(args.root_key.strip().removeprefix("0x"))
        if len(root_key) == bls.PUBLIC_KEY_LENGTH:
            root_key = bls.der_encode_public_key(root_key)
        canister = Principal.from_text(args.canister_id) if args.canister_id else None
    except (ValueError, ICError) as exc:
        report.update(error=f"arguments: {exc}", step="arguments")
        return _print(report, 1)
    now_ns = args.now_ns if args.now_ns is not None else time.time_ns()
    try:
        parsed = parse_certificate(data)
        try:
            report["time"] = certificate_time(parsed)
        except CertificateError:
            pass
        verify_certificate(
            parsed,
            root_key_der=root_key,
            bls_verify=bls.arkworks_verify,
            canister_id=canister,
            now_ns=now_ns,
            max_age_ns=int(args.max_age_s * 1e9),
        )
    except CertificateError as exc:
        report.update(error=str(exc), step=getattr(exc, "step", "unknown"))
        return _print(report, 1)
    report["valid"] = True
    report["root_hash"] = parsed.root_hash().hex()
    if parsed.delegation is not None:
        report["subnet_id"] = parsed.delegation.subnet_id.to_text()
    return _print(report, 0)


def _print(report: dict[str, Any], status: int) -> int:
    print(json.dumps(report, sort_keys=True))
    return status


if __name__ == "__main__":
    sys.exit(main())
