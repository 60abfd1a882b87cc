"""The replica's keys: the BLS12-381 root key that signs certificates and the Ed25519 node key that
signs query responses (ic-interface-facts §5.4, §5.7, §7). Generated once, persisted beside the
database (`Config.state_dir`), reused on every start so clients' fetched root keys stay valid.

Subnet id = self-authenticating principal of the root key's DER (agent-js assumes this when a
certificate has no delegation); node id = self-authenticating principal of the node key's DER.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

KEY_FILE_NAME = "replica-keys.json"
STATE_ROOT_DOMAIN = b"\x0dic-state-root"
RESPONSE_DOMAIN = b"\x0bic-response"


@dataclass(frozen=True)
class RootKey:
    """BLS key pair of the (only) subnet; `der` is the 133-byte key published as `root_key`."""

    seed: bytes
    _secret: object = field(repr=False, compare=False)
    der: bytes = b""

    @classmethod
    def from_seed(cls, seed: bytes) -> "RootKey":
        from ic import bls

        secret, public = bls.arkworks_keygen(seed)
        return cls(seed, secret, bls.der_encode_public_key(public))

    def sign(self, message: bytes) -> bytes:
        from ic import bls

        return bls.arkworks_sign(self._secret, message)

    @property
    def subnet_id(self) -> bytes:
        from ic.principal import Principal

        return Principal.self_authenticating(self.der).raw


@dataclass(frozen=True)
class NodeKey:
    """Ed25519 key of the (only) node; signs query responses."""

    seed: bytes
    der: bytes = b""

    @classmethod
    def from_seed(cls, seed: bytes) -> "NodeKey":
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
        from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

        private = Ed25519PrivateKey.from_private_bytes(seed)
        der = private.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
        return cls(seed, der)

    def sign(self, message: bytes) -> bytes:
        return _ed25519(self.seed).sign(message)

    @property
    def node_id(self) -> bytes:
        from ic.principal import Principal

        return Principal.self_authenticating(self.der).raw


_ED_CACHE: dict[bytes, object] = {}


def _ed25519(seed: bytes):
    key = _ED_CACHE.get(seed)
    if key is None:
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        key = _ED_CACHE[seed] = Ed25519PrivateKey.from_private_bytes(seed)
    return key


@dataclass(frozen=True)
class ReplicaKeys:
    root: RootKey
    node: NodeKey


def generate_keys() -> ReplicaKeys:
    return ReplicaKeys(RootKey.from_seed(secrets.token_bytes(32)), NodeKey.from_seed(secrets.token_bytes(32)))


def load_or_create_keys(state_dir: Path) -> ReplicaKeys:
    """Read the persisted key seeds from `state_dir`, creating them (mode 0600) on first start."""
    path = Path(state_dir) / KEY_FILE_NAME
    if path.exists():
        try:
            data = json.loads(path.read_text())
            return ReplicaKeys(
                RootKey.from_seed(bytes.fromhex(data["root_bls_seed"])),
                NodeKey.from_seed(bytes.fromhex(data["node_ed25519_seed"])),
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise RuntimeError(
                f"The replica key file {path} is unreadable ({exc}). Restore it, or delete it to make a new "
                "root key (clients must then fetch the new root key)."
            ) from None
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    keys = generate_keys()
    text = json.dumps({"root_bls_seed": keys.root.seed.hex(), "node_ed25519_seed": keys.node.seed.hex()}, indent=1)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    return keys
