"""Screens of adding a device from another device (classic ids: `[data-role=add-device-link]`,
`#verificationCode`, `#verifyDevice`, `#deviceRegModeDisabledRetry`)."""

from __future__ import annotations

from typing import Optional

from app.ui.markup import card, text


def countdown(remaining_ns: int) -> str:
    """"14:59" for the time left in the add-device window."""
    seconds = max(0, remaining_ns // 10**9)
    return f"{seconds // 60}:{seconds % 60:02d}"


def _timer(remaining_ns: int) -> str:
    return (f'<p class="status">Time left: <span data-role="countdown" aria-live="off">{text(countdown(remaining_ns))}'
            "</span></p>")


def render_offer(link: str, classic_link: str, qr_svg: str, remaining_ns: int) -> str:
    return card("add-device-offer", (
        "<h2>Add a passkey on another device</h2>"
        "<p>On the other device, scan this code or open the link. It works for 15 minutes.</p>"
        f'<div class="qr-frame">{qr_svg}</div>'
        f'<p class="link-box"><a data-role="add-device-link" href="{text(link)}">{text(link)}</a></p>'
        f'<p class="footnote">Or, in an older app: <a data-role="add-device-link-classic" href="{text(classic_link)}">'
        f"{text(classic_link)}</a></p>"
        f"{_timer(remaining_ns)}"
        '<p class="status" data-role="waiting">Waiting for the other device…</p>'
        '<div class="actions"><button class="link" data-action="cancel">Cancel</button></div>'
    ))


def render_verify(alias: str, remaining_ns: int, message: Optional[str] = None) -> str:
    notice = f'<p class="error" role="alert" data-role="verify-message">{text(message)}</p>' if message else ""
    return card("verify-tentative-device", (
        "<h2>Confirm the new device</h2>"
        f"<p>“{text(alias)}” wants to join your identity. Type the code it shows.</p>"
        f"{notice}"
        '<label class="field">Code<input id="tentativeDeviceCode" inputmode="numeric" autocomplete="one-time-code" '
        'maxlength="6" autofocus></label>'
        f"{_timer(remaining_ns)}"
        '<div class="actions"><button id="verifyDevice" class="primary" data-action="verify">Confirm</button>'
        '<button class="link" data-action="cancel">Cancel</button></div>'
    ))


def render_closed(detail: str) -> str:
    return card("device-registration-disabled", (
        "<h2>Adding a device has stopped</h2>"
        f'<p data-role="closed-detail">{text(detail)}</p>'
        '<div class="actions"><button id="deviceRegModeDisabledRetry" class="primary" data-action="retry">'
        "Start again</button>"
        '<button class="link" data-action="back">Back</button></div>'
    ))


def render_join(anchor: int, value: str, message: Optional[str] = None) -> str:
    notice = f'<p class="error" role="alert" data-role="join-message">{text(message)}</p>' if message else ""
    return card("prompt-device-trusted", (
        f"<h2>Add this device to identity {text(anchor)}?</h2>"
        "<p>Only continue if you started this from your own signed-in device. This device gets a passkey "
        "for the identity once you confirm it there.</p>"
        f"{notice}"
        '<label class="field">Name of this device<input id="pickAliasInput" maxlength="64" autocomplete="off" '
        f'value="{text(value)}"></label>'
        '<div class="actions"><button id="addDeviceContinue" class="primary" data-action="join">Continue</button>'
        '<button class="link" data-action="back">Cancel</button></div>'
    ))


def render_code(anchor: int, code: str, remaining_ns: int) -> str:
    return card("show-verification-code", (
        "<h2>Confirm on your other device</h2>"
        f"<p>On the device signed in to identity {text(anchor)}, type this code:</p>"
        f'<p class="number" id="verificationCode" data-role="verification-code">{text(code)}</p>'
        f"{_timer(remaining_ns)}"
        '<p class="status" data-role="waiting">Waiting for the confirmation…</p>'
    ))


def render_joined(anchor: int) -> str:
    return card("add-device-success", (
        "<h2>This device is added</h2>"
        f"<p>Its passkey now opens identity {text(anchor)}. Sign in with it to continue.</p>"
        '<div class="actions"><button id="addDeviceSignIn" class="primary" data-action="sign-in">Sign in</button></div>'
    ))


def render_link_problem(detail: str) -> str:
    return card("add-device-link-problem", (
        "<h2>This link cannot add a device</h2>"
        f'<p id="errorContainer" class="error" role="alert" data-role="link-problem">{text(detail)}</p>'
        '<div class="actions"><button id="displayErrorPrimary" class="primary" data-action="home">'
        "Go to Internet Identity</button></div>"
    ))
