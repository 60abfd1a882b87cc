"""Recovery methods and recovering an identity (issue 6 items 3-5; ii-facts §5 "Recovery phrase").

- `RecoverySetup` (from the manage page): add a recovery phrase (24 words shown with the identity
  number, some confirmed before it is saved), lock / unlock it (typing the phrase: a locked phrase
  can only be changed by calls the phrase itself signs), reset it (`replace`), add a recovery
  security key (a cross-platform passkey with purpose recovery).
- `Recover` ("Lost access?"): with the phrase (the classic `"<number> <words>"` form; spacing and
  case do not matter; a wrong word is named) or with the recovery security key; then the person
  is offered a new passkey on this device, and is signed in.

Signing as the phrase: its Ed25519 key (SLIP-0010, `app.recovery.phrase`) signs one delegation to
the page's session key, as a passkey does at sign-in, so later calls are signed by WebCrypto.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Callable, Optional, Sequence

from ic.agent import DelegationIdentity, Ed25519Identity, Identity
from ic.delegation import DelegationChain, SignedDelegation, delegation_payload
from ic.errors import ICError
from ic.webauthn import encode_webauthn_signature, public_key_from_attestation

from app.canister.devices import RECOVERY_KEY_ALIAS, RECOVERY_PHRASE_ALIAS, AnchorInfo, Device
from app.flows.authenticate import (DUMMY_CREDENTIAL_BYTES, SignedIn, dummy_credential_id, dummy_device,
                                    frontend_delegation, parse_identity_number, session_identity)
from app.flows.env import Env
from app.flows.manage import explain
from app.flows.new_passkey import NewPasskey, finish_new_passkey, read_alias, start_new_passkey
from app.passkeys import CreationOptions, PasskeyError, RequestOptions
from app.protocol.request import AuthnMethod
from app.recovery.phrase import ENTROPY_BYTES, format_phrase, generate_phrase, parse_recovery_input, recovery_key_seed
from app.ui import auth as auth_screens
from app.ui import manage as manage_screens
from app.ui import recovery as screens

CONFIRM_WORDS = 4


def confirmation_positions(random_bytes: bytes, count: int = CONFIRM_WORDS, words: int = 24) -> list[int]:
    """Distinct word positions to ask for, in order, chosen by `random_bytes`."""
    chosen: list[int] = []
    for byte in random_bytes:
        position = byte % words
        if position not in chosen:
            chosen.append(position)
        if len(chosen) == count:
            break
    return sorted(chosen)


def wrong_words(words: Sequence[str], answers: dict[int, str]) -> list[int]:
    """Positions (0-based) whose typed word is not the phrase's."""
    return [p for p, typed in answers.items() if typed.strip().lower() != words[p]]


def phrase_identity(words: Sequence[str]) -> Ed25519Identity:
    return Ed25519Identity.from_seed(recovery_key_seed(words))


def phrase_device(words: Sequence[str], origin: str, *, protected: bool = False) -> Device:
    return Device(pubkey=phrase_identity(words).public_key_der(), alias=RECOVERY_PHRASE_ALIAS,
                  purpose="recovery", key_type="seed_phrase",
                  protection="protected" if protected else "unprotected", origin=origin)


