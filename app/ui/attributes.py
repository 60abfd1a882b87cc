"""The attribute consent screen: what the app asks for, what this identity can share, and a tick
box per attribute (II's "Allow to access this info": rows ticked by default, "Deny all", "Continue")."""

from __future__ import annotations

from typing import Sequence

from app.ui.markup import EMPTY, Markup, card, html, join

LABELS = {"name": "Name", "email": "Email", "verified_email": "Verified email"}


def option_input(index: int) -> str:
    """The selector of the tick box of option `index` on the consent screen."""
    return f'[data-attribute-index="{index}"]'


def _label(attribute: str) -> str:
    return LABELS.get(attribute, attribute) + ":"


def render_consent(origin: str, requested: Sequence[str], options: Sequence[tuple[str, str]],
                   unavailable: Sequence[str], ticked: Sequence[bool]) -> Markup:
    """`options`: (attribute name, value shown) per shareable attribute; `unavailable`: the
    requested keys this identity has no value for."""
    rows = join(html(
        '<label class="check attribute" data-role="attribute-option" data-attribute="{name}">'
        '<input type="checkbox" data-attribute-index="{i}"{ticked}>'
        '<span class="attribute-label">{label}</span><strong class="attribute-value">{value}</strong></label>',
        i=i, name=name, label=_label(name), value=value, ticked=Markup(" checked") if tick else EMPTY)
        for i, ((name, value), tick) in enumerate(zip(options, ticked)))
    missing = EMPTY
    if unavailable:
        missing = html(
            '<p class="footnote" data-role="attributes-unavailable">Not available from this identity: {keys}. '
            "E-mail addresses come from OpenID providers (Google, Microsoft, SSO), which this Internet "
            "Identity does not connect to.</p>", keys=", ".join(unavailable))
    return card("attribute-consent", html(
        '<p class="lead">Allow to access this info</p>'
        '<p class="origin" data-role="requesting-origin">{origin}</p>'
        '<p data-role="attributes-requested">This app asks for: {asked}</p>'
        "<h2>Choose which details you'd like to share</h2>"
        '<div class="attributes" data-role="attribute-options">{rows}</div>{missing}'
        '<p class="footnote">What you share is signed by Internet Identity together with the app\'s '
        "origin, its one-time nonce and the time.</p>"
        '<div class="actions">'
        '<button class="primary" data-action="continue" data-role="consent-continue">Continue</button>'
        '<button class="link" data-action="deny-all" data-role="consent-deny-all">Deny all</button></div>',
        origin=origin, asked=", ".join(requested), rows=rows, missing=missing))
