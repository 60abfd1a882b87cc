"""Public keys of the IC: DER forms, COSE keys, and signature verification (ic-interface-facts §4.3).

- `ic.keys.der`: the bounded DER reader/writer;
- `ic.keys.cose`: COSE keys (WebAuthn), filtered and canonically re-encoded;
- `ic.keys.public_key`: one frozen dataclass per scheme, `parse_der`, `.to_der()`, `.principal()`;
- `ic.keys.verify`: the signature primitives and `VerifyContext` (`cryptography` imported lazily);
  `ic.signatures.verify_signature` dispatches on the key, above WebAuthn and canister signatures.
"""

from ic.keys.cose import CoseEc2Key, CoseKey, CoseOkpKey, CoseRsaKey, encode_cose_key, parse_cose_key
from ic.keys.public_key import (
    BlsPublicKey,
    CanisterSigPublicKey,
    EcdsaP256PublicKey,
    Ed25519PublicKey,
    PublicKey,
    Secp256k1PublicKey,
    WebAuthnPublicKey,
    parse_der,
)
from ic.keys.verify import VerifyContext

__all__ = [
    "BlsPublicKey",
    "CanisterSigPublicKey",
    "CoseEc2Key",
    "CoseKey",
    "CoseOkpKey",
    "CoseRsaKey",
    "EcdsaP256PublicKey",
    "Ed25519PublicKey",
    "PublicKey",
    "Secp256k1PublicKey",
    "VerifyContext",
    "WebAuthnPublicKey",
    "encode_cose_key",
    "parse_cose_key",
    "parse_der",
]
