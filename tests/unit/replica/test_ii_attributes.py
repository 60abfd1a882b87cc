"""ICRC-3 attribute sharing: prepare_icrc3_attributes / get_icrc3_attributes / list_available_attributes.

The name set with identity_properties_replace is what this II certifies (key `identity:name`, or
the bare `name` with omit_scope); e-mail and OpenID/SSO keys get the real II's problems. The
signature is checked end to end against the replica's root key in the last test.
"""

from __future__ import annotations

import pytest

from ic import candid
from replica.canisters.internet_identity import wire
from replica.canisters.internet_identity.attributes import DOMAIN, signed_payload
from tests.unit.replica.test_ii_support import T0, anonymous, device, env, new_key, principal_of  # noqa: F401

ORIGIN = "https://dapp.example"
NONCE = bytes(range(32))


def spec(key, value=None, omit_scope=False):
    return {"key": key, "value": wire.opt(value), "omit_scope": omit_scope}


def prepare_request(number, attributes, *, origin=ORIGIN, nonce=NONCE, account=None, unmapped=None):
    return {
        "identity_number": number, "origin": origin, "unmapped_origin": wire.opt(unmapped),
        "account_number": wire.opt(account), "attributes": attributes, "nonce": nonce,
    }


def get_request(number, message, *, origin=ORIGIN, account=None):
    return {"identity_number": number, "origin": origin, "account_number": wire.opt(account), "message": message}


def named(env, name="Alice"):
    number, key = env.register()
    me = principal_of(key)
    if name is not None:
        assert env.update(me, "identity_properties_replace", number, {"name": wire.opt(name)}) == {"Ok": None}
    return number, me


def decode_message(message):
    value_type = candid.parse_did(open_did()).lookup("Icrc3Value")
    (value,) = candid.decode(message, [value_type])
    return dict(value["Map"])


def open_did():
    from replica.canisters.internet_identity.canister import load_did_text

    return load_did_text()


def test_the_name_is_certified_with_the_implicit_entries(env):
    number, me = named(env)
    result = env.update(me, "prepare_icrc3_attributes", prepare_request(number, [spec("identity:name", b"Alice", True)]))
    message = result["Ok"]["message"]
    assert decode_message(message) == {
        "name": {"Text": "Alice"},
        "implicit:nonce": {"Blob": NONCE},
        "implicit:origin": {"Text": ORIGIN},
        "implicit:issued_at_timestamp_ns": {"Nat": T0},
    }
    assert list(decode_message(message)) == sorted(decode_message(message))  # the Map is in key order
    signature = env.query(me, "get_icrc3_attributes", get_request(number, message))["Ok"]["signature"]
    assert signature.startswith(b"\xd9\xd9\xf7")
    # Without omit_scope the certified key is the scoped key; without a value it is not checked.
    scoped = env.update(me, "prepare_icrc3_attributes", prepare_request(number, [spec("identity:name")]))
    assert decode_message(scoped["Ok"]["message"])["identity:name"] == {"Text": "Alice"}
    # No attributes at all: only the implicit entries are signed.
    empty = env.update(me, "prepare_icrc3_attributes", prepare_request(number, [], unmapped="https://abc-d.icp0.io",
                                                                      origin="https://abc-d.ic0.app"))
    assert decode_message(empty["Ok"]["message"])["implicit:origin"] == {"Text": "https://abc-d.icp0.io"}


def test_validation_errors(env):
    number, me = named(env)
    cases = [
        (prepare_request(number, [], nonce=b"short"), ["Nonce must be exactly 32 bytes, got 5"]),
        (prepare_request(number, [], origin="x" * 256), ["Frontend hostname length 256 exceeds limit of 255 bytes"]),
        (prepare_request(number, [spec("phone")]), ["Unknown attribute: phone"]),
        (prepare_request(number, [spec("ldap:name")]), ["Unknown attribute scope: ldap"]),
        (prepare_request(number, [spec("openid:google.com:email")]),
         ["Invalid issuer `google.com` in attribute scope: must start with `https://` or `http://localhost:`"]),
        (prepare_request(number, [spec("sso:a b:email")]), ["Invalid domain `a b` in attribute scope: must not contain whitespace"]),
        (prepare_request(number, [spec("identity:name", b"x" * 50_001)]),
         ["Attribute value length 50001 exceeds limit of 50000 bytes"]),
        (prepare_request(number, [spec("name")] * 101), ["Number of attributes 101 exceeds limit of 100"]),
        (prepare_request(number, [spec("name")] * 100 + [spec("nick")]),
         ["Number of attributes 101 exceeds limit of 100", "Unknown attribute: nick"]),
        (prepare_request(number, [], origin="https://other.example", unmapped="https://abc.icp0.io"),
         ["unmapped_origin https://abc.icp0.io does not map to origin https://other.example"]),
    ]
    for request, problems in cases:
        assert env.update(me, "prepare_icrc3_attributes", request) == {"Err": {"ValidationError": {"problems": problems}}}
    # Validation comes first: even a stranger gets it.
    assert env.update(anonymous(), "prepare_icrc3_attributes", cases[0][0])["Err"].keys() == {"ValidationError"}


