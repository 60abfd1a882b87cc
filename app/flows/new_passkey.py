"""Creating a passkey on this device for an identity that exists (manage, add-device, recovery).

`start_new_passkey` runs inside the click (the WebAuthn prompt starts before anything is awaited;
with dummy auth, a fresh Ed25519 device instead); `finish_new_passkey` awaits the prompt and
gives the `Device` to register. The alias is read and checked first, so a bad name never opens a
prompt.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Awaitable, Optional

from ic.webauthn import public_key_from_attestation

from app.canister.devices import Device, validate_alias
from app.flows.authenticate import dummy_credential_id, dummy_device
from app.flows.env import Env
from app.passkeys import CreationOptions, NewCredential

ALIAS_INPUT = "#pickAliasInput"


@dataclass(frozen=True)
class NewPasskey:
    alias: str
    pending: Optional[Awaitable[NewCredential]] = None   # the browser's prompt
    device: Optional[Device] = None                      # dummy auth: ready at once


def read_alias(env: Env) -> tuple[str, Optional[str], str]:
    """(what was typed, the alias to store or None, what is wrong with it or "")."""
    raw = env.input_value(ALIAS_INPUT)
    try:
        return raw, validate_alias(raw), ""
    except ValueError as exc:
        return raw, None, str(exc)


def start_new_passkey(env: Env, alias: str, user_name: str, exclude: tuple[bytes, ...] = ()) -> NewPasskey:
    if env.config.dummy_auth:
        credential_id = dummy_credential_id(env.random)
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
