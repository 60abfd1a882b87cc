"""Codec figures: Candid decode+encode of II payloads beside cbor2 on the same data, same run.

    python bench/ic_codec.py [--quick]

Prints operations per second (one operation = encode + decode) for a `SignedDelegation` (91-byte
DER public key, 1500-byte canister signature) and for a 20-element `vec DeviceData`, with two
baselines: cbor2's C extension (what CPython uses here) and cbor2's pure-Python codec (what runs
under Pyodide), and the ratio Candid / baseline (1.0 = as fast; the aim is Candid within 3x).
Figures only; nothing asserts on them.
"""

from __future__ import annotations

import pathlib
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

import cbor2  # noqa: E402
from cbor2 import _decoder as cbor_py_decoder  # noqa: E402
from cbor2 import _encoder as cbor_py_encoder  # noqa: E402

from ic.candid import decode, encode, parse_did  # noqa: E402

# Definitions as in the Internet Identity interface (internet_identity.did).
DID = """
type DeviceKey = blob;
type CredentialId = blob;
type Aaguid = blob;
type Purpose = variant { recovery; authentication };
type KeyType = variant { unknown; platform; cross_platform; seed_phrase; browser_storage_key };
type DeviceProtection = variant { protected; unprotected };
type MetadataMap = vec record { text; variant { map : MetadataMap; string : text; bytes : vec nat8 } };
type DeviceData = record {
    pubkey : DeviceKey; alias : text; credential_id : opt CredentialId; aaguid : opt Aaguid;
    purpose : Purpose; key_type : KeyType; protection : DeviceProtection; origin : opt text;
    metadata : opt MetadataMap;
};
type Delegation = record { pubkey : blob; expiration : nat64; targets : opt vec principal };
type SignedDelegation = record { delegation : Delegation; signature : blob };
"""


def _payloads():
    did = parse_did(DID)
    pubkey = bytes.fromhex("3059301306072a8648ce3d020106082a8648ce3d03010703420004") + bytes(range(64))
    assert len(pubkey) == 91
    signature = bytes((i * 37) & 0xFF for i in range(1500))
    delegation = {"delegation": {"pubkey": pubkey, "expiration": 1_732_406_400_000_000_000,
                                 "targets": None},
                  "signature": signature}
    cbor_delegation = {"delegation": {"pubkey": pubkey, "expiration": 1_732_406_400_000_000_000,
                                      "targets": None},
                       "signature": signature}
    devices, cbor_devices = [], []
    for i in range(20):
        key = bytes.fromhex("305e300c060a2b0601040183b8430101034e00a5010203262001215820") + bytes([i]) * 64
        cred = bytes([i, 0xAB]) * 32
        dev = {"pubkey": key, "alias": f"Security key {i}", "credential_id": [cred],
               "aaguid": [bytes(16)], "purpose": {"authentication": None},
               "key_type": {"cross_platform": None}, "protection": {"unprotected": None},
               "origin": ["https://identity.ic0.app"],
               "metadata": [[("usage", {"string": "passkey"}),
                             ("authenticator_attachment", {"string": "cross-platform"})]]}
        devices.append(dev)
        cbor_devices.append({"pubkey": key, "alias": f"Security key {i}", "credential_id": cred,
                             "aaguid": bytes(16), "purpose": "authentication",
                             "key_type": "cross_platform", "protection": "unprotected",
                             "origin": "https://identity.ic0.app",
                             "metadata": [["usage", {"string": "passkey"}],
                                          ["authenticator_attachment", {"string": "cross-platform"}]]})
    from ic.candid import Vec
    return [
        ("SignedDelegation", [did.lookup("SignedDelegation")], [delegation], cbor_delegation),
        ("vec DeviceData x20", [Vec(did.lookup("DeviceData"))], [devices], cbor_devices),
    ]


def _rate(fn, seconds: float, repeats: int) -> float:
    """Best of `repeats` runs of about `seconds` each, in operations per second."""
    n = 1
    while True:  # calibrate
        t = time.perf_counter()
        for _ in range(n):
            fn()
        dt = time.perf_counter() - t
        if dt > seconds / 4:
            break
        n *= 2
    loops = max(1, int(n * seconds / dt))
    best = 0.0
    for _ in range(repeats):
        t = time.perf_counter()
        for _ in range(loops):
            fn()
        best = max(best, loops / (time.perf_counter() - t))
    return best


def run_codec(quick: bool = False) -> None:
    seconds, repeats = (0.1, 3) if quick else (0.5, 5)
    from importlib.metadata import version  # noqa: PLC0415
    print(f"Candid vs cbor2 {version('cbor2')} (Python {sys.version.split()[0]});"
          f" one op = encode + decode; best of {repeats}")
    print(f"{'payload':<20} {'bytes':>6} {'candid op/s':>12} {'cbor2-C op/s':>13} {'ratio':>6}"
          f" {'cbor2-py op/s':>14} {'ratio':>6}")
    for name, types, values, plain in _payloads():
        data = encode(types, values)
        assert decode(data, types) == values
        candid = _rate(lambda: decode(encode(types, values), types), seconds, repeats)
        c_fast = _rate(lambda: cbor2.loads(cbor2.dumps(plain)), seconds, repeats)
        c_py = _rate(lambda: cbor_py_decoder.loads(cbor_py_encoder.dumps(plain)), seconds, repeats)
        print(f"{name:<20} {len(data):>6} {candid:>12,.0f} {c_fast:>13,.0f} {c_fast / candid:>5.1f}x"
              f" {c_py:>14,.0f} {c_py / candid:>5.1f}x")
    print("ratio = baseline op/s / Candid op/s (how many times slower Candid is; < 1 is faster)")


def run_certificates(quick: bool = False) -> None:
    """Certificate verification figures, provided by the certificate module when it exists."""
    try:
        from bench import ic_certificate  # type: ignore[import-not-found]  # noqa: PLC0415
    except ImportError:
        print("\ncertificate verification: not measured yet (bench/ic_certificate.py is not there)")
        return
    print()
    ic_certificate.run(quick=quick)


if __name__ == "__main__":
    quick = "--quick" in sys.argv
    run_codec(quick)
    run_certificates(quick)