def test_keys_this_identity_does_not_have_are_mismatches(env):
    number, me = named(env)
    attributes = [
        spec("openid:https://accounts.google.com:email"),
        spec("sso:dfinity.org:name"),
        spec("email", b"a@b.example", True),
        spec("verified_email"),
        spec("name"),
        spec("identity:email"),
        spec("identity:name", b"Bob"),
        spec("identity:name", None, True), spec("identity:name", b"Alice", True),
    ]
    assert env.update(me, "prepare_icrc3_attributes", prepare_request(number, attributes)) == {"Err": {"AttributeMismatch": {"problems": [
        "No credential found for issuer: https://accounts.google.com",
        "sso:dfinity.org attributes require an SSO sign-in through that domain",
        "No verified email matches the requested email",
        "Unscoped verified_email requires a value identifying the verified email",
        "Attribute name has no scope; only scoped attributes are supported",
        "Attribute email not available for identity",
        "Attribute value mismatch for identity:name: provided value does not match stored value",
        "Duplicate certified attribute key 'name' derived from spec identity:name",
    ]}}}
    nameless, other = named(env, None)
    assert env.update(other, "prepare_icrc3_attributes", prepare_request(nameless, [spec("identity:name")])) == {
        "Err": {"AttributeMismatch": {"problems": ["Attribute name not available for identity"]}}}


def test_wrong_callers_and_accounts_change_nothing(env):
    number, me = named(env)
    stranger = principal_of(new_key())
    request = prepare_request(number, [spec("identity:name")])
    certified = env.certified_data
    assert env.update(stranger, "prepare_icrc3_attributes", request) == {"Err": {"AuthorizationError": stranger}}
    assert env.update(stranger, "prepare_icrc3_attributes", prepare_request(99_999, [])) == {
        "Err": {"AuthorizationError": stranger}}
    assert env.update(me, "prepare_icrc3_attributes", prepare_request(number, [], account=7)) == {
        "Err": {"GetAccountError": {"NoSuchAccount": {"anchor_number": number, "origin": ORIGIN}}}}
    assert env.certified_data == certified
    message = env.update(me, "prepare_icrc3_attributes", request)["Ok"]["message"]
    assert env.certified_data != certified
    assert env.query(stranger, "get_icrc3_attributes", get_request(number, message)) == {
        "Err": {"AuthorizationError": stranger}}
    assert env.query(me, "get_icrc3_attributes", get_request(number, message, account=1)) == {
        "Err": {"GetAccountError": {"NoSuchAccount": {"anchor_number": number, "origin": ORIGIN}}}}
    # A message that was not prepared, or prepared for another origin, has no signature.
    assert env.query(me, "get_icrc3_attributes", get_request(number, message + b"x")) == {"Err": {"NoSuchSignature": None}}
    assert env.query(me, "get_icrc3_attributes", get_request(number, message, origin="https://other.example")) == {
        "Err": {"NoSuchSignature": None}}
    assert env.query(me, "get_icrc3_attributes", get_request(number, b"", origin="y" * 300)) == {
        "Err": {"ValidationError": {"problems": ["Frontend hostname length 300 exceeds limit of 255 bytes"]}}}
    # The signature lives one minute, like a delegation's.
    env.time += 61 * 10**9
    assert env.query(me, "get_icrc3_attributes", get_request(number, message)) == {"Err": {"NoSuchSignature": None}}


