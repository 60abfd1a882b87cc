"""Screens of the authorize flow: who asks, pick or create an identity, pick or create one of its
accounts for the app, and the outcomes."""

from __future__ import annotations

from typing import Optional

from app.protocol.app_metadata import AppMetadata
from app.ui.markup import EMPTY, Markup, card, html, join


def _identity_button(anchor: int, preselected: bool, name: Optional[str]) -> Markup:
    label = f"Identity {anchor}" + (f" · {name}" if name else "") + (" · used with this app" if preselected else "")
    return html('<button class="{cls}" data-anchor-id="{anchor}" data-action="pick-{anchor}"{flag}>'
                '<span>{label}</span><span aria-hidden="true">→</span></button>',
                cls="primary" if preselected else "secondary", anchor=anchor,
                flag=Markup(" data-preselected") if preselected else EMPTY, label=label)


APP_SLOT = "[data-role=app-metadata]"


def render_app(app: Optional[AppMetadata]) -> Markup:
    """The dapp as its `ii-app-metadata` presents it (the inside of the request screen's
    `APP_SLOT`, filled in place when it comes); the origin below stays what vouches for it."""
    if app is None:
        return EMPTY
    logo = (html('<img class="app-logo" data-role="app-logo" src="{}" alt="" width="48" height="48">', app.logo)
            if app.logo else EMPTY)
    name = html('<strong class="app-name" data-role="app-name">{}</strong>', app.name) if app.name else EMPTY
    description = (html('<span class="app-description" data-role="app-description">{}</span>', app.description)
                   if app.description else EMPTY)
    return html("{logo}<p>{name}{description}</p>", logo=logo, name=name, description=description)


def render_request(origin: str, derivation_origin: Optional[str], anchors: tuple[int, ...], *,
                   preselected: Optional[int] = None, names: Optional[dict[int, str]] = None,
                   app: Optional[AppMetadata] = None) -> Markup:
    """`names`: the identities' names where the canister has one; `app`: the dapp's own name,
    tagline and logo, when its metadata came."""
    names = names or {}
    via = (html('<p class="footnote">Principals are derived for <span class="origin">{}</span>.</p>',
                derivation_origin) if derivation_origin and derivation_origin != origin else EMPTY)
    remembered = EMPTY
    if anchors:
        buttons = join(_identity_button(a, a == preselected, names.get(a)) for a in anchors)
        forget = join(html('<button class="link" data-action="forget-{anchor}" data-forget-anchor="{anchor}">'
                           "Forget {label}</button>", anchor=a, label=names.get(a) or f"identity {a}")
                      for a in anchors)
        remembered = html('<h2>Continue as</h2><div class="identities" data-role="remembered">{buttons}</div>'
                          '<details class="footnote" data-role="forget-identities"><summary>Not you? Forget an '
                          "identity on this device</summary>{forget}</details>", buttons=buttons, forget=forget)
    return card("authorize", html(
        '<p class="lead">Sign in to</p><div class="app-metadata" data-role="app-metadata">{app}</div>'
        '<p class="origin" data-role="requesting-origin">{origin}</p>{via}{remembered}'
        '<label class="check footnote"><input type="checkbox" id="chooseAccount"> Choose or create an account '
        "for this app</label>"
        '<div class="actions">'
        '<button id="registerButton" class="primary" data-action="register">Create Internet Identity</button>'
        '<button id="loginButton" class="secondary" data-action="login">Use existing identity</button>'
        '<button class="link" data-action="cancel">Cancel</button></div>'
        '<p class="footnote"><button id="recoverButton" class="link" data-action="recover">Lost access?</button></p>',
        origin=origin, app=render_app(app), via=via, remembered=remembered))


def render_failure(title: str, detail: str) -> Markup:
    return card("authorize-failure", html(
        '<div id="errorContainer" class="error" role="alert"><strong data-role="failure-title">{title}</strong>'
        '<p data-role="failure-detail">{detail}</p></div>'
        "<p>You can close this window and try again from the app.</p>", title=title, detail=detail))


def render_completed(origin: str) -> Markup:
    return card("authorize-completed", html(
        '<p class="lead" data-role="completed">Signed in to <span class="origin">{}</span>. '
        "You can return to the app.</p>", origin))


# An account as the picker shows it: (key in its actions, label, whether it is the default one).
AccountChoice = tuple[str, str, bool]


def render_accounts(origin: str, accounts: list[AccountChoice], message: Optional[str] = None) -> Markup:
    """Pick one of the identity's accounts for the app (the default one first), create or rename one."""
    rows = join(html(
        '<div class="account" data-role="account" data-account="{key}">'
        '<button class="{cls}" data-action="use-{key}" title="{label}"><span data-role="account-name">{label}</span>'
        '<span aria-hidden="true">→</span></button>'
        '<button class="link" data-action="rename-{key}" aria-label="Rename {label}">Rename</button></div>',
        key=key, cls="primary" if default else "secondary", label=label) for key, label, default in accounts)
    note = html('<p class="error" role="alert" data-role="account-message">{}</p>', message) if message else EMPTY
    return card("choose-account", html(
        '<p class="lead">Choose the account to use with</p><p class="origin">{origin}</p>{note}'
        '<div class="identities accounts" data-role="accounts">{rows}</div>'
        '<p class="footnote">Each account has its own principal with this app; the app cannot tell they '
        "belong to the same identity.</p>"
        '<div class="actions"><button id="createAccount" class="secondary" data-action="create">Create account'
        '</button><button class="link" data-action="cancel">Cancel</button></div>',
        origin=origin, note=note, rows=rows))


def render_account_name(origin: str, value: str, *, renaming: bool, message: Optional[str] = None) -> Markup:
    """The name of a new account, or the new name of one."""
    title = "Rename the account" if renaming else "Create an account"
    note = html('<p class="error" role="alert" data-role="account-message">{}</p>', message) if message else EMPTY
    return card("account-name", html(
        '<h2>{title}</h2><p class="lead">for</p><p class="origin">{origin}</p>{note}'
        '<label class="field">Account name<input id="accountName" maxlength="255" autocomplete="off" '
        'value="{value}" autofocus></label>'
        '<div class="actions"><button id="saveAccountName" class="primary" data-action="save">Save</button>'
        '<button class="link" data-action="back">Back</button></div>',
        title=title, origin=origin, note=note, value=value))
