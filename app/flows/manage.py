"""The manage page: the signed-in person's passkeys and recovery methods (issue 6, ii-facts §5, §6).

`manage(env, ui, who)` lists the identity's devices (`get_anchor_info`) until the person signs out;
each choice on the page is a function that awaits its screens and returns what the page says
next (`Back`) or `SignedOut`:

- `rename_identity`: the identity's own name (`identity_properties_replace`; checked for its
  length before the call, a refusal shown on the name screen; an empty name is refused, "Remove
  the name" removes it), shown on the page and, through `remember_name`, in "Continue as";
- `rename` (`update`), `remove` after the alias is typed back (`remove`; removing the device in use
  signs out; removing the last way in is warned about; a locked recovery phrase must be unlocked
  first), `add_here`: a passkey on this device (`add`; the WebAuthn prompt starts inside the click);
- the recovery methods (`app.flows.recovery_methods`) and adding a device from another device
  (`app.flows.add_device.add_from_another_device`).

Limits are checked before a passkey prompt; the canister's refusals (`app.canister.errors`) are
shown as they are and change nothing.
"""

from __future__ import annotations

from typing import Awaitable, Callable, Optional

from app.canister.client import IIClient
from app.canister.devices import (MAX_DEVICES, MAX_PASSKEYS, AliasError, AnchorInfo, Device, IdentityNameError,
                                  validate_alias, validate_identity_name)
from app.canister.errors import CanisterError, IdentityNameRefused
from app.flows.authenticate import SignedIn
from app.flows.env import Env
from app.flows.outcomes import Back, Outcome, SignedOut
from app.flows import recovery_methods
from app.flows.new_passkey import named_passkey, start_named_passkey
from app.remembered import STORAGE_KEY, named, parse_remembered, serialize_remembered
from app.ui import manage as screens
from app.ui.screen import Screen, Ui, busy_screen, error_screen

ALIAS_INPUT = "#pickAliasInput"
CONFIRM_ALIAS_INPUT = "#confirmRemoveDeviceAlias"
NAME_INPUT = "#identityNameInput"
ALREADY_HERE = ("This device already has a passkey of this identity. Add one on another device, or "
                "with a security key.")
LOCKED = "This recovery phrase is locked: unlock it (with the phrase) before removing it."


def removal_warnings(info: AnchorInfo, device: Device, current: Optional[bytes]) -> list[str]:
    """What the person should know before removing `device`."""
    warnings = []
    others = [d for d in info.devices if d.pubkey != device.pubkey]
    if not others:
        warnings.append("This is the last way into this identity. Without it, nobody can use the "
                        "identity ever again.")
    elif not any(not d.is_recovery for d in others) and not device.is_recovery:
        warnings.append("This is the last passkey: afterwards only a recovery method gets you in.")
    if device.pubkey == current:
        warnings.append("You are signed in with this device: removing it signs you out.")
    return warnings


def add_limit_problem(info: AnchorInfo) -> Optional[str]:
    if len(info.devices) >= MAX_DEVICES:
        return f"An identity can have at most {MAX_DEVICES} passkeys and recovery methods. Remove one first."
    if len(info.passkeys) >= MAX_PASSKEYS:
        return f"An identity can have at most {MAX_PASSKEYS} passkeys. Remove one first."
    return None


def recovery_key_limit_problem(info: AnchorInfo) -> Optional[str]:
    """Recovery keys count against devices, not passkeys."""
    return add_limit_problem(info) if len(info.devices) >= MAX_DEVICES else None


def next_passkey_alias(info: AnchorInfo) -> str:
    taken = {d.alias for d in info.devices}
    return next(f"Passkey {n}" for n in range(len(info.devices) + 1, MAX_DEVICES + 3) if f"Passkey {n}" not in taken)


# -- screens ---------------------------------------------------------------------------------------


def page_screen(info: AnchorInfo, now_ns: int, who: SignedIn, message: Optional[str] = None,
                error: bool = False, *, start_recovery_key: Optional[Callable] = None) -> Screen:
    """The page; `start_recovery_key` runs inside the click on "Add a recovery security key"."""
    actions = ["rename-identity", "add-device", "add-recovery-key", "logout"]
    if info.recovery_phrase is None:
        actions.append("add-phrase")
    for index, device in enumerate(info.devices):
        actions.extend(f"{verb}-{index}" for verb in screens.device_actions(device))
    starts = {"add-recovery-key": start_recovery_key} if start_recovery_key else {}
    return Screen(screens.render_manage(info, now_ns, who.device_pubkey, message=message, error=error),
                  tuple(actions), starts=starts)