def test_list_available_attributes(env):
    number, me = named(env)
    listing = lambda keys: env.query(me, "list_available_attributes",  # noqa: E731
                                     {"identity_number": number, "attributes": wire.opt(keys)})
    row = ("identity:name", b"Alice")
    assert listing(None) == {"Ok": [row]}
    assert listing(["name"]) == {"Ok": [row]}
    assert listing(["identity:name", "email"]) == {"Ok": [row]}
    assert listing(["email", "openid:https://accounts.google.com:name"]) == {"Ok": []}
    assert listing(["sso:dfinity.org:email"])["Err"]["ValidationError"]["problems"][0].startswith(
        "sso:<domain> attribute scope is not supported by the legacy attribute-sharing flow")
    assert listing(["nickname"]) == {"Err": {"ValidationError": {"problems": ["Unknown attribute: nickname"]}}}
    assert listing(["name"] * 101) == {"Err": {"ValidationError": {"problems": ["Too many attributes: 101 (max 100)"]}}}
    assert listing(["name"] * 100 + ["x:name"]) == {"Err": {"ValidationError": {"problems": [
        "Too many attributes: 101 (max 100)", "Unknown attribute scope: x"]}}}
    stranger = principal_of(new_key())
    assert env.query(stranger, "list_available_attributes", {"identity_number": number, "attributes": None}) == {
        "Err": {"AuthorizationError": stranger}}
    nameless, other = named(env, None)
    assert env.query(other, "list_available_attributes", {"identity_number": nameless, "attributes": None}) == {"Ok": []}


@pytest.fixture
def replica(tmp_path):
    from replica.config import Config
    from replica.replica import Replica

    r = Replica(Config(db_path=tmp_path / "replica.sqlite3", dummy_captcha=True), clock=lambda: T0)
    yield r
    r.close()


def alice(replica):
    """A registered identity named Alice on the whole replica (HTTP interface, certificates)."""
    from tests.unit.replica.test_ii_canister_signature import call

    key = new_key()
    me = principal_of(key)
    challenge = call(replica, me, "create_challenge")
    number = call(replica, me, "register", device(key), {"key": challenge["challenge_key"], "chars": "a"},
                  wire.opt(None))["registered"]["user_number"]
    call(replica, me, "identity_properties_replace", number, {"name": wire.opt("Alice")})
    return number, me


def test_the_signature_verifies_against_the_root_key_with_the_dapp_principal_key(replica):
    from replica.auth.signatures import make_verifier
    from tests.unit.replica.test_ii_canister_signature import call

    number, me = alice(replica)
    message = call(replica, me, "prepare_icrc3_attributes",
                   prepare_request(number, [spec("identity:name", b"Alice", True)]))["Ok"]["message"]
    signature = call(replica, me, "get_icrc3_attributes", get_request(number, message), query=True)["Ok"]["signature"]
    user_key, _ = call(replica, me, "prepare_delegation", number, ORIGIN, new_key("session"), wire.opt(None))
    verify = make_verifier(replica.root_key)
    assert signed_payload(message) == b"\x0e" + DOMAIN + message
    verify(user_key, signed_payload(message), signature)  # raises if invalid
    with pytest.raises(ValueError):
        verify(user_key, signed_payload(message + b"x"), signature)
    other_key, _ = call(replica, me, "prepare_delegation", number, "https://other.example", new_key("s"), wire.opt(None))
    with pytest.raises(ValueError):
        verify(other_key, signed_payload(message), signature)


def test_a_numbered_account_signs_with_its_own_key(replica):
    from replica.auth.signatures import make_verifier
    from tests.unit.replica.test_ii_canister_signature import call

    number, me = alice(replica)
    account = call(replica, me, "create_account", number, ORIGIN, "Work")["Ok"]["account_number"][0]
    message = call(replica, me, "prepare_icrc3_attributes",
                   prepare_request(number, [spec("identity:name")], account=account))["Ok"]["message"]
    signature = call(replica, me, "get_icrc3_attributes", get_request(number, message, account=account),
                     query=True)["Ok"]["signature"]
    account_key = call(replica, me, "prepare_account_delegation", number, ORIGIN, wire.opt(account),
                       new_key("session"), wire.opt(None))["Ok"]["user_key"]
    default_key, _ = call(replica, me, "prepare_delegation", number, ORIGIN, new_key("s"), wire.opt(None))
    verify = make_verifier(replica.root_key)
    verify(account_key, signed_payload(message), signature)  # the account's principal vouches for it
    with pytest.raises(ValueError):
        verify(default_key, signed_payload(message), signature)
    # The message of the account is not the default account's; an account of another origin is none here.
    assert call(replica, me, "get_icrc3_attributes", get_request(number, message), query=True) == {
        "Err": {"NoSuchSignature": None}}
    assert call(replica, me, "prepare_icrc3_attributes", prepare_request(
        number, [], origin="https://other.example", account=account)) == {
        "Err": {"GetAccountError": {"NoSuchAccount": {"anchor_number": number, "origin": "https://other.example"}}}}
