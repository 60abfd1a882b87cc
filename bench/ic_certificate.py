#!/usr/bin/env python3
"""Certificate verification under CPython (arkworks) beside the bare pairing check, same run.

A certificate like the replica's reply certificates (a state tree with time, a request status and
a canister's certified data; the 'delegated' case adds a subnet delegation, i.e. two signatures):
`ic.certificate.verify_certificate` against the bare `ic.bls.arkworks_verify` of the same
signature. The aim is within 1.5x of the bare pairing (per signature checked).
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ic import bls, cbor  # noqa: E402
from ic.certificate import verify_certificate  # noqa: E402
from ic.hash_tree import build_tree, encode_tree, reconstruct  # noqa: E402
from ic.principal import Principal  # noqa: E402
from ic.request_id import DOMAIN_STATE_ROOT  # noqa: E402

NOW = 1_700_000_000_000_000_000
CANISTER = Principal.from_canister_index(7)


def leb128(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def sign(tree, secret: bytes) -> tuple[bytes, bytes]:
    message = DOMAIN_STATE_ROOT + reconstruct(tree)
    return bls.arkworks_sign(secret, message), message


def certificate(extra: dict | None = None) -> tuple[bytes, bytes, bytes, bytes]:
    root_secret, root_pk = bls.arkworks_keygen(b"bench-root-key-seed-32-bytes-xxx")
    state = {
        b"time": leb128(NOW),
        b"canister": {CANISTER.raw: {b"certified_data": bytes(32)}},
        b"request_status": {bytes(32): {b"status": b"replied", b"reply": b"DIDL\x00\x00"}},
    }
    tree = build_tree(state)
    signature, message = sign(tree, root_secret)
    data = cbor.encode({"tree": encode_tree(tree), "signature": signature})
    return data, signature, message, root_pk


def timed(fn, repeats: int) -> float:
    samples = []
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(repeats):
            fn()
        samples.append((time.perf_counter() - start) / repeats)
    return statistics.median(samples)


def run(quick: bool = False) -> None:
    repeats = 20 if quick else 100
    data, signature, message, root_pk = certificate()
    root_der = bls.der_encode_public_key(root_pk)
    pairing = timed(lambda: bls.arkworks_verify(signature, message, root_pk), repeats)
    full = timed(lambda: verify_certificate(data, root_key_der=root_der, bls_verify=bls.arkworks_verify,
                                            canister_id=CANISTER, now_ns=NOW), repeats)
    print("Certificate verification (CPython, py-arkworks-bls12381), median of 5 x", repeats)
    print(f"  bare pairing check      {pairing * 1e3:8.3f} ms")
    print(f"  verify_certificate      {full * 1e3:8.3f} ms   ratio {full / pairing:.2f}x (aim <= 1.5x)")


if __name__ == "__main__":
    run(quick="--quick" in sys.argv)
