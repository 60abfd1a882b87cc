"""Screens of recovery: showing and confirming a recovery phrase (`#seedCopy`, `#ack-checkbox`,
`#displaySeedPhraseContinue`, `[data-expected]` word inputs), typing one, and recovering with a
phrase or a recovery security key."""

from __future__ import annotations

from typing import Optional, Sequence

from app.ui.auth import notice
from app.ui.markup import Markup, card, html, join


def _notice(message: Optional[str]) -> Markup:
    return notice(message, "recovery-message")


def render_phrase(anchor: int, words: Sequence[str], message: Optional[str] = None, *,
                  acknowledged: bool = False) -> Markup:
    items = join(html('<li><span data-role="seed-word">{}</span></li>', w) for w in words)
    return card("display-seed-phrase", html(
        "<h2>Your recovery phrase</h2>"
        "<p>Write these words down, in order, with your identity number, and keep them somewhere safe "
        "and offline. Anyone who has them can take over your identity.</p>"
        "{notice}"
        '<p class="number" data-role="seed-anchor">{anchor}</p>'
        '<ol class="seed" data-role="seed-phrase" aria-label="Recovery phrase">{items}</ol>'
        '<div class="actions"><button id="seedCopy" class="secondary" data-action="copy">Copy</button></div>'
        '<label class="check"><input type="checkbox" id="ack-checkbox"{ticked}> I have written down my recovery '
        "phrase</label>"
        '<div class="actions"><button id="displaySeedPhraseContinue" class="primary" data-action="continue">'
        "Continue</button>"
        '<button class="link" data-action="back">Cancel</button></div>',
        notice=_notice(message), anchor=anchor, items=items, ticked=Markup(" checked") if acknowledged else ""))


def word_input(position: int) -> str:
    """The selector of the input for word `position` (0-based) on the confirm screen."""
    return f'[data-position="{position}"]'


def render_confirm_words(words: Sequence[str], positions: Sequence[int], message: Optional[str] = None,
                         typed: Optional[dict[int, str]] = None) -> Markup:
    typed = typed or {}
    fields = join(html(
        '<label class="field">Word {number}<input data-position="{p}" data-expected="{word}" '
        'value="{value}" autocomplete="off" autocapitalize="none" spellcheck="false"></label>',
        number=p + 1, p=p, word=words[p], value=typed.get(p, "")) for p in positions)
    return card("confirm-seed-phrase", html(
        "<h2>Check your recovery phrase</h2>"
        "<p>Type these words from the phrase you wrote down.</p>"
        "{notice}{fields}"
        '<div class="actions"><button id="confirmSeedPhraseButton" class="primary" data-action="confirm-words">'
        "Save the recovery phrase</button>"
        '<button class="link" data-action="show-again">Show the phrase again</button></div>',
        notice=_notice(message), fields=fields))


def render_enter_phrase(title: str, explanation: str, message: Optional[str] = None, value: str = "") -> Markup:
    return card("enter-recovery-phrase", html(
        "<h2>{title}</h2><p>{explanation}</p>"
        "{notice}"
        '<label class="field">Recovery phrase<textarea id="recoveryPhraseInput" rows="4" autocomplete="off" '
        'autocapitalize="none" spellcheck="false" autofocus>{value}</textarea></label>'
        '<div class="actions"><button id="recoveryPhraseContinue" class="primary" data-action="continue">Continue</button>'
        '<button class="link" data-action="back">Cancel</button></div>',
        title=title, explanation=explanation, notice=_notice(message), value=value))


def render_recover_choice() -> Markup:
    return card("recover", Markup(
        "<h2>Lost access?</h2>"
        "<p>Get back into your identity with its recovery phrase or its recovery security key.</p>"
        '<div class="actions column">'
        '<button id="recoverWithPhrase" class="primary" data-action="phrase">Use my recovery phrase</button>'
        '<button id="recoverWithDevice" class="secondary" data-action="device">Use my recovery security key</button>'
        '<button class="link" data-action="back">Back</button></div>'))


def render_recovery_key_number(message: Optional[str] = None) -> Markup:
    return card("recover-with-device", html(
        "<h2>Use your recovery security key</h2>"
        "{notice}"
        '<label class="field">Identity number<input id="userNumberInput" inputmode="numeric" autocomplete="off" '
        'placeholder="e.g. 10000" autofocus></label>'
        '<div class="actions"><button id="userNumberContinue" class="primary" data-action="continue">Continue</button>'
        '<button class="link" data-action="back">Cancel</button></div>', notice=_notice(message)))


def render_insert_key(anchor: int) -> Markup:
    return card("recover-insert-key", html(
        "<h2>Use your recovery security key</h2>"
        "<p>Connect the recovery security key of identity <strong>{anchor}</strong>, then continue.</p>"
        '<div class="actions"><button id="useRecoveryKey" class="primary" data-action="use-key">Continue</button>'
        '<button class="link" data-action="back">Cancel</button></div>', anchor=anchor))
