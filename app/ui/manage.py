"""Screens of the manage page (classic ids: `aside[data-role=passkeys] li[data-device]`,
`aside[data-role=recoveries]`, `#addAdditionalDevice`, `#logoutButton`, `#pickAliasInput`,
`#pickAliasSubmit`, `[data-page=confirm-remove-device-page]`, `#confirmRemoveDeviceAlias`,
`#confirmRemoveDeviceButton`)."""

from __future__ import annotations

import time
from typing import Optional, Sequence

from app.canister.devices import AnchorInfo, Device
from app.ui.markup import card, text

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


def _message(message: Optional[str], *, error: bool = False) -> str:
    if not message:
        return ""
    role, cls = ("alert", "error") if error else ("status", "notice")
    return f'<p class="{cls}" role="{role}" data-role="manage-message">{text(message)}</p>'


def _device_item(index: int, device: Device, now_ns: int, in_use: bool, actions: str) -> str:
    badges = []
    if in_use:
        badges.append('<span class="badge" data-role="current-device">this device</span>')
    if device.is_protected:
        badges.append('<div class="badge" data-role="protected">locked</div>')
    return (f'<li data-device="{text(device.alias)}" data-index="{index}">'
            f'<div class="device-name"><strong>{text(device.alias or kind(device))}</strong>{"".join(badges)}</div>'
            f'<div class="device-meta">{text(kind(device))} · last used {text(last_used(device.last_usage_ns, now_ns))}</div>'
            f'<div class="device-actions">{actions}</div></li>')


def _button(action: str, label: str, *, cls: str = "link", extra: str = "") -> str:
    return f'<button class="{cls}" data-action="{text(action)}"{extra}>{text(label)}</button>'


def render_manage(info: AnchorInfo, now_ns: int, current: Optional[bytes], *,
                  message: Optional[str] = None, error: bool = False) -> str:
    passkeys = []
    for index, device in enumerate(info.devices):
        if device.is_recovery:
            continue
        passkeys.append(_device_item(index, device, now_ns, device.pubkey == current,
                                     _button(f"rename-{index}", "Rename") + _button(f"remove-{index}", "Remove")))
    recoveries = []
    for index, device in enumerate(info.devices):
        if not device.is_recovery:
            continue
        if device.is_recovery_phrase:
            lock = (_button(f"unprotect-{index}", "Unlock") if device.is_protected
                    else _button(f"protect-{index}", "Lock"))
            actions = lock + _button(f"reset-{index}", "Reset") + _button(f"remove-{index}", "Remove")
        else:
            actions = _button(f"remove-{index}", "Remove")
        recoveries.append(_device_item(index, device, now_ns, device.pubkey == current, actions))
    add_recovery = ""
    if info.recovery_phrase is None:
        add_recovery += _button("add-phrase", "Add a recovery phrase", cls="secondary", extra=' id="addRecoveryPhrase"')
    add_recovery += _button("add-recovery-key", "Add a recovery security key", cls="secondary",
                            extra=' id="addRecoveryKey"')
    no_recovery = ("" if recoveries else
                   '<p class="notice" data-role="no-recovery">No recovery method yet. If you lose your passkeys, '
                   "a recovery phrase or a recovery security key is the only way back in.</p>")
    return card("manage", (
        f'<h2>Identity <span data-role="anchor" data-usernumber>{text(info.anchor)}</span></h2>'
        f"{_message(message, error=error)}"
        '<aside data-role="passkeys" aria-labelledby="passkeys-title">'
        f'<h3 id="passkeys-title">Passkeys</h3><ul class="devices">{"".join(passkeys)}</ul>'
        '<div class="actions"><button id="addAdditionalDevice" class="primary" data-action="add-device">'
        "Add a passkey</button></div></aside>"
        '<aside data-role="recoveries" aria-labelledby="recoveries-title">'
        f'<h3 id="recoveries-title">Recovery methods</h3>{no_recovery}<ul class="devices">{"".join(recoveries)}</ul>'
        f'<div class="actions">{add_recovery}</div></aside>'
        '<div class="actions"><button id="logoutButton" class="secondary" data-action="logout">Sign out</button></div>'
    ))


def render_add_choice(message: Optional[str] = None) -> str:
    return card("add-device-choice", (
        "<h2>Add a passkey</h2>"
        f"{_message(message, error=True)}"
        "<p>Where do you want to use your identity?</p>"
        '<div class="actions column">'
        '<button class="primary" data-action="add-here" id="addThisDevice">On this device</button>'
        '<button class="secondary" data-action="add-other" id="addAnotherDevice">On another device</button>'
        '<button class="link" data-action="back">Back</button></div>'
    ))


def render_alias(title: str, explanation: str, value: str, submit_action: str, submit_label: str,
                 message: Optional[str] = None, *, cancel_label: str = "Cancel") -> str:
    """The alias screen (classic promptDeviceAlias): renaming, or naming a new passkey."""
    return card("pick-alias", (
        f"<h2>{text(title)}</h2><p>{text(explanation)}</p>"
        f"{_message(message, error=True)}"
        '<label class="field">Name<input id="pickAliasInput" maxlength="64" autocomplete="off" '
        f'value="{text(value)}" autofocus></label>'
        f'<div class="actions"><button id="pickAliasSubmit" class="primary" data-action="{text(submit_action)}">'
        f"{text(submit_label)}</button>"
        f'<button class="link" data-action="back">{text(cancel_label)}</button></div>'
    ))


def render_confirm_remove(device: Device, warnings: Sequence[str], message: Optional[str] = None) -> str:
    notes = "".join(f'<p class="error" data-role="remove-warning">{text(w)}</p>' for w in warnings)
    return card("confirm-remove-device-page", (
        f"<h2>Remove {text(device.alias or kind(device))}?</h2>"
        f"{notes}{_message(message, error=True)}"
        f"<p>To confirm, type its name: <strong>{text(device.alias)}</strong></p>"
        '<label class="field">Name<input id="confirmRemoveDeviceAlias" autocomplete="off" autofocus></label>'
        '<div class="actions"><button id="confirmRemoveDeviceButton" class="primary danger" data-action="confirm-remove">'
        "Remove</button>"
        '<button class="link" data-action="back">Cancel</button></div>'
    ))


def render_notice(title: str, detail: str, *, action: str = "continue", label: str = "Continue") -> str:
    return card("manage-notice", (
        f"<h2>{text(title)}</h2><p data-role=\"notice-detail\">{text(detail)}</p>"
        f'<div class="actions"><button class="primary" data-action="{text(action)}" id="manageNoticeContinue">'
        f"{text(label)}</button></div>"
    ))
