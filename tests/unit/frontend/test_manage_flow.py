"""The manage flow under CPython: scripted clicks (`FakeUi`), the real replica in-process, an
injected clock. Each test is one path through `app.flows.manage.manage`, its happy path or a refusal."""

from __future__ import annotations

import asyncio

import pytest

from ic.agent import Ed25519Identity

from app.canister.devices import MAX_PASSKEYS, AnchorInfo, Device
from app.flows import manage as flow
from app.flows.manage import ALREADY_HERE, LOCKED, Back, SignedOut, manage
from app.passkeys import PasskeyError, PasskeyFailure
from app.remembered import STORAGE_KEY, Remembered, parse_remembered, remember, serialize_remembered
from app.ui.screen import Click
from tests.unit.frontend.flow_fakes import ORIGIN, FakePrompt, FakeUi, ScriptEnded, make_env, page_of, register
from tests.unit.ic.soft_authenticator import ES256, SoftAuthenticator

ALIAS = "#pickAliasInput"
CONFIRM = "#confirmRemoveDeviceAlias"


def run(coroutine):
    return asyncio.run(coroutine)


def message_of(ui: FakeUi) -> str:
    """The manage page's message on the last page shown."""
    page = next(s for s in reversed(ui.shown) if page_of(s) == "manage")
    start = page.markup.find('data-role="manage-message">')
    return "" if start < 0 else page.markup[start:page.markup.index("</p>", start)]


def devices(client, anchor) -> tuple[Device, ...]:
    return run(client.anchor_info(anchor)).devices


def passkey(n: int) -> Device:
    return Device(pubkey=Ed25519Identity.generate().public_key_der(), alias=f"Passkey {n}",
                  credential_id=bytes([n]) * 16, key_type="platform", origin=ORIGIN)


def test_rename_then_sign_out(replica):
    who, client = register(replica)
    ui = FakeUi([Click("rename-0"), Click("rename", {ALIAS: "  My   laptop "}), Click("logout")])
    assert run(manage(make_env(replica), ui, who)) == SignedOut()
    assert ui.pages == ["busy", "manage", "pick-alias", "busy", "busy", "manage"]
    assert "Renamed to “My laptop”." in message_of(ui)
    assert devices(client, who.anchor)[0].alias == "My laptop"


def test_a_bad_name_is_said_and_nothing_is_written(replica):
    who, client = register(replica)
    ui = FakeUi([Click("rename-0"), Click("rename", {ALIAS: "   "}), Click("back"), Click("logout")])
    run(manage(make_env(replica), ui, who))
    rename_again = ui.shown[3]
    assert page_of(rename_again) == "pick-alias" and "Give the passkey a name." in rename_again.markup
    assert devices(client, who.anchor)[0].alias == "Passkey"


def test_add_a_passkey_here_with_dummy_auth(replica):
    who, client = register(replica)
    ui = FakeUi([Click("add-device"), Click("add-here"), Click("create-passkey", {ALIAS: "Phone"}), Click("logout")])
    run(manage(make_env(replica), ui, who))
    assert "“Phone” was added." in message_of(ui)
    assert [d.alias for d in devices(client, who.anchor)] == ["Passkey", "Phone"]


def test_with_prompt_for_index_the_added_passkey_is_the_test_key_of_the_index_asked(replica):
    from app.flows.dummy_auth import credential_id_for_index

    who, client = register(replica)
    prompt = FakePrompt([None, "x", "5"])  # cancelled, not a number, then index 5
    ui = FakeUi([Click("add-device"), Click("add-here"), *[Click("create-passkey", {ALIAS: "Phone"})] * 3,
                 Click("logout")])
    run(manage(make_env(replica, prompt_for_index=True, prompt=prompt), ui, who))
    named = [s for s in ui.asked if page_of(s) == "pick-alias"]
    assert "No index was given" in named[1].markup and "not a number" in named[2].markup
    assert [d.credential_id for d in devices(client, who.anchor)][1:] == [credential_id_for_index(5)]
    assert len(prompt.asked) == 3


def test_add_a_passkey_here_with_a_real_prompt_started_in_the_click(replica):
    who, client = register(replica)
    authenticator = SoftAuthenticator(ES256)
    started = []

    def start_create(options):
        started.append(options.exclude_credentials)  # synchronously, inside the click

        async def created():
            from app.passkeys import NewCredential

            return NewCredential(authenticator.credential_id, authenticator.attestation_object(),
                                 authenticator.client_data_json(options.challenge, kind="webauthn.create"))
        return created()

    ui = FakeUi([Click("add-device"), Click("add-here"), Click("create-passkey", {ALIAS: "Key"}), Click("logout")])
    run(manage(make_env(replica, dummy_auth=False, start_create=start_create), ui, who))
    assert len(started) == 1 and len(started[0]) == 1  # the identity's passkey is excluded
    added = devices(client, who.anchor)[1]
    assert added.alias == "Key" and added.credential_id == authenticator.credential_id


def test_a_bad_name_opens_no_prompt_and_a_refused_prompt_is_explained(replica):
    who, client = register(replica)
    prompts = []

    def start_create(options):
        prompts.append(options)

        async def refused():
            raise PasskeyError(PasskeyFailure.ALREADY_REGISTERED, "InvalidStateError")
        return refused()

    ui = FakeUi([Click("add-device"), Click("add-here"), Click("create-passkey", {ALIAS: ""}),
                 Click("create-passkey", {ALIAS: "Again"}), Click("back"), Click("logout")])
    run(manage(make_env(replica, dummy_auth=False, start_create=start_create), ui, who))
    assert len(prompts) == 1
    named_again = [s for s in ui.shown if page_of(s) == "pick-alias"]
    assert "Give the passkey a name." in named_again[1].markup
    assert ALREADY_HERE.split(".")[0] in named_again[2].markup and 'value="Again"' in named_again[2].markup
    assert len(devices(client, who.anchor)) == 1


