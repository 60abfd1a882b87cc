"""The v2 identity API: identity_info, identity_authn_info, metadata and authn methods."""

from __future__ import annotations

import pytest

from replica.canisters.internet_identity import wire
from replica.runtime.contract import CanisterTrap
from tests.unit.replica.test_ii_support import anonymous, authn_method, device, env, new_key, principal_of  # noqa: F401


def metadata_dict(entries):
    return dict(wire.untuple2(e) for e in entries)


def test_identity_info_converts_devices_to_authn_methods(env):
    number, key = env.register(alias="laptop", key_type="platform", credential_id=b"cred", origin="https://id.ai")
    me = principal_of(key)
    phrase = new_key()
    env.update(me, "add", number, device(phrase, "Recovery phrase", purpose="recovery", key_type="seed_phrase"))
    info = env.update(me, "identity_info", number)["Ok"]
    first, second = info["authn_methods"]
    assert first["authn_method"] == {"WebAuthn": {"credential_id": b"cred", "pubkey": key, "aaguid": wire.opt(None)}}
    assert metadata_dict(first["metadata"]) == {
        "alias": {"String": "laptop"}, "origin": {"String": "https://id.ai"},
        "authenticator_attachment": {"String": "platform"},
    }
    assert first["security_settings"] == {"protection": {"Unprotected": None}, "purpose": {"Authentication": None}}
    assert second["authn_method"] == {"PubKey": {"pubkey": phrase}}
    assert metadata_dict(second["metadata"])["usage"] == {"String": "recovery_phrase"}
    assert second["security_settings"]["purpose"] == {"Recovery": None}
    assert info["metadata"] == [] and info["openid_credentials"] == wire.opt([])


def test_identity_info_unauthorized_and_unknown(env):
    number, _ = env.register()
    stranger = principal_of(new_key())
    assert env.update(stranger, "identity_info", number) == {"Err": {"Unauthorized": stranger}}
    assert env.update(stranger, "identity_info", 424_242) == {"Err": {"Unauthorized": stranger}}


def test_identity_authn_info(env):
    number, key = env.register(credential_id=b"c1")
    me = principal_of(key)
    phrase = new_key()
    env.update(me, "add", number, device(phrase, "phrase", purpose="recovery", key_type="seed_phrase"))
    info = env.query(anonymous(), "identity_authn_info", number)
    assert info == {"Ok": {
        "authn_methods": [{"WebAuthn": {"credential_id": b"c1", "pubkey": key, "aaguid": wire.opt(None)}}],
        "recovery_authn_methods": [{"PubKey": {"pubkey": phrase}}],
    }}
    assert env.query(anonymous(), "identity_authn_info", 99_999) == {"Err": None}


def test_identity_metadata_replace(env):
    number, key = env.register()
    me = principal_of(key)
    metadata = [wire.tuple2("recoveryPageShownTimestampMillis", {"String": "123"}),
                wire.tuple2("nested", {"Map": [wire.tuple2("b", {"Bytes": b"\x01"})]})]
    assert env.update(me, "identity_metadata_replace", number, metadata) == {"Ok": None}
    assert metadata_dict(env.update(me, "identity_info", number)["Ok"]["metadata"]) == metadata_dict(metadata)
    too_big = [wire.tuple2("x", {"Bytes": b"x" * 5000})]
    err = env.update(me, "identity_metadata_replace", number, too_big)["Err"]["StorageSpaceExceeded"]
    assert err["space_required"] == 5001 and err["space_available"] < 5000
    stranger = principal_of(new_key())
    assert env.update(stranger, "identity_metadata_replace", number, []) == {"Err": {"Unauthorized": stranger}}


def test_authn_method_add_replace_remove(env):
    number, key = env.register()
    me = principal_of(key)
    k2, k3 = new_key(), new_key()
    assert env.update(me, "authn_method_add", number, authn_method(k2, credential_id=b"c2")) == {"Ok": None}
    assert env.update(me, "authn_method_replace", number, k2, authn_method(k3)) == {"Ok": None}
    assert {d["pubkey"] for d in env.query(anonymous(), "lookup", number)} == {key, k3}
    assert env.update(me, "authn_method_replace", number, k2, authn_method(new_key())) == {"Err": {"AuthnMethodNotFound": None}}
    assert env.update(me, "authn_method_replace", number, k3, authn_method(key)) == {"Err": {"PasskeyWithThisPublicKeyIsAlreadyUsed": None}}
    assert env.update(me, "authn_method_remove", number, k3) == {"Ok": None}
    assert env.update(me, "authn_method_remove", number, k3) == {"Err": None}
    with pytest.raises(CanisterTrap, match="passkey with this public key is already used"):
        env.update(me, "authn_method_add", number, authn_method(key))
    bad = authn_method(new_key(), extra={"origin": {"Bytes": b"x"}})
    assert "Invalid metadata type for key 'origin'" in env.update(me, "authn_method_add", number, bad)["Err"]["InvalidMetadata"]
    reserved = authn_method(new_key(), extra={"pubkey": {"String": "x"}})
    assert "reserved" in env.update(me, "authn_method_add", number, reserved)["Err"]["InvalidMetadata"]
    with pytest.raises(CanisterTrap, match="could not be authenticated"):
        env.update(principal_of(new_key()), "authn_method_add", number, authn_method(new_key()))


def test_authn_method_metadata_and_security_settings(env):
    number, key = env.register()
    me = principal_of(key)
    new_meta = [wire.tuple2("alias", {"String": "renamed"}), wire.tuple2("custom", {"String": "v"})]
    assert env.update(me, "authn_method_metadata_replace", number, key, new_meta) == {"Ok": None}
    (method,) = env.update(me, "identity_info", number)["Ok"]["authn_methods"]
    assert metadata_dict(method["metadata"]) == {"alias": {"String": "renamed"}, "custom": {"String": "v"}}
    assert env.update(me, "authn_method_metadata_replace", number, b"nope", new_meta) == {"Err": {"AuthnMethodNotFound": None}}
    settings = {"protection": {"Unprotected": None}, "purpose": {"Recovery": None}}
    assert env.update(me, "authn_method_security_settings_replace", number, key, settings) == {"Ok": None}
    (method,) = env.update(me, "identity_info", number)["Ok"]["authn_methods"]
    assert method["security_settings"] == settings
    assert env.update(me, "authn_method_security_settings_replace", number, b"nope", settings) == {"Err": {"AuthnMethodNotFound": None}}
    with pytest.raises(CanisterTrap, match="Only recovery phrases can be locked"):
        env.update(me, "authn_method_security_settings_replace", number, key,
                   {"protection": {"Protected": None}, "purpose": {"Recovery": None}})


def test_protected_phrase_via_v2(env):
    number, key = env.register()
    me = principal_of(key)
    phrase = new_key()
    data = authn_method(phrase, alias="Recovery phrase", protection="Protected", purpose="Recovery",
                        extra={"usage": {"String": "recovery_phrase"}})
    assert env.update(me, "authn_method_add", number, data) == {"Ok": None}
    with pytest.raises(CanisterTrap, match="Device is locked"):
        env.update(me, "authn_method_remove", number, phrase)
    with pytest.raises(CanisterTrap, match="Device is locked"):
        env.update(me, "authn_method_replace", number, phrase, authn_method(new_key()))
    assert env.update(principal_of(phrase), "authn_method_remove", number, phrase) == {"Ok": None}
