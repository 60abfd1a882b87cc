"""The pure parts of managing an identity: wording, warnings, limits, links, QR codes."""

from __future__ import annotations

import pytest

from app.canister.devices import MAX_PASSKEYS, AnchorInfo, Device
from app.flows.add_device import registration_id
from app.canister.errors import AlreadyUsed, Refused, SessionEnded, Unreachable, refusal
from app.flows.manage import add_limit_problem, next_passkey_alias, removal_warnings
from app.flows.recovery import confirmation_positions, wrong_words
from app.routing import AddDeviceLink, Route, add_device_link, route_for, valid_registration_id
from app.ui.add_device import countdown
from app.ui.manage import DAY_NS, kind, last_used, render_confirm_remove, render_manage

NOW = 1_800_000_000 * 10**9


def device(n: int, **fields) -> Device:
    return Device(pubkey=bytes([n]) * 44, alias=f"Passkey {n}", credential_id=bytes([n]) * 16, **fields)


PHRASE = Device(pubkey=b"\x99" * 44, alias="Recovery phrase", purpose="recovery", key_type="seed_phrase",
                protection="protected")


def info(*devices: Device) -> AnchorInfo:
    return AnchorInfo(10000, devices, None)


def test_last_used_in_words():
    assert last_used(None, NOW) == "never"
    assert last_used(NOW - 5, NOW) == "today"
    assert last_used(NOW - DAY_NS - 5, NOW) == "yesterday"
    assert last_used(NOW - 3 * DAY_NS, NOW) == "3 days ago"
    assert last_used(NOW - 90 * DAY_NS, NOW) == "17 Oct 2026"


def test_kinds():
    assert kind(device(1, key_type="platform")) == "Passkey on a device"
    assert kind(device(1, key_type="cross_platform", purpose="recovery")) == "Recovery security key"
    assert kind(PHRASE) == "Recovery phrase"


def test_page_lists_passkeys_and_recoveries_apart():
    markup = render_manage(info(device(1), PHRASE), NOW, device(1).pubkey)
    passkeys, recoveries = markup.split('data-role="recoveries"')
    assert 'data-device="Passkey 1"' in passkeys and 'data-role="current-device"' in passkeys
    assert 'data-device="Recovery phrase"' in recoveries and 'data-role="protected"' in recoveries
    assert 'data-action="unprotect-1"' in recoveries and "addRecoveryPhrase" not in markup
    assert 'id="addAdditionalDevice"' in markup and 'id="logoutButton"' in markup


def test_aliases_are_escaped():
    markup = render_manage(info(device(1).renamed('<b>"x"</b>')), NOW, None)
    assert "<b>" not in markup and "&lt;b&gt;" in markup
    assert "&lt;b&gt;" in render_confirm_remove(device(1).renamed("<b>"), [])


def test_removal_warnings():
    only = device(1)
    assert "last way into" in removal_warnings(info(only), only, None)[0]
    last_passkey = removal_warnings(info(only, PHRASE), only, only.pubkey)
    assert "last passkey" in last_passkey[0] and "signs you out" in last_passkey[1]
    assert removal_warnings(info(device(1), device(2)), device(2), device(1).pubkey) == []


def test_limits_and_default_names():
    full = info(*[device(n) for n in range(MAX_PASSKEYS)])
    assert f"at most {MAX_PASSKEYS} passkeys" in add_limit_problem(full)
    assert add_limit_problem(info(device(1))) is None
    assert next_passkey_alias(info(device(1), device(2))) == "Passkey 3"
    assert next_passkey_alias(info(device(3))) == "Passkey 2"


def test_refusals_are_typed_once_at_the_client_boundary():
    from ic.agent import RejectError, TransportError

    ended = refusal(RejectError(5, "caller 2vxsx could not be authenticated"))
    assert isinstance(ended, SessionEnded) and "Sign in again" in str(ended)
    assert isinstance(refusal(RejectError(5, "passkey with this public key is already used")), AlreadyUsed)
    odd = refusal(RejectError(5, "odd"))
    assert isinstance(odd, Refused) and str(odd).endswith("odd")
    assert isinstance(refusal(TransportError("down")), Unreachable)


def test_add_device_links():
    assert route_for("/pair", "#ab12Z") is Route.ADD_DEVICE
    assert add_device_link("/pair", "", "#ab12Z") == AddDeviceLink(registration_id="ab12Z")
    assert route_for("/", "", "?action=add-passkey&ii=10003") is Route.ADD_DEVICE
    assert add_device_link("/", "?action=add-passkey&ii=10003", "") == AddDeviceLink(anchor=10003)
    assert add_device_link("/", "?action=add-passkey&ii=x", "") == AddDeviceLink(anchor=-1)
    assert route_for("/", "", "?canisterId=abc") is Route.LANDING
    assert AddDeviceLink(registration_id="ab12Z").url("http://x.localhost:1") == "http://x.localhost:1/pair#ab12Z"
    assert AddDeviceLink(anchor=7).url("http://x") == "http://x/?action=add-passkey&ii=7"
    assert not valid_registration_id("ab1") and not valid_registration_id("ab 12") and valid_registration_id("Zz009")


def test_registration_ids_and_countdown():
    assert valid_registration_id(registration_id(bytes([0, 61, 62, 255, 7])))
    assert countdown(900 * 10**9) == "15:00" and countdown(61 * 10**9 + 5) == "1:01" and countdown(-5) == "0:00"


def test_phrase_confirmation():
    positions = confirmation_positions(bytes([3, 3, 27, 5, 0, 9]))
    assert positions == [0, 3, 5, 9]  # distinct, in order, modulo 24
    assert len(confirmation_positions(bytes(range(32)))) == 4
    words = ["alpha", "bravo", "charlie"]
    assert wrong_words(words, {0: " Alpha ", 2: "delta"}) == [2]


@pytest.mark.parametrize("text", ["http://rdmx6-jaaaa-aaaaa-aaadq-cai.localhost:4943/pair#ab12Z", "x"])
def test_qr_svg(text):
    import segno

    from app.qr import qr_svg

    svg = qr_svg(text, label='a "link"')
    size = segno.make_qr(text, error="m", boost_error=False).symbol_size(border=4)[0]
    assert svg.startswith("<svg") and f'viewBox="0 0 {size} {size}"' in svg and "&quot;link&quot;" in svg
    assert svg.count("h1v1h-1z") > 3 * 49  # at least the three 7x7 finder patterns' modules
