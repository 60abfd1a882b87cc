"""Screens of the manage page (classic ids: `aside[data-role=passkeys] li[data-device]`,
`aside[data-role=recoveries]`, `#addAdditionalDevice`, `#logoutButton`, `#pickAliasInput`,
`#pickAliasSubmit`, `[data-page=confirm-remove-device-page]`, `#confirmRemoveDeviceAlias`,
`#confirmRemoveDeviceButton`; ours: `[data-role=identity-name]`, `#renameIdentity`, and the
`[data-page=name-identity]` screen with `#identityNameInput`, `#identityNameSubmit`,
`#identityNameRemove`)."""

from __future__ import annotations

import time
from typing import Optional, Sequence

from app.canister.devices import AnchorInfo, Device
from app.ui.markup import EMPTY, Markup, card, html, join

KIND = {
    "platform": "Passkey on a device",
    "cross_platform": "Security key",
    "seed_phrase": "Recovery phrase",
    "browser_storage_key": "Key stored in a browser",
    "unknown": "Passkey",
}
DAY_NS = 86_400 * 10**9


def last_used(last_usage_ns: Optional[int], now_ns: int) -> str:
    """How long ago, in words: "never", "today", "yesterday", "N days ago", then the date."""
    if last_usage_ns is None:
        return "never"
    days = max(0, (now_ns - last_usage_ns) // DAY_NS)
    if days == 0:
        return "today"
    if days == 1:
        return "yesterday"
    if days < 30:
        return f"{days} days ago"
    return time.strftime("%-d %b %Y", time.gmtime(last_usage_ns / 10**9))


def kind(device: Device) -> str:
    if device.is_recovery and device.key_type == "cross_platform":
        return "Recovery security key"
    return KIND.get(device.key_type, "Passkey")


def _message(message: Optional[str], *, error: bool = False) -> Markup:
    if not message:
        return EMPTY
    role, cls = ("alert", "error") if error else ("status", "notice")
    return html('<p class="{cls}" role="{role}" data-role="manage-message">{message}</p>',
                cls=cls, role=role, message=message)


def _device_item(index: int, device: Device, now_ns: int, in_use: bool, actions: Markup) -> Markup:
    badges = []
    if in_use:
        badges.append(Markup('<span class="badge" data-role="current-device">this device</span>'))
    if device.is_protected:
        badges.append(Markup('<div class="badge" data-role="protected">locked</div>'))
    return html('<li data-device="{alias}" data-index="{index}">'
                '<div class="device-name"><strong>{name}</strong>{badges}</div>'
                '<div class="device-meta">{kind} · last used {used}</div>'
                '<div class="device-actions">{actions}</div></li>',
                alias=device.alias, index=index, name=device.alias or kind(device), badges=join(badges),
                kind=kind(device), used=last_used(device.last_usage_ns, now_ns), actions=actions)


def _button(action: str, label: str, *, cls: str = "link", id: Optional[str] = None) -> Markup:
    ident = html(' id="{}"', id) if id else EMPTY
    return html('<button class="{cls}" data-action="{action}"{ident}>{label}</button>',
                cls=cls, action=action, ident=ident, label=label)


def device_actions(device: Device) -> tuple[str, ...]:
    """The verbs the manage page offers for `device` (each a button `data-action="<verb>-<index>"`)."""
    if not device.is_recovery:
        return ("rename", "remove")
    if device.is_recovery_phrase:
        return ("unprotect" if device.is_protected else "protect", "reset", "remove")
    return ("remove",)


ACTION_LABELS = {"rename": "Rename", "remove": "Remove", "protect": "Lock", "unprotect": "Unlock", "reset": "Reset"}


def render_manage(info: AnchorInfo, now_ns: int, current: Optional[bytes], *,
                  message: Optional[str] = None, error: bool = False) -> Markup:
    passkeys, recoveries = [], []
    for index, device in enumerate(info.devices):
        actions = join(_button(f"{verb}-{index}", ACTION_LABELS[verb]) for verb in device_actions(device))
        item = _device_item(index, device, now_ns, device.pubkey == current, actions)
        (recoveries if device.is_recovery else passkeys).append(item)
    add_recovery = []
    if info.recovery_phrase is None:
        add_recovery.append(_button("add-phrase", "Add a recovery phrase", cls="secondary", id="addRecoveryPhrase"))
    add_recovery.append(_button("add-recovery-key", "Add a recovery security key", cls="secondary",
                                id="addRecoveryKey"))
    no_recovery = (EMPTY if recoveries else Markup(
        '<p class="notice" data-role="no-recovery">No recovery method yet. If you lose your passkeys, '
        "a recovery phrase or a recovery security key is the only way back in.</p>"))
    name = (html('<p class="identity-name"><strong data-role="identity-name">{}</strong></p>', info.name)
            if info.name else EMPTY)
    rename = _button("rename-identity", "Rename this identity" if info.name else "Name this identity",
                     id="renameIdentity")
    return card("manage", html(
        '<h2>Identity <span data-role="anchor" data-usernumber>{anchor}</span></h2>'
        '{name}<p class="footnote">{rename}</p>'
        "{message}"
        '<aside data-role="passkeys" aria-labelledby="passkeys-title">'
        '<h3 id="passkeys-title">Passkeys</h3><ul class="devices">{passkeys}</ul>'
        '<div class="actions"><button id="addAdditionalDevice" class="primary" data-action="add-device">'
        "Add a passkey</button></div></aside>"
        '<aside data-role="recoveries" aria-labelledby="recoveries-title">'
        '<h3 id="recoveries-title">Recovery methods</h3>{no_recovery}<ul class="devices">{recoveries}</ul>'
        '<div class="actions">{add_recovery}</div></aside>'
        '<div class="actions"><button id="logoutButton" class="secondary" data-action="logout">Sign out</button></div>',
        anchor=info.anchor, name=name, rename=rename, message=_message(message, error=error), passkeys=join(passkeys),
        no_recovery=no_recovery, recoveries=join(recoveries), add_recovery=join(add_recovery)))


def render_add_choice(message: Optional[str] = None) -> Markup:
    return card("add-device-choice", html(
        "<h2>Add a passkey</h2>"
        "{message}"
        "<p>Where do you want to use your identity?</p>"
        '<div class="actions column">'
        '<button class="primary" data-action="add-here" id="addThisDevice">On this device</button>'
        '<button class="secondary" data-action="add-other" id="addAnotherDevice">On another device</button>'
        '<button class="link" data-action="back">Back</button></div>', message=_message(message, error=True)))


def render_alias(title: str, explanation: str, value: str, submit_action: str, submit_label: str,
                 message: Optional[str] = None, *, cancel_label: str = "Cancel") -> Markup:
    """The alias screen (classic promptDeviceAlias): renaming, or naming a new passkey."""
    return card("pick-alias", html(
        "<h2>{title}</h2><p>{explanation}</p>"
        "{message}"
        '<label class="field">Name<input id="pickAliasInput" maxlength="64" autocomplete="off" '
        'value="{value}" autofocus></label>'
        '<div class="actions"><button id="pickAliasSubmit" class="primary" data-action="{submit_action}">'
        "{submit_label}</button>"
        '<button class="link" data-action="back">{cancel_label}</button></div>',
        title=title, explanation=explanation, message=_message(message, error=True), value=value,
        submit_action=submit_action, submit_label=submit_label, cancel_label=cancel_label))


def render_identity_name(anchor: int, current: Optional[str], value: str, message: Optional[str] = None) -> Markup:
    """Name, rename or unname the identity (`identity_properties_replace`)."""
    remove = (html('<button id="identityNameRemove" class="secondary" data-action="remove-name">'
                   "Remove the name</button>") if current else EMPTY)
    explanation = (html("It is named “{}” now.", current) if current
                   else Markup("It has no name yet."))
    return card("name-identity", html(
        "<h2>Name identity {anchor}</h2>"
        "<p>A name helps you tell your identities apart, here and where you sign in. {explanation}</p>"
        "{message}"
        '<label class="field">Name<input id="identityNameInput" autocomplete="off" value="{value}" autofocus>'
        "</label>"
        '<p class="footnote">At most 128 bytes (about 128 letters; accents and emoji take more).</p>'
        '<div class="actions"><button id="identityNameSubmit" class="primary" data-action="save-name">Save</button>'
        "{remove}"
        '<button class="link" data-action="back">Cancel</button></div>',
        anchor=anchor, explanation=explanation, message=_message(message, error=True), value=value,
        remove=remove))


def render_confirm_remove(device: Device, warnings: Sequence[str], message: Optional[str] = None) -> Markup:
    notes = join(html('<p class="error" data-role="remove-warning">{}</p>', w) for w in warnings)
    return card("confirm-remove-device-page", html(
        "<h2>Remove {name}?</h2>"
        "{notes}{message}"
        "<p>To confirm, type its name: <strong>{alias}</strong></p>"
        '<label class="field">Name<input id="confirmRemoveDeviceAlias" autocomplete="off" autofocus></label>'
        '<div class="actions"><button id="confirmRemoveDeviceButton" class="primary danger" data-action="confirm-remove">'
        "Remove</button>"
        '<button class="link" data-action="back">Cancel</button></div>',
        name=device.alias or kind(device), notes=notes, message=_message(message, error=True), alias=device.alias))


def render_notice(title: str, detail: str, *, action: str = "continue", label: str = "Continue") -> Markup:
    return card("manage-notice", html(
        '<h2>{title}</h2><p data-role="notice-detail">{detail}</p>'
        '<div class="actions"><button class="primary" data-action="{action}" id="manageNoticeContinue">'
        "{label}</button></div>", title=title, detail=detail, action=action, label=label))
