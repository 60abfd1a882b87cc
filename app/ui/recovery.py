"""Screens of recovery: showing and confirming a recovery phrase (`#seedCopy`, `#ack-checkbox`,
`#displaySeedPhraseContinue`, `[data-expected]` word inputs), typing one, and recovering with a
phrase or a recovery security key."""

from __future__ import annotations

from typing import Optional, Sequence

from app.ui.markup import card, text


def _notice(message: Optional[str]) -> str:
    return f'<p class="error" role="alert" data-role="recovery-message">{text(message)}</p>' if message else ""


def render_phrase(anchor: int, words: Sequence[str], message: Optional[str] = None) -> str:
    items = "".join(f'<li><span data-role="seed-word">{text(w)}</span></li>' for w in words)
    return card("display-seed-phrase", (
        "<h2>Your recovery phrase</h2>"
        "<p>Write these words down, in order, with your identity number, and keep them somewhere safe "
        "and offline. Anyone who has them can take over your identity.</p>"
        f"{_notice(message)}"
        f'<p class="number" data-role="seed-anchor">{text(anchor)}</p>'
        f'<ol class="seed" data-role="seed-phrase" aria-label="Recovery phrase">{items}</ol>'
        '<div class="actions"><button id="seedCopy" class="secondary" data-action="copy">Copy</button></div>'
        '<label class="check"><input type="checkbox" id="ack-checkbox"> I have written down my recovery phrase</label>'
        '<div class="actions"><button id="displaySeedPhraseContinue" class="primary" data-action="continue">'
        "Continue</button>"
        '<button class="link" data-action="back">Cancel</button></div>'
    ))


def render_confirm_words(words: Sequence[str], positions: Sequence[int], message: Optional[str] = None,
                         typed: Optional[dict[int, str]] = None) -> str:
    typed = typed or {}
    fields = "".join(
        f'<label class="field">Word {p + 1}<input data-position="{p}" data-expected="{text(words[p])}" '
        f'value="{text(typed.get(p, ""))}" autocomplete="off" autocapitalize="none" spellcheck="false"></label>'
        for p in positions)
    return card("confirm-seed-phrase", (
        "<h2>Check your recovery phrase</h2>"
        "<p>Type these words from the phrase you wrote down.</p>"
        f"{_notice(message)}{fields}"
        '<div class="actions"><button id="confirmSeedPhraseButton" class="primary" data-action="confirm-words">'
        "Save the recovery phrase</button>"
        '<button class="link" data-action="show-again">Show the phrase again</button></div>'
    ))


def render_enter_phrase(title: str, explanation: str, message: Optional[str] = None, value: str = "") -> str:
    return card("enter-recovery-phrase", (
        f"<h2>{text(title)}</h2><p>{text(explanation)}</p>"
        f"{_notice(message)}"
        '<label class="field">Recovery phrase<textarea id="recoveryPhraseInput" rows="4" autocomplete="off" '
        f'autocapitalize="none" spellcheck="false" autofocus>{text(value)}</textarea></label>'
        '<div class="actions"><button id="recoveryPhraseContinue" class="primary" data-action="continue">Continue</button>'
        '<button class="link" data-action="back">Cancel</button></div>'
    ))


def render_recover_choice() -> str:
    return card("recover", (
        "<h2>Lost access?</h2>"
        "<p>Get back into your identity with its recovery phrase or its recovery security key.</p>"
        '<div class="actions column">'
        '<button id="recoverWithPhrase" class="primary" data-action="phrase">Use my recovery phrase</button>'
        '<button id="recoverWithDevice" class="secondary" data-action="device">Use my recovery security key</button>'
        '<button class="link" data-action="back">Back</button></div>'
    ))


def render_recovery_key_number(message: Optional[str] = None) -> str:
    return card("recover-with-device", (
        "<h2>Use your recovery security key</h2>"
        f"{_notice(message)}"
        '<label class="field">Identity number<input id="userNumberInput" inputmode="numeric" autocomplete="off" '
        'placeholder="e.g. 10000" autofocus></label>'
        '<div class="actions"><button id="userNumberContinue" class="primary" data-action="continue">Continue</button>'
        '<button class="link" data-action="back">Cancel</button></div>'
    ))


def render_insert_key(anchor: int) -> str:
    return card("recover-insert-key", (
        "<h2>Use your recovery security key</h2>"
        f"<p>Connect the recovery security key of identity <strong>{text(anchor)}</strong>, then continue.</p>"
        '<div class="actions"><button id="useRecoveryKey" class="primary" data-action="use-key">Continue</button>'
        '<button class="link" data-action="back">Cancel</button></div>'
    ))