class RecoverySetup:
    """Recovery methods of a signed-in identity; `back(message)` returns to the manage page."""

    def __init__(self, env: Env, who: SignedIn, back: Callable[..., None], info: Optional[AnchorInfo] = None):
        self.env, self.who, self.back, self.info = env, who, back, info

    # -- a new phrase (add, or reset = replace) -------------------------------------------------

    def add_phrase(self, _event=None) -> None:
        self._new_phrase(replacing=None, signer=self.who.identity)

    def reset(self, device: Device) -> None:
        if device.is_protected:  # only the old phrase may replace a locked phrase
            self._ask_phrase(device, "Reset your recovery phrase",
                             "Your recovery phrase is locked. Type it to replace it with a new one.",
                             lambda identity: self._new_phrase(replacing=device, signer=identity))
        else:
            self._new_phrase(replacing=device, signer=self.who.identity)

    def _new_phrase(self, replacing: Optional[Device], signer: Identity) -> None:
        words = generate_phrase(self.env.random(ENTROPY_BYTES))
        self._show_phrase(words, replacing, signer)

    def _show_phrase(self, words: list[str], replacing: Optional[Device], signer: Identity,
                     message: Optional[str] = None) -> None:
        text = format_phrase(self.who.anchor, words)

        def go_on(_e) -> None:
            if not self.env.is_checked("#ack-checkbox"):
                self._show_phrase(words, replacing, signer, "Tick the box once you have written the phrase down.")
                return
            self._confirm(words, replacing, signer, confirmation_positions(self.env.random(32)))

        self.env.show(screens.render_phrase(self.who.anchor, words, message), {
            "copy": lambda _e: self.env.copy_text(text), "continue": go_on, "back": lambda _e: self.back()})

    def _confirm(self, words: list[str], replacing: Optional[Device], signer: Identity, positions: list[int],
                 message: Optional[str] = None, typed: Optional[dict[int, str]] = None) -> None:
        def check(_e) -> None:
            answers = {p: self.env.input_value(f'[data-position="{p}"]') for p in positions}
            wrong = wrong_words(words, answers)
            if wrong:
                names = ", ".join(f"word {p + 1}" for p in wrong)
                self._confirm(words, replacing, signer, positions, f"Not quite: check {names}.", answers)
                return
            self.env.show(auth_screens.render_busy("Saving your recovery phrase…"), {})
            self.env.spawn(self._save(words, replacing, signer))

        self.env.show(screens.render_confirm_words(words, positions, message, typed), {
            "confirm-words": check, "show-again": lambda _e: self._show_phrase(words, replacing, signer)})

    async def _save(self, words: list[str], replacing: Optional[Device], signer: Identity) -> None:
        device = phrase_device(words, self.env.origin)
        try:
            client = await self.env.ii(signer)
            if replacing is None:
                await client.add_device(self.who.anchor, device)
            else:
                await client.replace_device(self.who.anchor, replacing.pubkey, device)
        except ICError as exc:
            self.back(explain(exc), error=True)
            return
        self.back("Your new recovery phrase is saved." if replacing else "Your recovery phrase is saved.")

    # -- lock / unlock -------------------------------------------------------------------------

    def protect(self, device: Device) -> None:
        self._ask_phrase(device, "Lock your recovery phrase",
                         "Once locked, the phrase can only be changed or removed by someone who types it. "
                         "Type it now to lock it.", lambda identity: self._set_protection(device, identity, True))

    def unprotect(self, device: Device) -> None:
        self._ask_phrase(device, "Unlock your recovery phrase", "Type your recovery phrase to unlock it.",
                         lambda identity: self._set_protection(device, identity, False))

    def _set_protection(self, device: Device, identity: Identity, protected: bool) -> None:
        changed = replace(device, protection="protected" if protected else "unprotected")
        self.env.show(auth_screens.render_busy("Saving…"), {})

        async def write() -> None:
            try:
                await (await self.env.ii(identity)).update_device(self.who.anchor, changed)
            except ICError as exc:
                self.back(explain(exc), error=True)
                return
            self.back("Your recovery phrase is locked." if protected else "Your recovery phrase is unlocked.")

        self.env.spawn(write())

    def _ask_phrase(self, device: Device, title: str, explanation: str, then: Callable[[Identity], None],
                    message: Optional[str] = None, value: str = "") -> None:
        def go_on(_e) -> None:
            typed = self.env.input_value("#recoveryPhraseInput")
            parsed = parse_recovery_input(typed)
            if not parsed.usable:
                self._ask_phrase(device, title, explanation, then, " ".join(parsed.problems), typed)
                return
            if parsed.anchor is not None and parsed.anchor != self.who.anchor:
                self._ask_phrase(device, title, explanation, then,
                                 f"This phrase is for identity {parsed.anchor}, not {self.who.anchor}.", typed)
                return
            identity = phrase_identity(parsed.words)
            if identity.public_key_der() != device.pubkey:
                self._ask_phrase(device, title, explanation, then,
                                 "This is not the recovery phrase of this identity.", typed)
                return
            then(identity)

        self.env.show(screens.render_enter_phrase(title, explanation, message, value),
                      {"continue": go_on, "back": lambda _e: self.back()})

    # -- recovery security key -----------------------------------------------------------------

    def add_security_key(self, _event=None) -> None:
        """Called in the click: the WebAuthn prompt starts before anything is awaited."""
        env = self.env
        if env.config.dummy_auth:
            credential_id = dummy_credential_id(env.random)
            device = self._key_device(dummy_device(credential_id).public_key_der(), credential_id)
            env.show(auth_screens.render_busy("Adding your recovery security key…"), {})
            env.spawn(self._add_key(device))
            return
        existing = tuple(d.credential_id for d in (self.info.devices if self.info else ()) if d.credential_id)
        pending = env.start_create(CreationOptions(
            challenge=env.random(16), rp_id=env.rp_id, user_id=env.random(16),
            user_name=f"Identity {self.who.anchor} (recovery)", exclude_credentials=existing,
            authenticator_attachment="cross-platform", resident_key="discouraged"))
        env.show(auth_screens.render_busy("Waiting for your security key…"), {})
        env.spawn(self._created_key(pending))

    def _key_device(self, pubkey: bytes, credential_id: bytes) -> Device:
        return Device(pubkey=pubkey, alias=RECOVERY_KEY_ALIAS, credential_id=credential_id, purpose="recovery",
                      key_type="cross_platform", origin=self.env.origin)

    async def _created_key(self, pending) -> None:
        try:
            created = await pending
        except PasskeyError as exc:
            self.back(str(exc), error=True)
            return
        await self._add_key(self._key_device(public_key_from_attestation(created.attestation_object).to_der(),
                                             created.credential_id))

    async def _add_key(self, device: Device) -> None:
        try:
            await (await self.env.ii(self.who.identity)).add_device(self.who.anchor, device)
        except ICError as exc:
            self.back(explain(exc), error=True)
            return
        self.back("Your recovery security key is added.")


