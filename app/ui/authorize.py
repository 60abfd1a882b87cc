"""Screens of the authorize flow: who asks, pick or create an identity, and the outcomes."""

from __future__ import annotations

from typing import Optional

from app.ui.markup import card, text


def render_request(origin: str, derivation_origin: Optional[str], anchors: tuple[int, ...], *,
                   preselected: Optional[int] = None) -> str:
    via = (f'<p class="footnote">Principals are derived for <span class="origin">{text(derivation_origin)}</span>.</p>'
           if derivation_origin and derivation_origin != origin else "")
    remembered = ""
    if anchors:
        buttons = "".join(
            f'<button class="{"primary" if a == preselected else "secondary"}" data-anchor-id="{text(a)}" '
            f'data-action="pick-{text(a)}"{" data-preselected" if a == preselected else ""}>'
            f"<span>Identity {text(a)}{' · used with this app' if a == preselected else ''}</span>"
            f"<span aria-hidden=\"true\">→</span></button>" for a in anchors)
        remembered = f'<h2>Continue as</h2><div class="identities" data-role="remembered">{buttons}</div>'
    return card("authorize", (
        '<p class="lead">Sign in to</p>'
        f'<p class="origin" data-role="requesting-origin">{text(origin)}</p>{via}{remembered}'
        '<div class="actions">'
        '<button id="registerButton" class="primary" data-action="register">Create Internet Identity</button>'
        '<button id="loginButton" class="secondary" data-action="login">Use existing identity</button>'
        '<button class="link" data-action="cancel">Cancel</button></div>'
        '<p class="footnote"><button id="recoverButton" class="link" data-action="recover">Lost access?</button></p>'
    ))


def render_failure(title: str, detail: str) -> str:
    return card("authorize-failure", (
        f'<div id="errorContainer" class="error" role="alert"><strong data-role="failure-title">{text(title)}</strong>'
        f'<p data-role="failure-detail">{text(detail)}</p></div>'
        "<p>You can close this window and try again from the app.</p>"
    ))


def render_completed(origin: str) -> str:
    return card("authorize-completed", (
        f'<p class="lead" data-role="completed">Signed in to <span class="origin">{text(origin)}</span>. '
        "You can return to the app.</p>"
    ))
