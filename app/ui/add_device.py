"""Screens of adding a device from another device (classic ids: `[data-role=add-device-link]`,
`#verificationCode`, `#verifyDevice`, `#deviceRegModeDisabledRetry`)."""

from __future__ import annotations

from typing import Optional

from app.ui.auth import notice
from app.ui.markup import Markup, card, html


def countdown(remaining_ns: int) -> str:
    """"14:59" for the time left in the add-device window."""
    seconds = max(0, remaining_ns // 10**9)
    return f"{seconds // 60}:{seconds % 60:02d}"


def timer(remaining_ns: int) -> Markup:
    return html('<p class="status">Time left: <span data-role="countdown" aria-live="off">{}</span></p>',
                countdown(remaining_ns))


def render_offer(link: str, classic_link: str, qr: Markup, remaining_ns: int) -> Markup:
    """`qr` is the link's QR code (`app.qr.qr_svg`)."""
    return card("add-device-offer", html(
        "<h2>Add a passkey on another device</h2>"
        "<p>On the other device, scan this code or open the link. It works for 15 minutes.</p>"
        '<div class="qr-frame">{qr}</div>'
        '<p class="link-box"><a data-role="add-device-link" href="{link}">{link}</a></p>'
        '<p class="footnote">Or, in an older app: <a data-role="add-device-link-classic" href="{classic}">'
        "{classic}</a></p>"
        "{timer}"
        '<p class="status" data-role="waiting">Waiting for the other device…</p>'
        '<div class="actions"><button class="link" data-action="cancel">Cancel</button></div>',
        qr=qr, link=link, classic=classic_link, timer=timer(remaining_ns)))


def render_verify(alias: str, remaining_ns: int, message: Optional[str] = None) -> Markup:
    return card("verify-tentative-device", html(
        "<h2>Confirm the new device</h2>"
        "<p>“{alias}” wants to join your identity. Type the code it shows.</p>"
        "{notice}"
        '<label class="field">Code<input id="tentativeDeviceCode" inputmode="numeric" autocomplete="one-time-code" '
        'maxlength="6" autofocus></label>'
        "{timer}"
        '<div class="actions"><button id="verifyDevice" class="primary" data-action="verify">Confirm</button>'
        '<button class="link" data-action="cancel">Cancel</button></div>',
        alias=alias, notice=notice(message, "verify-message"), timer=timer(remaining_ns)))


def render_closed(detail: str) -> Markup:
    return card("device-registration-disabled", html(
        "<h2>Adding a device has stopped</h2>"
        '<p data-role="closed-detail">{detail}</p>'
        '<div class="actions"><button id="deviceRegModeDisabledRetry" class="primary" data-action="retry">'
        "Start again</button>"
        '<button class="link" data-action="back">Back</button></div>', detail=detail))


def render_join(anchor: int, value: str, message: Optional[str] = None) -> Markup:
    return card("prompt-device-trusted", html(
        "<h2>Add this device to identity {anchor}?</h2>"
        "<p>Only continue if you started this from your own signed-in device. This device gets a passkey "
        "for the identity once you confirm it there.</p>"
        "{notice}"
        '<label class="field">Name of this device<input id="pickAliasInput" maxlength="64" autocomplete="off" '
        'value="{value}"></label>'
        '<div class="actions"><button id="addDeviceContinue" class="primary" data-action="join">Continue</button>'
        '<button class="link" data-action="back">Cancel</button></div>',
        anchor=anchor, notice=notice(message, "join-message"), value=value))


def render_code(anchor: int, code: str, remaining_ns: int) -> Markup:
    return card("show-verification-code", html(
        "<h2>Confirm on your other device</h2>"
        "<p>On the device signed in to identity {anchor}, type this code:</p>"
        '<p class="number" id="verificationCode" data-role="verification-code">{code}</p>'
        "{timer}"
        '<p class="status" data-role="waiting">Waiting for the confirmation…</p>',
        anchor=anchor, code=code, timer=timer(remaining_ns)))


def render_joined(anchor: int) -> Markup:
    return card("add-device-success", html(
        "<h2>This device is added</h2>"
        "<p>Its passkey now opens identity {anchor}. Sign in with it to continue.</p>"
        '<div class="actions"><button id="addDeviceSignIn" class="primary" data-action="sign-in">Sign in</button></div>',
        anchor=anchor))


def render_link_problem(detail: str) -> Markup:
    return card("add-device-link-problem", html(
        "<h2>This link cannot add a device</h2>"
        '<p id="errorContainer" class="error" role="alert" data-role="link-problem">{detail}</p>'
        '<div class="actions"><button id="displayErrorPrimary" class="primary" data-action="home">'
        "Go to Internet Identity</button></div>", detail=detail))