class Recover:
    """"Lost access?": a phrase or a recovery security key, a new passkey offered, then `done`."""

    def __init__(self, env: Env, done: Callable[[SignedIn], None], back: Callable[[], None]):
        self.env, self.done, self.back = env, done, back

    def start(self, _event=None) -> None:
        self.env.show(screens.render_recover_choice(), {
            "phrase": lambda _e: self._phrase(), "device": lambda _e: self._key_number(),
            "back": lambda _e: self.back()})

    # -- with the phrase -----------------------------------------------------------------------

    def _phrase(self, message: Optional[str] = None, value: str = "") -> None:
        def go_on(_e) -> None:
            typed = self.env.input_value("#recoveryPhraseInput")
            parsed = parse_recovery_input(typed)
            if not parsed.usable:
                self._phrase(" ".join(parsed.problems), typed)
            elif parsed.anchor is None:
                self._phrase("Type your identity number in front of the words, as it was shown with them.", typed)
            else:
                self.env.show(auth_screens.render_busy("Checking your recovery phrase…"), {})
                self.env.spawn(self._with_phrase(parsed.anchor, list(parsed.words), typed))

        self.env.show(screens.render_enter_phrase(
            "Recover with your recovery phrase", "Type your identity number and the 24 words of your recovery phrase.",
            message, value), {"continue": go_on, "back": lambda _e: self.start()})

    async def _with_phrase(self, anchor: int, words: list[str], typed: str) -> None:
        key = phrase_identity(words)
        try:
            _, phrases = await (await self.env.ii()).recovery_methods(anchor)
        except ICError as exc:
            self._phrase(f"Could not use recovery phrase: {explain(exc)}", typed)
            return
        if key.public_key_der() not in phrases:
            self._phrase(f"Could not use recovery phrase: it is not the recovery phrase of identity {anchor}. "
                         "Check the identity number and the words.", typed)
            return
        session = await self.env.new_session_key()
        delegation = frontend_delegation(session, self.env.now_ns())
        signature = await key.sign(delegation_payload(delegation))
        chain = DelegationChain((SignedDelegation(delegation, signature),), key.public_key_der())
        self._signed_in(SignedIn(anchor, DelegationIdentity(session_identity(session), chain),
                                 AuthnMethod.RECOVERY, key.public_key_der()))

    # -- with the recovery security key ---------------------------------------------------------

    def _key_number(self, message: Optional[str] = None) -> None:
        def go_on(_e) -> None:
            anchor = parse_identity_number(self.env.input_value("#userNumberInput"))
            if anchor is None:
                self._key_number("Enter your identity number (digits only).")
                return
            self.env.show(auth_screens.render_busy("Looking up your identity…"), {})
            self.env.spawn(self._load_keys(anchor))

        self.env.show(screens.render_recovery_key_number(message),
                      {"continue": go_on, "back": lambda _e: self.start()})

    async def _load_keys(self, anchor: int) -> None:
        try:
            recovery_keys, _ = await (await self.env.ii()).recovery_methods(anchor)
            session = await self.env.new_session_key()
        except ICError as exc:
            self._key_number(explain(exc))
            return
        keys = [(c.credential_id, c.pubkey) for c in recovery_keys]
        if not keys:
            self._key_number(f"Identity {anchor} has no recovery security key.")
            return
        self.env.show(screens.render_insert_key(anchor), {
            "use-key": lambda _e: self._use_key(anchor, keys, session), "back": lambda _e: self.start()})

    def _use_key(self, anchor: int, keys: list[tuple[bytes, bytes]], session) -> None:
        """In the click: the WebAuthn prompt starts first."""
        env = self.env
        delegation = frontend_delegation(session, env.now_ns())
        if env.config.dummy_auth:
            env.spawn(self._dummy_key(anchor, keys, delegation, session))
            return
        pending = env.start_get(RequestOptions(challenge=delegation_payload(delegation), rp_id=env.rp_id,
                                               allow_credentials=tuple(c for c, _ in keys)))
        env.show(auth_screens.render_busy("Waiting for your security key…"), {})
        env.spawn(self._key_signed(anchor, keys, pending, delegation, session))

    async def _key_signed(self, anchor, keys, pending, delegation, session) -> None:
        try:
            assertion = await pending
        except PasskeyError as exc:
            self._key_number(str(exc))
            return
        pubkey = dict(keys).get(assertion.credential_id)
        if pubkey is None:
            self._key_number(f"This security key is not a recovery key of identity {anchor}.")
            return
        signature = encode_webauthn_signature(assertion.authenticator_data, assertion.client_data_json,
                                              assertion.signature)
        chain = DelegationChain((SignedDelegation(delegation, signature),), pubkey)
        self._signed_in(SignedIn(anchor, DelegationIdentity(session_identity(session), chain),
                                 AuthnMethod.RECOVERY, pubkey))

    async def _dummy_key(self, anchor, keys, delegation, session) -> None:
        for credential_id, pubkey in keys:
            if len(credential_id) == DUMMY_CREDENTIAL_BYTES and dummy_device(credential_id).public_key_der() == pubkey:
                signature = await dummy_device(credential_id).sign(delegation_payload(delegation))
                chain = DelegationChain((SignedDelegation(delegation, signature),), pubkey)
                self._signed_in(SignedIn(anchor, DelegationIdentity(session_identity(session), chain),
                                         AuthnMethod.RECOVERY, pubkey))
                return
        self._key_number(f"Identity {anchor} has no recovery key usable with dummy authentication.")

    # -- then: a passkey on this device ---------------------------------------------------------

    def _signed_in(self, who: SignedIn, message: Optional[str] = None, value: str = "Passkey") -> None:
        """Offer a new passkey here (classic: recovery ends by registering this device)."""
        def create(_e) -> None:
            raw, alias, problem = read_alias(self.env)
            if alias is None:
                self._signed_in(who, problem, raw)
                return
            new = start_new_passkey(self.env, alias, f"Identity {who.anchor}")
            self.env.show(auth_screens.render_busy("Creating your passkey…"), {})
            self.env.spawn(self._add_passkey(who, new))

        self.env.show(manage_screens.render_alias(
            f"You are back in identity {who.anchor}",
            "Add a passkey on this device, so you can sign in without your recovery method next time.",
            value, "create-passkey", "Add a passkey", message, cancel_label="Not now"),
            {"create-passkey": create, "back": lambda _e: self.done(who)})

    async def _add_passkey(self, who: SignedIn, new: NewPasskey) -> None:
        try:
            device = await finish_new_passkey(self.env, new)
            await (await self.env.ii(who.identity)).add_device(who.anchor, device)
        except PasskeyError as exc:
            self._signed_in(who, str(exc), new.alias)
            return
        except ICError as exc:
            self._signed_in(who, explain(exc), new.alias)
            return
        self.done(who)
