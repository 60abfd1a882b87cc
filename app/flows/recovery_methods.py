"""A signed-in identity's recovery methods, from the manage page (issue 6 items 3-4; ii-facts §5).

- `new_phrase`: 24 words shown with the identity number, some of them typed back, then saved
  (`add`, or `replace` for a reset). Resetting the phrase one is signed in with signs in again
  with the new one, so the page goes on.
- `set_protection`: lock / unlock the phrase, typing it (a locked phrase can only be changed by
  calls the phrase itself signs); `reset` of a locked phrase asks for it the same way.
- `start_security_key` (inside the click) and `add_security_key`: a recovery security key, a
  cross-platform passkey with purpose recovery.

Each returns the manage page's `Back` (`app.flows.outcomes`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Awaitable, Optional, Sequence, Union

from ic.agent import Identity
from ic.webauthn import public_key_from_attestation

from app.canister.devices import RECOVERY_KEY_ALIAS, AnchorInfo, Device
from app.canister.errors import CanisterError
from app.flows.authenticate import SignedIn, dummy_credential_id, dummy_device
from app.flows.env import Env
from app.flows.outcomes import Back
from app.flows.recovery import (ask_typed_phrase, confirmation_positions, phrase_device, phrase_identity,
                                phrase_sign_in, wrong_words)
from app.passkeys import CreationOptions, NewCredential, PasskeyError
from app.recovery.phrase import ENTROPY_BYTES, ParsedPhrase, format_phrase, generate_phrase
from app.ui import recovery as screens
from app.ui.screen import Screen, Ui, busy_screen

ACK_CHECKBOX = "#ack-checkbox"


# -- screens ---------------------------------------------------------------------------------------


def phrase_screen(anchor: int, words: Sequence[str], message: Optional[str], acknowledged: bool,
                  copy) -> Screen:
    """`copy` runs inside the click on "Copy" (the clipboard wants a user gesture)."""
    return Screen(screens.render_phrase(anchor, words, message, acknowledged=acknowledged),
                  ("copy", "continue", "back"), reads=(ACK_CHECKBOX,), starts={"copy": copy})


def confirm_words_screen(words: Sequence[str], positions: Sequence[int], message: Optional[str] = None,
                         typed: Optional[dict[int, str]] = None) -> Screen:
    return Screen(screens.render_confirm_words(words, positions, message, typed), ("confirm-words", "show-again"),
                  reads=tuple(screens.word_input(p) for p in positions))


# -- a new phrase (add, or reset = replace) ---------------------------------------------------------


async def add_phrase(env: Env, ui: Ui, who: SignedIn) -> Back:
    return await new_phrase(env, ui, who, replacing=None, signer=who.identity)


async def reset(env: Env, ui: Ui, who: SignedIn, device: Device) -> Back:
    signer = who.identity
    if device.is_protected:  # only the old phrase may replace a locked phrase
        signer = await ask_phrase(ui, who, device, "Reset your recovery phrase",
                                  "Your recovery phrase is locked. Type it to replace it with a new one.")
        if signer is None:
            return Back()
    return await new_phrase(env, ui, who, replacing=device, signer=signer)


async def new_phrase(env: Env, ui: Ui, who: SignedIn, replacing: Optional[Device], signer: Identity) -> Back:
    words = generate_phrase(env.random(ENTROPY_BYTES))
    text = format_phrase(who.anchor, words)
    message, acknowledged = None, False
    while True:
        click = await ui.ask(phrase_screen(who.anchor, words, message, acknowledged,
                                           copy=lambda _values: env.copy_text(text)))
        acknowledged = click.checked(ACK_CHECKBOX)
        if click.action == "back":
            return Back()
        if click.action == "copy":
            message = None
            continue
        if not acknowledged:
            message = "Tick the box once you have written the phrase down."
            continue
        if await words_typed_back(env, ui, words):
            return await save_phrase(env, ui, who, words, replacing, signer)
        message = None


async def words_typed_back(env: Env, ui: Ui, words: Sequence[str]) -> bool:
    """Some words of the phrase, typed back right; False: the person wants to see it again."""
    positions = confirmation_positions(env.random(32))
    message, typed = None, None
    while True:
        click = await ui.ask(confirm_words_screen(words, positions, message, typed))
        if click.action == "show-again":
            return False
        typed = {p: click.text(screens.word_input(p)) for p in positions}
        wrong = wrong_words(words, typed)
        if not wrong:
            return True
        message = "Not quite: check " + ", ".join(f"word {p + 1}" for p in wrong) + "."


async def save_phrase(env: Env, ui: Ui, who: SignedIn, words: Sequence[str], replacing: Optional[Device],
                      signer: Identity) -> Back:
    ui.show(busy_screen("Saving your recovery phrase…"))
    device = phrase_device(words, env.origin)
    try:
        client = await env.ii(signer)
        if replacing is None:
            await client.add_device(who.anchor, device)
        else:
            await client.replace_device(who.anchor, replacing.pubkey, device)
    except CanisterError as exc:
        return Back(str(exc), error=True)
    if replacing is None:
        return Back("Your recovery phrase is saved.")
    if replacing.pubkey == who.device_pubkey:
        # Signed in with the phrase just replaced: its delegation opens nothing any more, so sign in
        # again with the new phrase (its words are here) and stay on the manage page.
        return Back("Your new recovery phrase is saved.",
                    who=await phrase_sign_in(env, who.anchor, phrase_identity(words)))
    return Back("Your new recovery phrase is saved.")


# -- lock / unlock ---------------------------------------------------------------------------------


async def set_protection(env: Env, ui: Ui, who: SignedIn, device: Device, protected: bool) -> Back:
    if protected:
        identity = await ask_phrase(ui, who, device, "Lock your recovery phrase",
                                    "Once locked, the phrase can only be changed or removed by someone who types "
                                    "it. Type it now to lock it.")
    else:
        identity = await ask_phrase(ui, who, device, "Unlock your recovery phrase",
                                    "Type your recovery phrase to unlock it.")
    if identity is None:
        return Back()
    ui.show(busy_screen("Saving…"))
    changed = replace(device, protection="protected" if protected else "unprotected")
    try:
        await (await env.ii(identity)).update_device(who.anchor, changed)
    except CanisterError as exc:
        return Back(str(exc), error=True)
    return Back("Your recovery phrase is locked." if protected else "Your recovery phrase is unlocked.")


async def ask_phrase(ui: Ui, who: SignedIn, device: Device, title: str, explanation: str) -> Optional[Identity]:
    """The phrase of `device`, typed (its key signs what a locked phrase allows); None: cancelled."""

    async def of_device(parsed: ParsedPhrase) -> Union[Identity, str]:
        if parsed.anchor is not None and parsed.anchor != who.anchor:
            return f"This phrase is for identity {parsed.anchor}, not {who.anchor}."
        key = phrase_identity(parsed.words)
        if key.public_key_der() != device.pubkey:
            return "This is not the recovery phrase of this identity."
        return key

    return await ask_typed_phrase(ui, title, explanation, of_device)


# -- recovery security key -------------------------------------------------------------------------


@dataclass(frozen=True)
class KeyStart:
    """A recovery security key on its way: the browser's prompt, or (dummy auth) the device itself."""

    pending: Optional[Awaitable[NewCredential]] = None
    device: Optional[Device] = None


