"""Signature verification for every key scheme the IC accepts on requests (ic-interface-facts
§4.3-4.5, §8): Ed25519, ECDSA P-256 and secp256k1, WebAuthn (COSE) and canister signatures, the
latter checked against this replica's own root key (no certificate age check, as the replica).

The formats and the scheme arithmetic live in `ic.keys` (the one copy of every wire format); this
module binds them to the replica's root key. Failures raise `ValueError` (`ic.errors` types) whose
message says which scheme and which check failed.

Verification is a pure function of (key, message, signature), so successful verifications are
remembered: a dapp session sends the same II delegation (a canister signature: one BLS pairing
check) with every request, and it is checked once.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from functools import lru_cache

from replica.auth.validate import Verifier

VERIFIED_CACHE_SIZE = 8192


def make_verifier(root_key_der: bytes) -> Verifier:
    """A `verify(der_public_key, signed_bytes, signature)` bound to this replica's root key."""
    from ic import bls, keys, signatures

    context = keys.VerifyContext(root_key_der=root_key_der, bls_verify=bls.arkworks_verify)
    verified: OrderedDict[bytes, None] = OrderedDict()

    @lru_cache(maxsize=4096)
    def parse(der: bytes):
        return keys.parse_der(der)

    def verify(der: bytes, message: bytes, signature: bytes) -> None:
        der, signature = bytes(der), bytes(signature)
        digest = hashlib.sha256(b"".join(len(x).to_bytes(4, "big") + x for x in (der, message, signature))).digest()
        if digest in verified:
            verified.move_to_end(digest)
            return
        try:
            signatures.verify_signature(parse(der), message, signature, ctx=context)
        except ValueError:
            raise
        except Exception as exc:  # a malformed input that tripped the parser: still just "invalid"
            raise ValueError(f"the key or signature could not be read ({type(exc).__name__}: {exc})") from None
        verified[digest] = None
        if len(verified) > VERIFIED_CACHE_SIZE:
            verified.popitem(last=False)

    return verify
