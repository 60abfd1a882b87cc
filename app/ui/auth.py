"""Screens of creating an identity and signing in (classic II ids, DESIGN section 6)."""

from __future__ import annotations

import base64
import binascii
from typing import Optional

from app.ui.markup import card, text


def render_busy(message: str) -> str:
    return card("busy", (f'<div class="progress" role="progressbar" aria-label="{text(message)}"><span></span></div>'
                         f'<p class="status" data-role="busy">{text(message)}</p>'))


def captcha_src(png_base64: str) -> str:
    """A data URL for the captcha; anything but base64 never reaches the page."""
    try:
        base64.b64decode(png_base64, validate=True)
    except (binascii.Error, ValueError):
        return ""
    return "data:image/png;base64," + png_base64


def render_captcha(png_base64: str, message: Optional[str] = None) -> str:
    notice = f'<p class="error" role="alert" data-role="captcha-message">{text(message)}</p>' if message else ""
    return card("captcha", (
        "<h2>Prove you are a person</h2>"
        "<p>Type the characters you see in the image.</p>"
        f'<img class="captcha" data-role="captcha-image" alt="Characters to type" src="{text(captcha_src(png_base64))}">'
        f"{notice}"
        '<label class="field">Characters<input id="captchaInput" autocomplete="off" autocapitalize="none" '
        'spellcheck="false" autofocus></label>'
        '<div class="actions"><button id="confirmRegisterButton" class="primary" data-action="confirm-captcha">'
        "Next</button>"
        '<button class="secondary" data-action="cancel">Cancel</button></div>'
    ))


def render_user_number(anchor: int) -> str:
    return card("user-number", (
        "<h2>Your identity is ready</h2>"
        "<p>This is your identity number. Write it down: you will use it to sign in.</p>"
        f'<p class="number" id="userNumber" data-role="user-number">{text(anchor)}</p>'
        '<div class="actions"><button id="displayUserContinue" class="primary" data-action="continue">'
        "Continue</button></div>"
    ))


def render_sign_in(message: Optional[str] = None) -> str:
    notice = f'<p class="error" role="alert">{text(message)}</p>' if message else ""
    return card("sign-in", (
        "<h2>Use an existing identity</h2>"
        f"{notice}"
        '<label class="field">Identity number<input id="userNumberInput" inputmode="numeric" '
        'autocomplete="off" placeholder="e.g. 10000" autofocus></label>'
        '<div class="actions"><button id="userNumberContinue" class="primary" data-action="continue-number">'
        "Continue</button>"
        '<button class="secondary" data-action="continue-passkey" data-role="continue-with-passkey">'
        "Continue with a passkey</button>"
        '<button class="link" data-action="cancel">Back</button></div>'
    ))


def render_error(title: str, detail: str, *, retry_label: str = "Try again") -> str:
    return card("error", (
        f'<div id="errorContainer" class="error" role="alert"><strong>{text(title)}</strong>'
        f'<p data-role="error-detail">{text(detail)}</p></div>'
        f'<div class="actions"><button id="displayErrorPrimary" class="primary" data-action="retry">'
        f"{text(retry_label)}</button></div>"
    ))
