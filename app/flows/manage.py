"""The manage page: the signed-in person's passkeys and recovery methods (issue 6, ii-facts §5, §6).

Lists the identity's devices (`get_anchor_info`), renames (`update`), removes after the alias is
typed back (`remove`; removing the device in use signs out; removing the last way in is warned
about; a locked recovery phrase must be unlocked first), adds a passkey on this device (`add`) or
on another device (`app.flows.add_device`), and hands the recovery methods to
`app.flows.recovery`. Limits are checked before a passkey prompt; the canister's refusals are
explained and change nothing.
"""

from __future__ import annotations

from typing import Callable, Optional

from ic.errors import ICError

from app.canister.devices import MAX_DEVICES, MAX_PASSKEYS, AnchorInfo, Device, validate_alias
from app.flows.authenticate import SignedIn
from app.flows.env import Env
from app.flows.new_passkey import NewPasskey, finish_new_passkey, read_alias, start_new_passkey
from app.passkeys import PasskeyError, PasskeyFailure
from app.ui import auth as auth_screens
from app.ui import manage as screens

# What the canister's refusals (v1 traps) mean for the person.
REFUSALS = (
    ("could not be authenticated", "Your session has ended. Sign in again to manage your identity."),
    ("already used", "This passkey is already used by an identity."),
    ("limit", "This identity has as many devices as it can have. Remove one first."),
    ("protected", "This recovery phrase is locked. Unlock it with the phrase first."),
)

ALREADY_HERE = ("This device already has a passkey of this identity. Add one on another device, or "
                "with a security key.")


def explain(exc: Exception) -> str:
    detail = str(exc)
    for needle, message in REFUSALS:
        if needle in detail.lower():
            return message
    return f"Internet Identity could not do that: {detail}"


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


def next_passkey_alias(info: AnchorInfo) -> str:
    taken = {d.alias for d in info.devices}
    return next(f"Passkey {n}" for n in range(len(info.devices) + 1, MAX_DEVICES + 3) if f"Passkey {n}" not in taken)


