"""BLS12-381 signature verification in the page: the vendored @noble/curves bundle.

A pure-Python pairing takes about a second under Pyodide; the bundle takes milliseconds. The
bundle is loaded by PyScript (`[js_modules.main]` in pyscript.toml) and exposes `blsVerify`.
"""

from __future__ import annotations

from pyodide.ffi import to_js
from pyscript.js_modules import noble_bls


def bls_verify(signature: bytes, message: bytes, public_key: bytes) -> bool:
    """The `ic.bls.BlsVerify` port: min-sig BLS (signature in G1, key in G2), identity points refused."""
    return bool(noble_bls.blsVerify(to_js(bytes(signature)), to_js(bytes(message)), to_js(bytes(public_key))))
