"""The landing screen: create an identity, use an existing one, or recover one.

The button ids are the classic II's (DESIGN section 6): other people's test helpers click them.
"""

from __future__ import annotations

from app.ui.markup import Markup, card

LANDING = Markup(
    '<p class="lead">Securely connect to dapps on the Internet Computer, '
    "with a passkey and no passwords.</p>"
    '<div class="actions">'
    '<button id="registerButton" class="primary" data-action="register">'
    "Create Internet Identity</button>"
    '<button id="loginButton" class="secondary" data-action="login">'
    "Use existing identity</button>"
    "</div>"
    '<p class="footnote"><button class="link" data-action="pair">Sign in from another device</button></p>'
    '<p class="footnote"><button id="recoverButton" class="link" data-action="recover">'
    "Lost access?</button> "
    '<a href="#diagnostics" class="link" data-action="diagnostics">Check this browser</a></p>'
)


def render_landing() -> Markup:
    return card("landing", LANDING)