def rename_screen(device: Device, message: Optional[str] = None) -> Screen:
    return Screen(screens.render_alias("Rename", f"A new name for “{device.alias}”.", device.alias,
                                       "rename", "Save", message), ("rename", "back"), reads=(ALIAS_INPUT,))


def identity_name_screen(info: AnchorInfo, value: str, message: Optional[str] = None) -> Screen:
    actions = ("save-name", "remove-name", "back") if info.name else ("save-name", "back")
    return Screen(screens.render_identity_name(info.anchor, info.name, value, message), actions, reads=(NAME_INPUT,))


def confirm_remove_screen(info: AnchorInfo, device: Device, who: SignedIn, message: Optional[str] = None) -> Screen:
    return Screen(screens.render_confirm_remove(device, removal_warnings(info, device, who.device_pubkey), message),
                  ("confirm-remove", "back"), reads=(CONFIRM_ALIAS_INPUT,))


def add_choice_screen() -> Screen:
    return Screen(screens.render_add_choice(), ("add-here", "add-other", "back"))


def new_passkey_screen(value: str, message: Optional[str], start: Callable) -> Screen:
    return Screen(screens.render_alias(
        "Add a passkey on this device", "Give it a name you will recognise, such as the device's name.",
        value, "create-passkey", "Create passkey", message),
        ("create-passkey", "back"), reads=(ALIAS_INPUT,), starts={"create-passkey": start})


def signed_out_screen(device: Device) -> Screen:
    return Screen(screens.render_notice(
        "Signed out", f"“{device.alias}” was removed. It was the device you signed in with, so you are "
        "signed out."), ("continue",))


# -- the page --------------------------------------------------------------------------------------


async def manage(env: Env, ui: Ui, who: SignedIn) -> SignedOut:
    """The manage page until the person signs out (or the identity can no longer be loaded)."""
    outcome: Outcome = Back()
    while isinstance(outcome, Back):
        who = outcome.who or who
        ui.show(busy_screen("Loading your identity…"))
        try:
            info = await (await env.ii(who.identity)).anchor_info(who.anchor)
        except CanisterError as exc:
            await ui.ask(error_screen("Could not load your identity", str(exc), retry_label="Sign in again"))
            return SignedOut()
        remember_name(env, info)
        outcome = await visit(env, ui, who, info, outcome.message, outcome.error)
    return outcome


async def visit(env: Env, ui: Ui, who: SignedIn, info: AnchorInfo, message: Optional[str],
                error: bool) -> Outcome:
    """The loaded page: one choice carried out (a choice taken back shows the page again)."""
    def start_recovery_key(_values) -> object:
        return None if recovery_key_limit_problem(info) else recovery_methods.start_security_key(env, who, info)

    while True:
        click = await ui.ask(page_screen(info, env.now_ns(), who, message, error,
                                         start_recovery_key=start_recovery_key))
        limit = {"add-device": add_limit_problem, "add-recovery-key": recovery_key_limit_problem}.get(click.action)
        message = limit(info) if limit else None
        error = message is not None
        if message is None:
            outcome = await choice(env, ui, who, info, click.action, click.started)
            if outcome is not None:
                return outcome


async def choice(env: Env, ui: Ui, who: SignedIn, info: AnchorInfo, action: str, started) -> Optional[Outcome]:
    """What `action` on the page leads to; None: back to the page as it was."""
    if action == "logout":
        return SignedOut()
    if action == "rename-identity":
        return await rename_identity(env, ui, who, info)
    if action == "add-device":
        return await add_passkey(env, ui, who, info)
    if action == "add-phrase":
        return await recovery_methods.add_phrase(env, ui, who)
    if action == "add-recovery-key":
        return await recovery_methods.add_security_key(env, ui, who, started)
    verb, _, index = action.rpartition("-")
    device = info.devices[int(index)]
    if verb == "rename":
        return await rename(env, ui, who, device)
    if verb == "remove":
        return await remove(env, ui, who, info, device)
    if verb in ("protect", "unprotect"):
        return await recovery_methods.set_protection(env, ui, who, device, protected=verb == "protect")
    if verb == "reset":
        return await recovery_methods.reset(env, ui, who, device)
    raise ValueError(f"the manage page has no action {action!r}")


