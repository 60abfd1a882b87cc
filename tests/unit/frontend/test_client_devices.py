"""The frontend's II client for device management, against the real replica in-process: the calls
and shapes the manage, add-device and recovery flows rely on (v1 and v2)."""

from __future__ import annotations

import asyncio

import pytest

from ic.agent import Agent, AnonymousIdentity, AsgiTransport, Ed25519Identity

from app.canister.client import Credential, DeviceError, IIClient, Solved
from app.canister.errors import AlreadyUsed, PhraseLocked
from app.canister.devices import AnchorInfo, Device, validate_alias

II = "rdmx6-jaaaa-aaaaa-aaadq-cai"


def run(coro):
    return asyncio.run(coro)


def client_for(replica, identity=None) -> IIClient:
    agent = Agent(AsgiTransport(replica.api), identity or AnonymousIdentity(), fetch_root_key=True)
    return IIClient(agent, II)


def passkey(n: int) -> Device:
    key = Ed25519Identity.generate()
    return Device(pubkey=key.public_key_der(), alias=f"Passkey {n}", credential_id=bytes([n]) * 16,
                  key_type="platform", origin="http://localhost:4943")


@pytest.fixture
def signed_in(replica):
    """(client signed as the new identity's temporary key, identity number, first device)."""
    session = Ed25519Identity.generate()
    client = client_for(replica, session)
    first = Ed25519Identity.generate()
    run(client.registration_start())
    assert run(client.check_captcha("a")) == Solved()
    anchor = run(client.registration_finish(Credential(b"\x01" * 16, first.public_key_der()), alias="Passkey"))
    return client, anchor, first


def test_anchor_info_lists_the_first_passkey(signed_in):
    client, anchor, first = signed_in
    info = run(client.anchor_info(anchor))
    assert isinstance(info, AnchorInfo) and info.anchor == anchor
    assert [d.pubkey for d in info.passkeys] == [first.public_key_der()]
    assert info.passkeys[0].alias == "Passkey" and info.recoveries == () and info.registration is None


def test_add_rename_and_remove(signed_in):
    client, anchor, _ = signed_in
    extra = passkey(2)
    run(client.add_device(anchor, extra))
    run(client.update_device(anchor, extra.renamed("Laptop")))
    info = run(client.anchor_info(anchor))
    assert info.device(extra.pubkey).alias == "Laptop"
    assert info.device(extra.pubkey).key_type == "platform"
    run(client.remove_device(anchor, extra.pubkey))
    assert run(client.anchor_info(anchor)).device(extra.pubkey) is None


def test_recovery_phrase_device_replace_and_protect(signed_in):
    client, anchor, _ = signed_in
    phrase = Device(pubkey=Ed25519Identity.generate().public_key_der(), alias="Recovery phrase",
                    purpose="recovery", key_type="seed_phrase")
    run(client.add_device(anchor, phrase))
    replacement = Device(pubkey=Ed25519Identity.generate().public_key_der(), alias="Recovery phrase",
                         purpose="recovery", key_type="seed_phrase", protection="protected")
    run(client.replace_device(anchor, phrase.pubkey, replacement))
    info = run(client.anchor_info(anchor))
    assert info.recovery_phrase.pubkey == replacement.pubkey and info.recovery_phrase.is_protected
    # a protected phrase can only be changed by the phrase itself
    with pytest.raises(PhraseLocked):
        run(client.remove_device(anchor, replacement.pubkey))


def test_adding_a_used_passkey_is_refused(signed_in, replica):
    client, anchor, first = signed_in
    with pytest.raises(AlreadyUsed):
        run(client.add_device(anchor, Device(pubkey=first.public_key_der(), alias="Again",
                                             credential_id=b"\x09" * 16)))


def test_tentative_device_v1(signed_in, replica):
    client, anchor, _ = signed_in
    new_device = client_for(replica)
    with pytest.raises(DeviceError) as off:
        run(new_device.add_tentative_device(anchor, passkey(3)))
    assert off.value.reason == "device_registration_mode_off"
    run(client.enter_registration_mode(anchor))
    device = passkey(3)
    code, _expiration = run(new_device.add_tentative_device(anchor, device))
    assert len(code) == 6 and code.isdigit()
    waiting = run(client.anchor_info(anchor)).registration
    assert waiting is not None and waiting.device.pubkey == device.pubkey
    wrong = "000000" if code != "000000" else "111111"
    with pytest.raises(DeviceError) as mistake:
        run(client.verify_tentative_device(anchor, wrong))
    assert mistake.value.retries_left == 2
    run(client.verify_tentative_device(anchor, code))
    assert run(client.anchor_info(anchor)).device(device.pubkey).alias == "Passkey 3"


def test_tentative_device_v2_with_a_registration_id(signed_in, replica):
    client, anchor, _ = signed_in
    run(client.registration_mode_enter(anchor, "ab12Z"))
    new_device = client_for(replica)
    assert run(new_device.lookup_registration_id("ab12Z")) == anchor
    device = passkey(4)
    code, _ = run(new_device.authn_method_register(anchor, device))
    with pytest.raises(DeviceError) as another:
        run(new_device.authn_method_register(anchor, passkey(5)))
    assert another.value.reason == "RegistrationAlreadyInProgress"
    run(client.authn_method_confirm(anchor, code))
    added = run(client.anchor_info(anchor)).device(device.pubkey)
    assert added == Device.from_device_data(added.to_device_data())
    assert (added.alias, added.key_type, added.origin) == ("Passkey 4", "platform", "http://localhost:4943")
    assert run(new_device.lookup_registration_id("ab12Z")) is None


def test_three_wrong_codes_drop_the_registration_v2(signed_in, replica):
    client, anchor, _ = signed_in
    run(client.registration_mode_enter(anchor))
    code, _ = run(client_for(replica).authn_method_register(anchor, passkey(6)))
    wrong = "000000" if code != "000000" else "111111"
    retries = []
    for _ in range(3):
        with pytest.raises(DeviceError) as mistake:
            run(client.authn_method_confirm(anchor, wrong))
        retries.append(mistake.value.retries_left)
    assert retries == [2, 1, 0]
    with pytest.raises(DeviceError) as off:
        run(client.authn_method_confirm(anchor, code))
    assert off.value.reason == "RegistrationModeOff"


@pytest.mark.parametrize("device", [
    passkey(7),
    Device(pubkey=b"\x30" * 44, alias="Recovery phrase", purpose="recovery", key_type="seed_phrase",
           protection="protected", origin="http://localhost:4943"),
    Device(pubkey=b"\x31" * 77, alias="Recovery key", credential_id=b"\x07" * 20, purpose="recovery",
           key_type="cross_platform", aaguid=b"\x00" * 16),
])
def test_both_wire_shapes_round_trip(device):
    assert Device.from_device_data(device.to_device_data()) == device
    assert Device.from_authn_method(device.to_authn_method()) == device


def test_alias_rules():
    assert validate_alias("  My   laptop ") == "My laptop"
    with pytest.raises(ValueError, match="name"):
        validate_alias("   ")
    with pytest.raises(ValueError, match="64 bytes"):
        validate_alias("é" * 40)
