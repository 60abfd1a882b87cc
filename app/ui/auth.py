"""Screens of creating an identity and signing in (classic II ids, DESIGN section 6)."""

from __future__ import annotations

import base64
import binascii
from typing import Optional

from app.ui.markup import EMPTY, Markup, card, html


def render_busy(message: str) -> Markup:
    return card("busy", html('<div class="progress" role="progressbar" aria-label="{0}"><span></span></div>'
                             '<p class="status" data-role="busy">{0}</p>', message))


def captcha_src(png_base64: str) -> str:
    """A data URL for the captcha; anything but base64 never reaches the page."""
    try:
        base64.b64decode(png_base64, validate=True)
    except (binascii.Error, ValueError):
        return ""
    return "data:image/png;base64," + png_base64


def notice(message: Optional[str], role: str) -> Markup:
    """An error line above a form (`data-role` names it for tests), or nothing."""
    if not message:
        return EMPTY
    return html('<p class="error" role="alert" data-role="{role}">{message}</p>', role=role, message=message)


def render_captcha(png_base64: str, message: Optional[str] = None) -> Markup:
    return card("captcha", html(
        "<h2>Prove you are a person</h2>"
        "<p>Type the characters you see in the image.</p>"
        '<img class="captcha" data-role="captcha-image" alt="Characters to type" src="{src}">'
        "{notice}"
        '<label class="field">Characters<input id="captchaInput" autocomplete="off" autocapitalize="none" '
        'spellcheck="false" autofocus></label>'
        '<div class="actions"><button id="confirmRegisterButton" class="primary" data-action="confirm-captcha">'
        "Next</button>"
        '<button class="secondary" data-action="cancel">Cancel</button></div>',
        src=captcha_src(png_base64), notice=notice(message, "captcha-message")))


def render_user_number(anchor: int) -> Markup:
    return card("user-number", html(
        "<h2>Your identity is ready</h2>"
        "<p>This is your identity number. Write it down: you will use it to sign in.</p>"
        '<p class="number" id="userNumber" data-role="user-number">{anchor}</p>'
        '<div class="actions"><button id="displayUserContinue" class="primary" data-action="continue">'
        "Continue</button></div>", anchor=anchor))


def render_sign_in(message: Optional[str] = None) -> Markup:
    alert = html('<p class="error" role="alert">{}</p>', message) if message else EMPTY
    return card("sign-in", html(
        "<h2>Use an existing identity</h2>"
        "{alert}"
        '<label class="field">Identity number<input id="userNumberInput" inputmode="numeric" '
        'autocomplete="off" placeholder="e.g. 10000" autofocus></label>'
        '<div class="actions"><button id="userNumberContinue" class="primary" data-action="continue-number">'
        "Continue</button>"
        '<button class="secondary" data-action="continue-passkey" data-role="continue-with-passkey">'
        "Continue with a passkey</button>"
        '<button class="link" data-action="cancel">Back</button></div>', alert=alert))


def render_dummy_index(purpose: str, message: str) -> Markup:
    """Dummy auth with `prompt_for_index`: the index typed into the browser's prompt ("Enter seed
    index") was refused; type another (the prompt again) or cancel."""
    return card("dummy-auth-index", html(
        "<h2>Dummy authentication</h2>"
        "<p>{purpose} Each index is a fixed test key: the same index is always the same identity.</p>"
        "{notice}"
        '<div class="actions"><button id="dummyAuthIndexRetry" class="primary" data-action="retry">'
        "Type another index</button>"
        '<button class="secondary" data-action="cancel">Cancel</button></div>',
        purpose=purpose, notice=notice(message, "dummy-auth-index-message")))


def render_error(title: str, detail: str, *, retry_label: str = "Try again") -> Markup:
    return card("error", html(
        '<div id="errorContainer" class="error" role="alert"><strong>{title}</strong>'
        '<p data-role="error-detail">{detail}</p></div>'
        '<div class="actions"><button id="displayErrorPrimary" class="primary" data-action="retry">'
        "{retry_label}</button></div>", title=title, detail=detail, retry_label=retry_label))
