"""ic.certificate: verification step by step, with our own signer and subnet delegations, and the CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from ic import bls, cbor
from ic import hash_tree as ht
from ic.certificate import (
    Certificate,
    certificate_time,
    parse_certificate,
    verify_certificate,
)
from ic.errors import CertificateError
from ic.principal import Principal
from ic.request_id import DOMAIN_STATE_ROOT, encode_leb128

pytest.importorskip("py_arkworks_bls12381")

DATA = Path(__file__).parents[2] / "data" / "ic"
ROOT_DIR = Path(__file__).parents[3]
NOW = 1_700_000_000_000_000_000
MINUTE = 60 * 10**9
CANISTER = Principal.from_canister_index(7)
ROOT_SECRET, ROOT_PK = bls.arkworks_keygen(b"root-key-seed-for-tests-32-bytes")
ROOT_DER = bls.der_encode_public_key(ROOT_PK)
SUBNET_SECRET, SUBNET_PK = bls.arkworks_keygen(b"subnet-key-seed-for-tests-32byte")
SUBNET_DER = bls.der_encode_public_key(SUBNET_PK)
SUBNET_ID = Principal.self_authenticating(SUBNET_DER)
RANGES = [[Principal.from_canister_index(0).raw, Principal.from_canister_index(99).raw]]


def sign_tree(state: dict, secret: bytes = ROOT_SECRET, *, delegation: dict | None = None, paths=None) -> bytes:
    tree = ht.build_tree(state)
    if paths is not None:
        tree = ht.prune(tree, paths)
    body = {"tree": ht.encode_tree(tree), "signature": bls.arkworks_sign(secret, DOMAIN_STATE_ROOT + ht.reconstruct(tree))}
    if delegation is not None:
        body["delegation"] = delegation
    return cbor.encode(body)


def state_at(time_ns: int = NOW, **extra) -> dict:
    return {b"time": encode_leb128(time_ns), b"canister": {CANISTER.raw: {b"certified_data": b"\x2a" * 32}}, **extra}


def delegation_cert(ranges=RANGES, time_ns: int = NOW, *, secret: bytes = ROOT_SECRET, sharded: bool = False) -> dict:
    subnet: dict = {b"public_key": SUBNET_DER}
    state: dict = {b"time": encode_leb128(time_ns), b"subnet": {SUBNET_ID.raw: subnet}}
    if sharded:
        state[b"canister_ranges"] = {SUBNET_ID.raw: {r[0]: cbor.encode([r]) for r in ranges}}
    else:
        subnet[b"canister_ranges"] = cbor.encode(ranges)
    return {"subnet_id": SUBNET_ID.raw, "certificate": sign_tree(state, secret)}


def delegated(**kwargs) -> bytes:
    return sign_tree(state_at(), SUBNET_SECRET, delegation=delegation_cert(**kwargs))


def verify(data, **kwargs) -> Certificate:
    kwargs.setdefault("root_key_der", ROOT_DER)
    kwargs.setdefault("bls_verify", bls.arkworks_verify)
    kwargs.setdefault("now_ns", NOW)
    return verify_certificate(data, **kwargs)


def fails(step: str, data, **kwargs) -> CertificateError:
    with pytest.raises(CertificateError) as info:
        verify(data, **kwargs)
    assert info.value.step == step, str(info.value)
    assert str(info.value).startswith(step + ":")
    return info.value


# -- valid certificates ---------------------------------------------------------------------------


def test_root_signed_certificate_verifies():
    cert = verify(sign_tree(state_at()), canister_id=CANISTER)
    assert cert.delegation is None
    assert cert.time_ns() == certificate_time(cert) == NOW
    assert cert.lookup_value([b"canister", CANISTER.raw, b"certified_data"]) == b"\x2a" * 32
    assert cert.lookup([b"canister", b"x", b"certified_data"]) == ht.ABSENT


def test_parsed_certificates_verify_too():
    parsed = parse_certificate(sign_tree(state_at()))
    assert verify(parsed) is parsed


def test_pruned_certificate_verifies():
    data = sign_tree(state_at(), paths=[(b"time",)])
    cert = verify(data)
    assert cert.lookup([b"canister", CANISTER.raw, b"certified_data"]) == ht.UNKNOWN


@pytest.mark.parametrize("index", [0, 7, 99])
def test_delegated_certificate_verifies_for_canisters_in_range(index):
    cert = verify(delegated(), canister_id=Principal.from_canister_index(index))
    assert cert.delegation is not None and cert.delegation.subnet_id == SUBNET_ID


def test_delegated_certificate_with_sharded_canister_ranges():
    data = sign_tree(state_at(), SUBNET_SECRET, delegation=delegation_cert(sharded=True))
    verify(data, canister_id=CANISTER)
    err = fails("delegation", data, canister_id=Principal.from_canister_index(100))
    assert "is not in the canister ranges" in str(err)


def test_time_checks_are_off_without_a_clock():
    verify(sign_tree(state_at(time_ns=1)), now_ns=None)


# -- each failing step ----------------------------------------------------------------------------


@pytest.mark.parametrize("index", [100, 2**40])
def test_canister_out_of_range_is_refused(index):
    err = fails("delegation", delegated(), canister_id=Principal.from_canister_index(index))
    assert "[00000000000000000101, 00000000000000630101]" in str(err)
    fails("delegation", delegated(), canister_id=Principal.anonymous())


def test_stale_and_future_certificates_are_refused():
    verify(sign_tree(state_at(NOW - 5 * MINUTE)))  # bounds are inclusive
    verify(sign_tree(state_at(NOW + 5 * MINUTE)))
    err = fails("time", sign_tree(state_at(NOW - 5 * MINUTE - 1)))
    assert "too old" in str(err) and "300.000 s before now" in str(err)
    err = fails("time", sign_tree(state_at(NOW + 5 * MINUTE + 1)))
    assert "in the future" in str(err)
    verify(sign_tree(state_at(NOW - 60 * MINUTE)), max_age_ns=None)
    fails("time", sign_tree(state_at(NOW - 60 * MINUTE)), max_age_ns=59 * MINUTE)
    verify(sign_tree(state_at(NOW + 60 * MINUTE)), max_future_ns=None)


def test_delegation_time_allows_30_days_but_not_more():
    day = 24 * 60 * MINUTE
    verify(sign_tree(state_at(), SUBNET_SECRET, delegation=delegation_cert(time_ns=NOW - 29 * day)), canister_id=CANISTER)
    fails(
        "delegation time",
        sign_tree(state_at(), SUBNET_SECRET, delegation=delegation_cert(time_ns=NOW - 31 * day)),
        canister_id=CANISTER,
    )


def test_missing_or_malformed_time_is_refused():
    state = state_at()
    del state[b"time"]
    assert "/time is not in the certificate" in str(fails("time", sign_tree(state)))
    fails("time", sign_tree({**state, b"time": b"\x80"}))  # unterminated LEB128
    fails("time", sign_tree({**state, b"time": {b"x": b"\x01"}}))
    fails("time", sign_tree(state_at(), paths=[(b"canister",)]))  # /time pruned: unknown


def test_wrong_key_or_wrong_message_fails_the_signature():
    _, other = bls.arkworks_keygen(bytes(32))
    fails("signature", sign_tree(state_at()), root_key_der=bls.der_encode_public_key(other))
    body = cbor.decode(sign_tree(state_at()))
    body["signature"] = bls.arkworks_sign(ROOT_SECRET, ht.reconstruct(ht.decode_tree(body["tree"])))  # no domain
    fails("signature", cbor.encode(body))


def test_delegated_certificate_signed_by_the_root_instead_of_the_subnet_fails():
    fails("signature", sign_tree(state_at(), ROOT_SECRET, delegation=delegation_cert()), canister_id=CANISTER)


def test_delegation_signed_by_another_root_fails():
    other_secret, _ = bls.arkworks_keygen(bytes(32))
    data = sign_tree(state_at(), SUBNET_SECRET, delegation=delegation_cert(secret=other_secret))
    fails("delegation signature", data, canister_id=CANISTER)


def test_nested_delegations_are_refused():
    inner = delegation_cert()
    middle_state = {b"time": encode_leb128(NOW), b"subnet": {SUBNET_ID.raw: {b"public_key": SUBNET_DER, b"canister_ranges": cbor.encode(RANGES)}}}
    nested = {"subnet_id": SUBNET_ID.raw, "certificate": sign_tree(middle_state, SUBNET_SECRET, delegation=inner)}
    err = fails("delegation", sign_tree(state_at(), SUBNET_SECRET, delegation=nested), canister_id=CANISTER)
    assert "at most one level" in str(err)


def test_delegation_without_the_subnet_key_or_ranges_fails():
    state = {b"time": encode_leb128(NOW), b"subnet": {SUBNET_ID.raw: {b"canister_ranges": cbor.encode(RANGES)}}}
    bad = {"subnet_id": SUBNET_ID.raw, "certificate": sign_tree(state)}
    assert "public_key is not in" in str(fails("delegation", sign_tree(state_at(), SUBNET_SECRET, delegation=bad)))
    state = {b"time": encode_leb128(NOW), b"subnet": {SUBNET_ID.raw: {b"public_key": SUBNET_DER}}}
    bad = {"subnet_id": SUBNET_ID.raw, "certificate": sign_tree(state)}
    err = fails("delegation", sign_tree(state_at(), SUBNET_SECRET, delegation=bad), canister_id=CANISTER)
    assert "no canister ranges" in str(err)


def test_identity_points_are_refused_before_any_pairing():
    def accepts_anything(_sig: bytes, _msg: bytes, _key: bytes) -> bool:
        return True

    body = cbor.decode(sign_tree(state_at()))
    body["signature"] = b"\xc0" + bytes(47)
    err = fails("signature", cbor.encode(body), bls_verify=accepts_anything)
    assert "identity" in str(err)
    identity_root = bls.der_encode_public_key(b"\xc0" + bytes(95))
    fails("root key", sign_tree(state_at()), root_key_der=identity_root, bls_verify=accepts_anything)
    # A subnet key that is the identity point, in a validly signed delegation.
    state = {b"time": encode_leb128(NOW), b"subnet": {SUBNET_ID.raw: {b"public_key": identity_root, b"canister_ranges": cbor.encode(RANGES)}}}
    bad = {"subnet_id": SUBNET_ID.raw, "certificate": sign_tree(state)}
    err = fails("delegation", sign_tree(state_at(), SUBNET_SECRET, delegation=bad), bls_verify=accepts_anything)
    assert "identity point" in str(err)


def test_a_raising_verifier_is_a_failed_signature():
    def broken(*_args) -> bool:
        raise RuntimeError("boom")

    assert "RuntimeError: boom" in str(fails("signature", sign_tree(state_at()), bls_verify=broken))


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ([], "expected a CBOR map, found list"),
        ({"signature": b"\x00" * 48}, "field 'tree' is missing"),
        ({"tree": [0], "signature": "x"}, "field 'signature' must be bytes"),
        ({"tree": [0], "signature": b"", "extra": 1}, "unexpected field"),
        ({"tree": [7], "signature": b""}, "field 'tree': hash tree"),
        ({"tree": [0], "signature": b"", "delegation": {"subnet_id": b""}}, "exactly subnet_id and certificate"),
        ({"tree": [0], "signature": b"", "delegation": []}, "must be a map"),
    ],
)
def test_malformed_certificates_fail_to_decode(body, needle):
    assert needle in str(fails("decode", cbor.encode(body)))


def test_non_cbor_and_wrong_root_key_format():
    fails("decode", b"\xff")
    fails("root key", sign_tree(state_at()), root_key_der=ROOT_PK)  # raw, not DER


def test_signature_length_is_checked():
    body = cbor.decode(sign_tree(state_at()))
    body["signature"] = body["signature"][:47]
    assert "expected 48 bytes" in str(fails("signature", cbor.encode(body)))


# -- tampering: every byte counts -----------------------------------------------------------------


def _every_flip_fails(data: bytes, **kwargs) -> None:
    verify(data, **kwargs)
    accepted = []
    for i in range(len(data)):
        for mask in (0x01, 0x80):
            tampered = bytearray(data)
            tampered[i] ^= mask
            try:
                verify(bytes(tampered), **kwargs)
            except CertificateError:
                continue
            accepted.append((i, mask))
    assert accepted == []


def test_flipping_any_byte_of_a_root_signed_certificate_invalidates_it():
    _every_flip_fails(sign_tree(state_at(), paths=[(b"time",), (b"canister", CANISTER.raw)]), canister_id=CANISTER)


def test_flipping_any_byte_of_a_delegated_certificate_invalidates_it():
    _every_flip_fails(delegated(), canister_id=CANISTER)


# -- command line ---------------------------------------------------------------------------------


def run_cli(*args: str) -> tuple[int, dict]:
    proc = subprocess.run(
        [sys.executable, "-m", "ic.certificate", *args], capture_output=True, text=True, cwd=ROOT_DIR, timeout=60
    )
    lines = proc.stdout.strip().splitlines()
    assert len(lines) == 1, proc.stdout + proc.stderr
    return proc.returncode, json.loads(lines[0])


def test_cli_valid_certificate_from_hex(tmp_path):
    code, report = run_cli(delegated().hex(), "--root-key", ROOT_DER.hex(), "--canister-id", CANISTER.to_text(), "--now-ns", str(NOW))
    assert code == 0 and report["valid"] is True and report["time"] == NOW and "error" not in report
    assert report["subnet_id"] == SUBNET_ID.to_text()


def test_cli_reads_binary_and_hex_files(tmp_path):
    binary = tmp_path / "cert.cbor"
    binary.write_bytes(sign_tree(state_at()))
    text = tmp_path / "cert.hex"
    text.write_text(sign_tree(state_at()).hex() + "\n")
    for path in (binary, text):
        code, report = run_cli(str(path), "--root-key", ROOT_DER.hex(), "--now-ns", str(NOW))
        assert code == 0 and report["valid"] is True


@pytest.mark.parametrize(
    ("args", "step"),
    [
        (["--now-ns", str(NOW + 10 * MINUTE)], "time"),
        (["--now-ns", str(NOW + 10 * MINUTE), "--max-age-s", "700"], None),
        (["--now-ns", str(NOW), "--canister-id", "aaaaa-aa"], "delegation"),
        (["--now-ns", str(NOW), "--canister-id", "not-a-principal"], "arguments"),
    ],
)
def test_cli_failures_name_the_step(args, step):
    code, report = run_cli(delegated().hex(), "--root-key", ROOT_DER.hex(), *args)
    if step is None:
        assert code == 0 and report["valid"] is True
        return
    assert code == 1 and report["valid"] is False and report["step"] == step and report["error"]


def test_cli_tampered_and_garbage_input():
    data = bytearray(sign_tree(state_at()))
    data[-1] ^= 1
    code, report = run_cli(bytes(data).hex(), "--root-key", ROOT_DER.hex(), "--now-ns", str(NOW))
    assert code == 1 and report["step"] == "signature" and report["time"] == NOW
    code, report = run_cli("zz-not-hex", "--root-key", ROOT_DER.hex())
    assert code == 1 and report["step"] == "input"