class Manage:
    def __init__(self, env: Env, who: SignedIn, signed_out: Callable[[], None]):
        self.env, self.who, self.signed_out = env, who, signed_out
        self.info: Optional[AnchorInfo] = None

    # -- the page ------------------------------------------------------------------------------

    def show(self, message: Optional[str] = None, *, error: bool = False) -> None:
        self.env.show(auth_screens.render_busy("Loading your identity…"), {})
        self.env.spawn(self._load(message, error))

    async def _load(self, message: Optional[str], error: bool) -> None:
        try:
            client = await self.env.ii(self.who.identity)
            self.info = await client.anchor_info(self.who.anchor)
        except ICError as exc:
            self.env.show(auth_screens.render_error("Could not load your identity", explain(exc),
                                                    retry_label="Sign in again"),
                          {"retry": lambda _e: self.signed_out()})
            return
        self._render(message, error)

    def _render(self, message: Optional[str] = None, error: bool = False) -> None:
        info = self.info
        handlers = {"add-device": lambda _e: self._add_choice(), "logout": lambda _e: self.signed_out(),
                    "add-phrase": lambda e: self._recovery().add_phrase(e),
                    "add-recovery-key": self._add_recovery_key}
        for index, device in enumerate(info.devices):
            handlers[f"rename-{index}"] = (lambda d: lambda _e: self._rename(d))(device)
            handlers[f"remove-{index}"] = (lambda d: lambda _e: self._confirm_remove(d))(device)
            handlers[f"protect-{index}"] = (lambda d: lambda _e: self._recovery().protect(d))(device)
            handlers[f"unprotect-{index}"] = (lambda d: lambda _e: self._recovery().unprotect(d))(device)
            handlers[f"reset-{index}"] = (lambda d: lambda _e: self._recovery().reset(d))(device)
        self.env.show(screens.render_manage(info, self.env.now_ns(), self.who.device_pubkey,
                                            message=message, error=error), handlers)

    def _recovery(self):
        from app.flows.recovery import RecoverySetup

        return RecoverySetup(self.env, self.who, back=self.show, info=self.info)

    def _add_recovery_key(self, event) -> None:
        if len(self.info.devices) >= MAX_DEVICES:  # recovery keys count against devices, not passkeys
            self._render(add_limit_problem(self.info), error=True)
            return
        self._recovery().add_security_key(event)

    # -- rename --------------------------------------------------------------------------------

    def _rename(self, device: Device, message: Optional[str] = None) -> None:
        def submit(_e) -> None:
            try:
                alias = validate_alias(self.env.input_value("#pickAliasInput"))
            except ValueError as exc:
                self._rename(device, str(exc))
                return
            self._busy_then(self._write(lambda c: c.update_device(self.who.anchor, device.renamed(alias)),
                                        f"Renamed to “{alias}”."), "Renaming…")

        self.env.show(screens.render_alias("Rename", f"A new name for “{device.alias}”.", device.alias,
                                           "rename", "Save", message),
                      {"rename": submit, "back": lambda _e: self._render()})

    # -- remove --------------------------------------------------------------------------------

    def _confirm_remove(self, device: Device, message: Optional[str] = None) -> None:
        if device.is_recovery_phrase and device.is_protected:
            self._render("This recovery phrase is locked: unlock it (with the phrase) before removing it.",
                         error=True)
            return

        def confirm(_e) -> None:
            typed = " ".join(self.env.input_value("#confirmRemoveDeviceAlias").split())
            if typed != device.alias:
                self._confirm_remove(device, "The name you typed does not match. Nothing was removed.")
                return
            self.env.show(auth_screens.render_busy(f"Removing “{device.alias}”…"), {})
            self.env.spawn(self._remove(device))

        self.env.show(screens.render_confirm_remove(device, removal_warnings(self.info, device, self.who.device_pubkey),
                                                    message),
                      {"confirm-remove": confirm, "back": lambda _e: self._render()})

    async def _remove(self, device: Device) -> None:
        try:
            client = await self.env.ii(self.who.identity)
            await client.remove_device(self.who.anchor, device.pubkey)
        except ICError as exc:
            self.show(explain(exc), error=True)
            return
        if device.pubkey == self.who.device_pubkey:
            self.env.show(screens.render_notice(
                "Signed out", f"“{device.alias}” was removed. It was the device you signed in with, so you are "
                "signed out."), {"continue": lambda _e: self.signed_out()})
            return
        self.show(f"“{device.alias}” was removed.")

    # -- add a passkey -------------------------------------------------------------------------

    def _add_choice(self) -> None:
        problem = add_limit_problem(self.info)
        if problem:
            self._render(problem, error=True)
            return
        self.env.show(screens.render_add_choice(), {
            "add-here": lambda _e: self._name_new_passkey(),
            "add-other": lambda _e: self._add_other(),
            "back": lambda _e: self._render(),
        })

    def _add_other(self) -> None:
        from app.flows.add_device import AddFromAnotherDevice

        AddFromAnotherDevice(self.env, self.who, back=self.show).start()

    def _name_new_passkey(self, message: Optional[str] = None, value: Optional[str] = None) -> None:
        self.env.show(screens.render_alias(
            "Add a passkey on this device", "Give it a name you will recognise, such as the device's name.",
            value if value is not None else next_passkey_alias(self.info), "create-passkey", "Create passkey",
            message), {"create-passkey": self._create_passkey, "back": lambda _e: self._render()})

    def _create_passkey(self, _event) -> None:
        """The click that creates the passkey: the WebAuthn call comes first (user activation)."""
        raw, alias, problem = read_alias(self.env)
        if alias is None:
            self._name_new_passkey(problem, raw)
            return
        new = start_new_passkey(self.env, alias, f"Identity {self.who.anchor}",
                                tuple(d.credential_id for d in self.info.devices if d.credential_id))
        self._busy_then(self._add_created(new), "Creating your passkey…")

    async def _add_created(self, new: NewPasskey) -> None:
        try:
            device = await finish_new_passkey(self.env, new)
        except PasskeyError as exc:
            already = exc.failure is PasskeyFailure.ALREADY_REGISTERED
            self._name_new_passkey(ALREADY_HERE if already else str(exc), new.alias)
            return
        await self._write(lambda c: c.add_device(self.who.anchor, device), f"“{new.alias}” was added.")

    # -- shared --------------------------------------------------------------------------------

    def _busy_then(self, coroutine, message: str) -> None:
        self.env.show(auth_screens.render_busy(message), {})
        self.env.spawn(coroutine)

    async def _write(self, change, done_message: str) -> None:
        """Run one change with the signed-in identity, then show the page with what happened."""
        try:
            client = await self.env.ii(self.who.identity)
            await change(client)
        except ICError as exc:
            self.show(explain(exc), error=True)
            return
        self.show(done_message)
