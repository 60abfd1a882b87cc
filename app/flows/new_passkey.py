"""Creating a passkey on this device for an identity that exists (manage, add-device, recovery).

`start_new_passkey` runs inside the click (the WebAuthn prompt starts before anything is awaited;
with dummy auth, a fresh Ed25519 device instead); `finish_new_passkey` awaits the prompt and
gives the `Device` to register. `start_named_passkey` is the start a screen declares for its
click (`app.ui.screen`): it checks the name typed first, so a bad name never opens a prompt.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Mapping, Optional

from ic.webauthn import public_key_from_attestation

from app.canister.devices import AliasError, Device, validate_alias
from app.flows.authenticate import dummy_credential_id, dummy_device
from app.flows.dummy_auth import credential_id_for_index, prompt_index
from app.flows.env import Env
from app.passkeys import CreationOptions, NewCredential, PasskeyError, PasskeyFailure
from app.ui.screen import Screen, Ui, busy_screen

ALIAS_INPUT = "#pickAliasInput"


@dataclass(frozen=True)
class NewPasskey:
    alias: str
    pending: Optional[Awaitable[NewCredential]] = None   # the browser's prompt
    device: Optional[Device] = None                      # dummy auth: ready at once


@dataclass(frozen=True)
class AliasProblem:
    """The name typed cannot be stored: no prompt was opened."""

    typed: str
    problem: str


def start_named_passkey(env: Env, alias_input: str, user_name: str,
                        exclude: tuple[bytes, ...] = ()) -> Callable[[Mapping[str, Any]], "NewPasskey | AliasProblem"]:
    """A screen's start (`app.ui.screen`): inside the click, the name typed in `alias_input` is
    checked, then the passkey prompt starts."""
    def start(values: Mapping[str, Any]) -> "NewPasskey | AliasProblem":
        typed = values.get(alias_input, "")
        try:
            alias = validate_alias(typed)
        except AliasError as exc:
            return AliasProblem(typed, str(exc))
        return start_new_passkey(env, alias, user_name, exclude)
    return start


async def named_passkey(env: Env, ui: Ui, screen: Callable[[str, Optional[str], Callable], Screen],
                        start: Callable, value: str, message: Optional[str] = None, *,
                        busy: str = "Creating your passkey…", already: Optional[str] = None) -> Optional[Device]:
    """The passkey a person names on `screen(value, message, start)` and creates in its click; None:
    they went back. A bad name or a failed prompt is said on the same screen (`already`: what to
    say when this device has the passkey already)."""
    while True:
        click = await ui.ask(screen(value, message, start))
        if click.action == "back":
            return None
        new = click.started
        if isinstance(new, AliasProblem):
            value, message = new.typed, new.problem
            continue
        ui.show(busy_screen(busy))
        try:
            return await finish_new_passkey(env, new)
        except PasskeyError as exc:
            value = new.alias
            message = already if already and exc.failure is PasskeyFailure.ALREADY_REGISTERED else str(exc)


def start_new_passkey(env: Env, alias: str, user_name: str,
                      exclude: tuple[bytes, ...] = ()) -> "NewPasskey | AliasProblem":
    if env.config.dummy_auth:
        credential_id = dummy_credential_id(env.random)
        if env.config.dummy_auth_prompt_for_index:  # the test key of an index, asked as the II asks
            index = prompt_index(env.prompt)
            if index is None or isinstance(index, str):
                return AliasProblem(alias, index or "No index was given: the passkey was not added.")
            credential_id = credential_id_for_index(index)
        return NewPasskey(alias, device=Device(pubkey=dummy_device(credential_id).public_key_der(), alias=alias,
                                               credential_id=credential_id, key_type="platform",
                                               origin=env.origin))
    return NewPasskey(alias, pending=env.start_create(CreationOptions(
        challenge=env.random(16), rp_id=env.rp_id, user_id=env.random(16), user_name=user_name,
        exclude_credentials=exclude)))


async def finish_new_passkey(env: Env, new: NewPasskey) -> Device:
    """The device to register; PasskeyError when the prompt failed."""
    if new.device is not None:
        return new.device
    created = await new.pending
    return Device(pubkey=public_key_from_attestation(created.attestation_object).to_der(), alias=new.alias,
                  credential_id=created.credential_id, key_type="platform", origin=env.origin)