def test_remove_after_the_name_is_typed_back(replica):
    who, client = register(replica)
    run(client.add_device(who.anchor, passkey(2)))
    ui = FakeUi([Click("remove-1"), Click("confirm-remove", {CONFIRM: "Passkey"}),
                 Click("confirm-remove", {CONFIRM: " Passkey  2 "}), Click("logout")])
    run(manage(make_env(replica), ui, who))
    assert "does not match" in ui.shown[3].markup
    assert "“Passkey 2” was removed." in message_of(ui)
    assert [d.alias for d in devices(client, who.anchor)] == ["Passkey"]


def test_removing_the_device_in_use_signs_out(replica):
    who, client = register(replica)
    run(client.add_device(who.anchor, passkey(2)))
    ui = FakeUi([Click("remove-0"), Click("confirm-remove", {CONFIRM: "Passkey"}), Click("continue")])
    assert run(manage(make_env(replica), ui, who)) == SignedOut()
    assert "signs you out" in ui.shown[2].markup
    assert page_of(ui.last) == "manage-notice" and "you are signed out" in ui.last.markup


def test_a_locked_phrase_is_not_removed(replica):
    who, client = register(replica)
    phrase = Device(pubkey=Ed25519Identity.generate().public_key_der(), alias="Recovery phrase",
                    purpose="recovery", key_type="seed_phrase", protection="protected")
    run(client.add_device(who.anchor, phrase))
    ui = FakeUi([Click("remove-1"), Click("logout")])
    run(manage(make_env(replica), ui, who))
    assert LOCKED.split(":")[0] in message_of(ui)
    assert len(devices(client, who.anchor)) == 2


def test_the_passkey_limit_is_said_before_any_prompt(replica):
    who, client = register(replica)
    for n in range(2, MAX_PASSKEYS + 1):
        run(client.add_device(who.anchor, passkey(n)))
    ui = FakeUi([Click("add-device"), Click("logout")])
    run(manage(make_env(replica), ui, who))
    assert ui.pages == ["busy", "manage", "manage"]
    assert f"at most {MAX_PASSKEYS} passkeys" in message_of(ui)


def test_a_refused_change_is_shown_and_the_page_stays(replica):
    who, client = register(replica)
    second = passkey(2)
    run(client.add_device(who.anchor, second))

    def rename_after_it_is_gone(_screen):
        run_elsewhere(client.remove_device(who.anchor, second.pubkey))
        return Click("rename", {ALIAS: "Gone"})

    ui = FakeUi([Click("rename-1"), rename_after_it_is_gone, Click("logout")])
    run(manage(make_env(replica), ui, who))
    assert 'class="error" role="alert" data-role="manage-message">Internet Identity could not do that' in \
        ui.shown[-1].markup


def run_elsewhere(coroutine):
    """Another device's change, while the flow waits on a screen."""
    import threading

    result = []
    thread = threading.Thread(target=lambda: result.append(asyncio.run(coroutine)))
    thread.start()
    thread.join()


def test_an_ended_session_cannot_load_the_page(replica):
    who, _ = register(replica)
    stranger = type(who)(who.anchor, Ed25519Identity.generate(), who.authn_method, who.device_pubkey)
    ui = FakeUi([Click("retry")])
    assert run(manage(make_env(replica), ui, stranger)) == SignedOut()
    assert page_of(ui.last) == "error" and "Could not load your identity" in ui.last.markup
    assert "Sign in again" in ui.last.markup


def test_the_script_must_match_the_screen(replica):
    who, _ = register(replica)
    with pytest.raises(AssertionError, match="no action"):
        run(manage(make_env(replica), FakeUi([Click("rename-7")]), who))
    with pytest.raises(ScriptEnded):
        run(manage(make_env(replica), FakeUi([]), who))


def test_the_canister_name_is_remembered_for_a_remembered_identity(replica):
    who, _ = register(replica)
    storage = {STORAGE_KEY: serialize_remembered(remember(Remembered(), who.anchor, 1))}
    env = make_env(replica, storage=storage)
    flow.remember_name(env, AnchorInfo(who.anchor, (), None, name="Alice"))
    assert parse_remembered(storage[STORAGE_KEY]).anchors[0].name == "Alice"
    flow.remember_name(env, AnchorInfo(12345, (), None, name="Bob"))  # not remembered: nothing added
    assert [a.number for a in parse_remembered(storage[STORAGE_KEY]).anchors] == [who.anchor]


def test_every_page_action_is_in_the_markup_and_the_reverse(replica):
    who, _ = register(replica)
    phrase = Device(pubkey=b"\x01" * 44, alias="Recovery phrase", purpose="recovery", key_type="seed_phrase")
    locked = Device(pubkey=b"\x02" * 44, alias="Recovery phrase", purpose="recovery", key_type="seed_phrase",
                    protection="protected")
    key = Device(pubkey=b"\x03" * 44, alias="Recovery key", purpose="recovery", key_type="cross_platform")
    from tests.unit.frontend.flow_fakes import check_actions

    for extra in ((), (phrase,), (locked, key)):
        info = AnchorInfo(who.anchor, (passkey(1), *extra), None)
        check_actions(flow.page_screen(info, 0, who))
    check_actions(flow.rename_screen(passkey(1)))
    check_actions(flow.confirm_remove_screen(AnchorInfo(1, (passkey(1),), None), passkey(1), who))
    check_actions(flow.add_choice_screen())
    check_actions(flow.new_passkey_screen("x", None, lambda _v: None))
    check_actions(flow.signed_out_screen(passkey(1)))
    assert isinstance(Back(), Back)
