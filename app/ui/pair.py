"""Screens of signing in from another device, started on the new one: the new device shows a
link for the signed-in device, then a code; the signed-in device opens the link and types the code
(its code screen is `app.ui.add_device.render_verify`)."""

from __future__ import annotations

from typing import Optional

from app.ui.add_device import timer
from app.ui.auth import notice
from app.ui.markup import Markup, card, html


# -- the new device


def render_pair_start(link: str, qr: Markup, remaining_ns: int) -> Markup:
    return card("pair-start", html(
        "<h2>Sign in from another device</h2>"
        "<p>On a device already signed in to your identity, scan this code or open the link.</p>"
        '<div class="qr-frame">{qr}</div>'
        '<p class="link-box"><a data-role="pair-link" href="{link}">{link}</a></p>'
        "{timer}"
        '<p class="status" data-role="waiting">Waiting for your other device…</p>'
        '<div class="actions"><button class="link" data-action="cancel">Cancel</button></div>',
        qr=qr, link=link, timer=timer(remaining_ns)))


def render_pair_code(anchor: int, code: str, remaining_ns: int) -> Markup:
    return card("pair-code", html(
        "<h2>Confirm on your other device</h2>"
        "<p>Identity {anchor} opened the link. On that device, type this code:</p>"
        '<p class="number" data-role="pair-code">{code}</p>'
        "{timer}"
        '<p class="status" data-role="waiting">Waiting for the confirmation…</p>'
        '<div class="actions"><button class="link" data-action="cancel">Cancel</button></div>',
        anchor=anchor, code=code, timer=timer(remaining_ns)))


def render_pair_passkey(identity: str, value: str, message: Optional[str] = None) -> Markup:
    return card("pair-passkey", html(
        "<h2>Create a passkey for {identity}</h2>"
        "<p>Your other device let this one in. A passkey on this device signs you in from now on.</p>"
        "{notice}"
        '<label class="field">Name of this device<input id="pickAliasInput" maxlength="64" autocomplete="off" '
        'value="{value}"></label>'
        '<div class="actions"><button class="primary" data-action="create-passkey">Create passkey</button>'
        '<button class="link" data-action="back">Cancel</button></div>',
        identity=identity, notice=notice(message, "pair-message"), value=value))


def render_pair_problem(detail: str) -> Markup:
    return card("pair-problem", html(
        "<h2>Signing in from another device stopped</h2>"
        '<p id="errorContainer" class="error" role="alert" data-role="pair-problem">{detail}</p>'
        '<div class="actions"><button class="primary" data-action="home">Back to Internet Identity</button></div>',
        detail=detail))


# -- the signed-in device


def render_activate(registration_id: str) -> Markup:
    return card("activate", html(
        "<h2>Let a new device in?</h2>"
        "<p>A device asks to sign in to your identity with the link <strong>{rid}</strong>. Only continue if "
        "you started this on your own new device. Sign in here, then type the code it shows.</p>"
        '<div class="actions"><button id="loginButton" class="primary" data-action="sign-in">Sign in to continue'
        '</button><button class="link" data-action="cancel">Cancel</button></div>',
        rid=registration_id))


def render_activate_waiting(remaining_ns: int) -> Markup:
    return card("activate-waiting", html(
        "<h2>Waiting for the new device</h2>"
        "<p>The new device asks for its code now; it appears there in a moment.</p>"
        "{timer}"
        '<div class="actions"><button class="link" data-action="cancel">Cancel</button></div>',
        timer=timer(remaining_ns)))


def render_activate_done(message: str) -> Markup:
    return card("activate-done", html(
        '<h2>Done</h2><p data-role="activate-done">{message}</p>'
        '<div class="actions"><button class="primary" data-action="continue">Continue</button></div>',
        message=message))