def recovery_key_device(pubkey: bytes, credential_id: bytes, origin: str) -> Device:
    return Device(pubkey=pubkey, alias=RECOVERY_KEY_ALIAS, credential_id=credential_id, purpose="recovery",
                  key_type="cross_platform", origin=origin)


def start_security_key(env: Env, who: SignedIn, info: Optional[AnchorInfo]) -> KeyStart:
    """Inside the click: the WebAuthn prompt for a recovery security key starts before any await."""
    if env.config.dummy_auth:
        credential_id = dummy_credential_id(env.random)
        return KeyStart(device=recovery_key_device(dummy_device(credential_id).public_key_der(), credential_id,
                                                   env.origin))
    existing = tuple(d.credential_id for d in (info.devices if info else ()) if d.credential_id)
    return KeyStart(pending=env.start_create(CreationOptions(
        challenge=env.random(16), rp_id=env.rp_id, user_id=env.random(16),
        user_name=f"Identity {who.anchor} (recovery)", exclude_credentials=existing,
        authenticator_attachment="cross-platform", resident_key="discouraged")))


async def add_security_key(env: Env, ui: Ui, who: SignedIn, started: KeyStart) -> Back:
    """After the click that started the prompt: add the key it created."""
    device = started.device
    if device is None:
        ui.show(busy_screen("Waiting for your security key…"))
        try:
            created = await started.pending
        except PasskeyError as exc:
            return Back(str(exc), error=True)
        device = recovery_key_device(public_key_from_attestation(created.attestation_object).to_der(),
                                     created.credential_id, env.origin)
    ui.show(busy_screen("Adding your recovery security key…"))
    try:
        await (await env.ii(who.identity)).add_device(who.anchor, device)
    except CanisterError as exc:
        return Back(str(exc), error=True)
    return Back("Your recovery security key is added.")
