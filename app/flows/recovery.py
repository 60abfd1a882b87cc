"""Recovering an identity (issue 6 item 5; ii-facts §5 "Recovery phrase"), and the phrase helpers
the recovery methods of the manage page share (`app.flows.recovery_methods`).

- `recover` ("Lost access?"): with the phrase (the 24 words alone, or the classic
  `"<number> <words>"` form; spacing and case do not matter; a wrong word is named) or with the
  recovery security key; then the person is offered a new passkey on this device (the screen names
  the identity, with its name where it has one), and is signed in. With the words alone, the
  identity is the one `lookup_caller_identity_by_recovery_phrase` finds for the phrase's key (the
  call is signed by that key), as the current II does.

Signing as the phrase: its Ed25519 key (SLIP-0010, `app.recovery.phrase`) signs one delegation to
the page's session key, as a passkey does at sign-in, so later calls are signed by WebCrypto.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Awaitable, Callable, Optional, Sequence, TypeVar, Union

from ic.agent import DelegationIdentity, Ed25519Identity
from ic.delegation import Delegation, DelegationChain, SignedDelegation, delegation_payload
from ic.webauthn import encode_webauthn_signature

from app.canister.devices import RECOVERY_PHRASE_ALIAS, Device
from app.canister.errors import CanisterError
from app.flows.authenticate import (DUMMY_CREDENTIAL_BYTES, SignedIn, dummy_device,
                                    frontend_delegation, parse_identity_number, session_identity)
from app.flows.env import Env
from app.flows.new_passkey import ALIAS_INPUT, named_passkey, start_named_passkey
from app.passkeys import Assertion, PasskeyError, RequestOptions
from app.protocol.request import AuthnMethod
from app.recovery.phrase import ParsedPhrase, parse_recovery_input, recovery_key_seed
from app.ui import manage as manage_screens
from app.ui import recovery as screens
from app.ui.screen import Screen, Ui, busy_screen

CONFIRM_WORDS = 4
T = TypeVar("T")
NO_IDENTITY = ("Could not use recovery phrase: no identity has this recovery phrase. Check the words; if your "
               "phrase was shown with an identity number, you can type that number in front of the words.")


def confirmation_positions(random_bytes: bytes, count: int = CONFIRM_WORDS, words: int = 24) -> list[int]:
    """Distinct word positions to ask for, in order, chosen by `random_bytes`."""
    chosen: list[int] = []
    for byte in random_bytes:
        position = byte % words
        if position not in chosen:
            chosen.append(position)
        if len(chosen) == count:
            break
    return sorted(chosen)


def wrong_words(words: Sequence[str], answers: dict[int, str]) -> list[int]:
    """Positions (0-based) whose typed word is not the phrase's."""
    return [p for p, typed in answers.items() if typed.strip().lower() != words[p]]


def phrase_identity(words: Sequence[str]) -> Ed25519Identity:
    return Ed25519Identity.from_seed(recovery_key_seed(words))


def phrase_device(words: Sequence[str], origin: str, *, protected: bool = False) -> Device:
    return Device(pubkey=phrase_identity(words).public_key_der(), alias=RECOVERY_PHRASE_ALIAS,
                  purpose="recovery", key_type="seed_phrase",
                  protection="protected" if protected else "unprotected", origin=origin)


async def phrase_sign_in(env: Env, anchor: int, key: Ed25519Identity) -> SignedIn:
    """Signed in as the phrase `key`: it signs one delegation to a new session key."""
    session = await env.new_session_key()
    delegation = frontend_delegation(session, env.now_ns())
    signature = await key.sign(delegation_payload(delegation))
    chain = DelegationChain((SignedDelegation(delegation, signature),), key.public_key_der())
    return SignedIn(anchor, DelegationIdentity(session_identity(session), chain), AuthnMethod.RECOVERY,
                    key.public_key_der())


PHRASE_INPUT = "#recoveryPhraseInput"
NUMBER_INPUT = "#userNumberInput"


@dataclass(frozen=True)
class KeyAssertion:
    """The click on "Continue" with a recovery security key: the delegation its prompt signs."""

    delegation: Delegation
    pending: Optional[Awaitable[Assertion]] = None  # None with dummy auth


