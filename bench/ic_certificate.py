"""Certificate verification cost under CPython (arkworks), beside the bare BLS pairing check.

Prints per-certificate times for a root-signed and a delegated certificate built with our own
keys, the bare `arkworks_verify` of the same signature/message in the same run, and the ratio
(aim: within 1.5x of the bare check per signature).
"""

from __future__ import annotations

import pathlib
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))


def _best(fn, repeat: int = 5, number: int = 40) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        best = min(best, (time.perf_counter() - start) / number)
    return best


def run() -> None:
    from ic import bls, cbor
    from ic import hash_tree as ht
    from ic.certificate import parse_certificate, verify_certificate
    from ic.principal import Principal
    from ic.request_id import DOMAIN_STATE_ROOT, encode_leb128

    now = time.time_ns()
    canister = Principal.from_canister_index(7)
    root_sk, root_pk = bls.arkworks_keygen(b"bench-root-key-seed-32-bytes-xxx")
    sub_sk, sub_pk = bls.arkworks_keygen(b"bench-subnet-key-seed-32-bytes-x")
    root_der, sub_der = bls.der_encode_public_key(root_pk), bls.der_encode_public_key(sub_pk)
    subnet = Principal.self_authenticating(sub_der)

    def sign(state: dict, secret: bytes, delegation=None) -> bytes:
        tree = ht.prune(ht.build_tree(state), [(b"time",), (b"request_status",), (b"subnet",)])
        body = {"tree": ht.encode_tree(tree), "signature": bls.arkworks_sign(secret, DOMAIN_STATE_ROOT + ht.reconstruct(tree))}
        if delegation:
            body["delegation"] = delegation
        return cbor.encode(body)

    state = {
        b"time": encode_leb128(now),
        b"request_status": {bytes([i]) * 32: {b"status": b"replied", b"reply": b"DIDL\x00\x00"} for i in range(4)},
    }
    plain = sign(state, root_sk)
    ranges = cbor.encode([[Principal.from_canister_index(0).raw, Principal.from_canister_index(10**6).raw]])
    dstate = {b"time": encode_leb128(now), b"subnet": {subnet.raw: {b"public_key": sub_der, b"canister_ranges": ranges}}}
    delegated = sign(state, sub_sk, {"subnet_id": subnet.raw, "certificate": sign(dstate, root_sk)})

    cert = parse_certificate(plain)
    message = DOMAIN_STATE_ROOT + cert.root_hash()
    bare = _best(lambda: bls.arkworks_verify(cert.signature, message, root_pk))
    full = _best(lambda: verify_certificate(plain, root_key_der=root_der, bls_verify=bls.arkworks_verify, canister_id=canister, now_ns=now))
    dele = _best(lambda: verify_certificate(delegated, root_key_der=root_der, bls_verify=bls.arkworks_verify, canister_id=canister, now_ns=now), number=20)

    rows = [
        ("bare arkworks_verify (1 pairing check)", bare, 1.0),
        (f"verify_certificate, root-signed ({len(plain)} B)", full, full / bare),
        (f"verify_certificate, delegated ({len(delegated)} B, 2 sigs)", dele, dele / (2 * bare)),
    ]
    print(f"{'case':<52} {'ms/cert':>9} {'ratio':>7}")
    for name, seconds, ratio in rows:
        print(f"{name:<52} {seconds * 1e3:>9.3f} {ratio:>6.2f}x")
    print("ratio: vs the bare check (delegated: vs two bare checks); aim <= 1.5x")


if __name__ == "__main__":
    run()
