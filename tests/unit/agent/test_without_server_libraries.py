"""`ic.agent` as the browser sees it: no `cryptography`, no arkworks (blocked in a subprocess)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from .conftest import REPO

SCRIPT = textwrap.dedent(
    """
    import asyncio, sys
    for name in ("cryptography", "py_arkworks_bls12381", "uvicorn"):
        sys.modules[name] = None  # any import of them now raises ImportError
    from ic import cbor
    from ic.agent import Agent, Ed25519Identity, call_content, ingress_expiry, sign_request
    from ic.agent.query_signature import default_ed25519_verify
    from ic.agent import ed25519
    from ic.principal import Principal

    identity = Ed25519Identity(bytes(32))  # backend "auto" falls back to pure Python
    assert identity.public_key_der().hex().endswith("3b6a27bcceb6a42d62a3a8d02a6f0d73653215771de243a63ac048a18b59da29")
    content = call_content(identity.sender(), Principal.from_text("rdmx6-jaaaa-aaaaa-aaadq-cai"), "m", b"",
                           expiry_ns=ingress_expiry(1_700_000_000 * 10**9), nonce=b"1" * 16)
    signed = asyncio.run(sign_request(identity, content))
    envelope = cbor.decode(signed.to_cbor())
    assert ed25519.verify(identity.raw_public_key, b"\\x0aic-request" + signed.request_id, envelope["sender_sig"])
    assert default_ed25519_verify() is ed25519.verify
    from ic.errors import AgentError
    try:
        asyncio.run(Agent(None).verify_certificate(b"", "aaaaa-aa"))
    except AgentError as exc:
        assert "no BLS verifier" in str(exc), exc
    else:
        raise AssertionError("a certificate was verified without a BLS verifier")
    print("ok")
    """
)


def test_agent_works_without_server_only_libraries():
    result = subprocess.run([sys.executable, "-c", SCRIPT], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