async def write(env: Env, ui: Ui, who: SignedIn, busy: str, change: Callable[[IIClient], Awaitable[None]],
                done: str) -> Back:
    """One change with the signed-in identity; the page then says what happened."""
    ui.show(busy_screen(busy))
    try:
        await change(await env.ii(who.identity))
    except CanisterError as exc:
        return Back(str(exc), error=True)
    return Back(done)


def remember_name(env: Env, info: AnchorInfo) -> None:
    """A remembered identity shows its name where the canister has one: keep it up to date."""
    current = parse_remembered(env.load(STORAGE_KEY))
    entry = next((a for a in current.anchors if a.number == info.anchor), None)
    if current.writable and entry is not None and entry.name != (info.name or None):
        env.save(STORAGE_KEY, serialize_remembered(named(current, info.anchor, info.name)))


# -- the choices -----------------------------------------------------------------------------------


async def rename_identity(env: Env, ui: Ui, who: SignedIn, info: AnchorInfo) -> Optional[Back]:
    """Name the identity, change its name or remove it; the canister's refusal stays on this screen."""
    message, value = None, info.name or ""
    while True:
        click = await ui.ask(identity_name_screen(info, value, message))
        if click.action == "back":
            return None
        if click.action == "remove-name":
            return await write(env, ui, who, "Removing the name…", lambda client: client.set_name(who.anchor, None),
                               "The identity has no name now.")
        value = click.text(NAME_INPUT)
        try:
            name = validate_identity_name(value)
        except IdentityNameError as exc:
            message = str(exc)
            continue
        ui.show(busy_screen("Saving the name…"))
        try:
            await (await env.ii(who.identity)).set_name(who.anchor, name)
        except IdentityNameRefused as exc:
            message = str(exc)
            continue
        except CanisterError as exc:
            return Back(str(exc), error=True)
        return Back(f"This identity is named “{name}” now.")


async def rename(env: Env, ui: Ui, who: SignedIn, device: Device) -> Optional[Back]:
    message = None
    while True:
        click = await ui.ask(rename_screen(device, message))
        if click.action == "back":
            return None
        try:
            alias = validate_alias(click.text(ALIAS_INPUT))
        except AliasError as exc:
            message = str(exc)
            continue
        return await write(env, ui, who, "Renaming…",
                           lambda client: client.update_device(who.anchor, device.renamed(alias)),
                           f"Renamed to “{alias}”.")


async def remove(env: Env, ui: Ui, who: SignedIn, info: AnchorInfo, device: Device) -> Optional[Outcome]:
    if device.is_recovery_phrase and device.is_protected:
        return Back(LOCKED, error=True)
    message = None
    while True:
        click = await ui.ask(confirm_remove_screen(info, device, who, message))
        if click.action == "back":
            return None
        if " ".join(click.text(CONFIRM_ALIAS_INPUT).split()) != device.alias:
            message = "The name you typed does not match; the device is kept. Type its name exactly."
            continue
        outcome = await write(env, ui, who, f"Removing “{device.alias}”…",
                              lambda client: client.remove_device(who.anchor, device.pubkey),
                              f"“{device.alias}” was removed.")
        if outcome.error or device.pubkey != who.device_pubkey:
            return outcome
        await ui.ask(signed_out_screen(device))
        return SignedOut()


async def add_passkey(env: Env, ui: Ui, who: SignedIn, info: AnchorInfo) -> Optional[Outcome]:
    from app.flows.add_device import add_from_another_device

    click = await ui.ask(add_choice_screen())
    if click.action == "back":
        return None
    if click.action == "add-other":
        return await add_from_another_device(env, ui, who)
    return await add_here(env, ui, who, info)


async def add_here(env: Env, ui: Ui, who: SignedIn, info: AnchorInfo) -> Optional[Back]:
    """A passkey on this device: named first, so a bad name never opens a prompt."""
    start = start_named_passkey(env, ALIAS_INPUT, f"Identity {who.anchor}",
                                tuple(d.credential_id for d in info.devices if d.credential_id))
    device = await named_passkey(env, ui, new_passkey_screen, start, next_passkey_alias(info), already=ALREADY_HERE)
    if device is None:
        return None
    return await write(env, ui, who, "Creating your passkey…",
                       lambda client: client.add_device(who.anchor, device), f"“{device.alias}” was added.")