# -- screens ---------------------------------------------------------------------------------------


def choice_screen() -> Screen:
    return Screen(screens.render_recover_choice(), ("phrase", "device", "back"))


def enter_phrase_screen(title: str, explanation: str, message: Optional[str] = None, value: str = "") -> Screen:
    return Screen(screens.render_enter_phrase(title, explanation, message, value), ("continue", "back"),
                  reads=(PHRASE_INPUT,))


def key_number_screen(message: Optional[str] = None) -> Screen:
    return Screen(screens.render_recovery_key_number(message), ("continue", "back"), reads=(NUMBER_INPUT,))


def insert_key_screen(anchor: int, start) -> Screen:
    return Screen(screens.render_insert_key(anchor), ("use-key", "back"), starts={"use-key": start})


def new_passkey_screen(who: SignedIn, value: str, message: Optional[str], start, name: Optional[str] = None) -> Screen:
    return Screen(manage_screens.render_alias(
        f"You are back in “{name}” (identity {who.anchor})" if name else f"You are back in identity {who.anchor}",
        "Add a passkey on this device, so you can sign in without your recovery method next time.",
        value, "create-passkey", "Add a passkey", message, cancel_label="Not now"),
        ("create-passkey", "back"), reads=(ALIAS_INPUT,), starts={"create-passkey": start})


# -- "Lost access?" --------------------------------------------------------------------------------


async def recover(env: Env, ui: Ui) -> Optional[SignedIn]:
    """Signed in with a recovery method (a passkey here offered), or None: the person went back."""
    while True:
        click = await ui.ask(choice_screen())
        if click.action == "back":
            return None
        who = await (with_phrase(env, ui) if click.action == "phrase" else with_key(env, ui))
        if who is not None:
            return await offer_passkey(env, ui, who)


async def ask_typed_phrase(ui: Ui, title: str, explanation: str,
                           check: Callable[[ParsedPhrase], Awaitable[Union[T, str]]]) -> Optional[T]:
    """Asks for a recovery phrase until `check` accepts the words typed: it answers its result, or
    a str saying why not (shown above the words, which stay typed); None: the person went back."""
    message, value = None, ""
    while True:
        click = await ui.ask(enter_phrase_screen(title, explanation, message, value))
        if click.action == "back":
            return None
        value = click.text(PHRASE_INPUT)
        parsed = parse_recovery_input(value)
        if not parsed.usable:
            message = " ".join(parsed.problems)
            continue
        outcome = await check(parsed)
        if not isinstance(outcome, str):
            return outcome
        message = outcome


async def with_phrase(env: Env, ui: Ui) -> Optional[SignedIn]:
    """The 24 words, with or without the identity number in front (the classic `"<number> <words>"`
    form); spacing and case do not matter; a wrong word is named."""

    async def sign_in(parsed: ParsedPhrase) -> Union[SignedIn, str]:
        key = phrase_identity(parsed.words)
        if parsed.anchor is None:
            ui.show(busy_screen("Looking up the identity of this recovery phrase…"))
            try:
                anchor = await (await env.ii(key)).identity_by_recovery_phrase()
            except CanisterError as exc:
                return f"Could not use recovery phrase: {exc}"
            if anchor is None:
                return NO_IDENTITY
            return await phrase_sign_in(env, anchor, key)
        ui.show(busy_screen("Checking your recovery phrase…"))
        try:
            _, phrases = await (await env.ii()).recovery_methods(parsed.anchor)
        except CanisterError as exc:
            return f"Could not use recovery phrase: {exc}"
        if key.public_key_der() not in phrases:
            return (f"Could not use recovery phrase: it is not the recovery phrase of identity {parsed.anchor}. "
                    "Check the identity number and the words.")
        return await phrase_sign_in(env, parsed.anchor, key)

    return await ask_typed_phrase(
        ui, "Recover with your recovery phrase",
        "Type the 24 words of your recovery phrase. If it was shown with your identity number, you can "
        "type the number in front of the words.", sign_in)


async def with_key(env: Env, ui: Ui) -> Optional[SignedIn]:
    message = None
    while True:
        click = await ui.ask(key_number_screen(message))
        if click.action == "back":
            return None
        anchor = parse_identity_number(click.text(NUMBER_INPUT))
        if anchor is None:
            message = "Enter your identity number (digits only)."
            continue
        ui.show(busy_screen("Looking up your identity…"))
        try:
            recovery_keys, _ = await (await env.ii()).recovery_methods(anchor)
            session = await env.new_session_key()
        except CanisterError as exc:
            message = str(exc)
            continue
        keys = {c.credential_id: c.pubkey for c in recovery_keys}
        if not keys:
            message = f"Identity {anchor} has no recovery security key."
            continue
        click = await ui.ask(insert_key_screen(anchor, lambda _values: start_key_assertion(env, keys, session)))
        if click.action == "back":
            return None
        signed = await key_sign_in(env, ui, anchor, keys, session, click.started)
        if isinstance(signed, SignedIn):
            return signed
        message = signed


def start_key_assertion(env: Env, keys: dict[bytes, bytes], session) -> KeyAssertion:
    """Inside the click: the WebAuthn prompt starts first."""
    delegation = frontend_delegation(session, env.now_ns())
    if env.config.dummy_auth:
        return KeyAssertion(delegation)
    return KeyAssertion(delegation, env.start_get(RequestOptions(
        challenge=delegation_payload(delegation), rp_id=env.rp_id, allow_credentials=tuple(keys))))


async def key_sign_in(env: Env, ui: Ui, anchor: int, keys: dict[bytes, bytes], session,
                      started: KeyAssertion) -> "SignedIn | str":
    """Signed in as the recovery key, or what went wrong."""
    delegation = started.delegation
    if started.pending is None:  # dummy auth: the key is the credential id
        for credential_id, pubkey in keys.items():
            if len(credential_id) == DUMMY_CREDENTIAL_BYTES and dummy_device(credential_id).public_key_der() == pubkey:
                signature = await dummy_device(credential_id).sign(delegation_payload(delegation))
                return recovered(anchor, session, delegation, signature, pubkey)
        return f"Identity {anchor} has no recovery key usable with dummy authentication."
    ui.show(busy_screen("Waiting for your security key…"))
    try:
        assertion = await started.pending
    except PasskeyError as exc:
        return str(exc)
    pubkey = keys.get(assertion.credential_id)
    if pubkey is None:
        return f"This security key is not a recovery key of identity {anchor}."
    signature = encode_webauthn_signature(assertion.authenticator_data, assertion.client_data_json,
                                          assertion.signature)
    return recovered(anchor, session, delegation, signature, pubkey)


def recovered(anchor: int, session, delegation: Delegation, signature: bytes, pubkey: bytes) -> SignedIn:
    chain = DelegationChain((SignedDelegation(delegation, signature),), pubkey)
    return SignedIn(anchor, DelegationIdentity(session_identity(session), chain), AuthnMethod.RECOVERY, pubkey)


async def identity_name(env: Env, ui: Ui, who: SignedIn) -> Optional[str]:
    """The recovered identity's name, or None (it has none, or it could not be read: the name only
    greets the person, so its absence stops nothing)."""
    ui.show(busy_screen("Opening your identity…"))
    try:
        return (await (await env.ii(who.identity)).anchor_info(who.anchor)).name or None
    except CanisterError:
        return None


async def offer_passkey(env: Env, ui: Ui, who: SignedIn) -> SignedIn:
    """A passkey on this device (classic: recovery ends by registering this device); "Not now" skips it."""
    name = await identity_name(env, ui, who)
    start = start_named_passkey(env, ALIAS_INPUT, f"Identity {who.anchor}")
    value, message = "Passkey", None
    while True:
        device = await named_passkey(env, ui, lambda v, m, s: new_passkey_screen(who, v, m, s, name), start, value,
                                     message)
        if device is None:
            return who
        try:
            await (await env.ii(who.identity)).add_device(who.anchor, device)
        except CanisterError as exc:
            value, message = device.alias, str(exc)
            continue
        return who
