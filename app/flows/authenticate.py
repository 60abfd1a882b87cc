"""Create an identity or sign in with one: the screens and their steps (ii-facts sections 2, 3).

- Create: `#registerButton` -> passkey (or, with dummy auth, a fresh Ed25519 key) -> captcha
  (`input#captchaInput`, `#confirmRegisterButton`) -> `#userNumber` + `#displayUserContinue`.
  The v2 registration flow makes this page's session key a temporary key of the new identity,
  so no second passkey prompt is needed to continue.
- Sign in: `#userNumberInput` + `#userNumberContinue` (the identity's passkeys), "continue with
  passkey" without a number (a discoverable passkey, then `lookup_device_key`), or a remembered
  identity (`[data-anchor-id]`). The passkey signs one delegation to the session key; every call
  after that is signed by the session key.

Every WebAuthn call starts synchronously inside its click handler (Safari drops the user
activation after an await); what it needs (the session key, known credentials) is prepared
before the screen is shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Awaitable, Callable, Optional

from ic.agent import DelegationIdentity, EcdsaIdentity, Ed25519Identity, Identity
from ic.delegation import Delegation, DelegationChain, SignedDelegation, delegation_payload
from ic.errors import ICError
from ic.webauthn import encode_webauthn_signature, public_key_from_attestation

from app.canister.client import Captcha, Credential, IIClient, RegistrationError
from app.flows.env import Env, SessionKey
from app.passkeys import CreationOptions, PasskeyError, RequestOptions
from app.protocol.request import AuthnMethod
from app.remembered import STORAGE_KEY, parse_remembered, remember, serialize_remembered
from app.ui import auth as screens

SESSION_TTL_NS = 30 * 60 * 10**9
DUMMY_CREDENTIAL_BYTES = 32


@dataclass(frozen=True)
class SignedIn:
    anchor: int
    identity: Identity             # signs this page's calls to II as the identity
    authn_method: AuthnMethod
    device_pubkey: Optional[bytes] = None   # the device used to sign in (removing it signs out)


def dummy_credential_id(random: Callable[[int], bytes]) -> bytes:
    """Dummy auth (the current II's form): the credential id is the Ed25519 seed, a big-endian
    index in the first 8 bytes; each identity gets its own key, any browser can sign in with it."""
    return random(8) + bytes(DUMMY_CREDENTIAL_BYTES - 8)


def dummy_device(credential_id: bytes) -> Ed25519Identity:
    return Ed25519Identity.from_seed(credential_id)


def session_identity(key: SessionKey) -> EcdsaIdentity:
    return EcdsaIdentity(key.public_key_der, key.sign)


def frontend_delegation(key: SessionKey, now_ns: int) -> Delegation:
    return Delegation(pubkey=key.public_key_der, expiration=now_ns + SESSION_TTL_NS)


def parse_identity_number(text: str) -> Optional[int]:
    text = text.strip()
    return int(text) if text.isdigit() and len(text) <= 20 else None


class Authenticator:
    """Drives the create and sign-in screens; calls `done(SignedIn)` when someone is signed in."""

    def __init__(self, env: Env, done: Callable[[SignedIn], Awaitable[None]],
                 back: Callable[[], None], *, context: str = ""):
        self.env, self.done, self.back, self.context = env, done, back, context
        self.session_key: Optional[SessionKey] = None
        self.credentials: dict[int, list[Credential]] = {}

    async def prepare(self, remembered: tuple[int, ...] = ()) -> None:
        """Before any screen with a passkey button: a session key, and the remembered identities'
        credentials, so a click can call WebAuthn at once."""
        self.session_key = await self.env.new_session_key()
        client = await self.env.ii()
        for anchor in remembered:
            try:
                self.credentials[anchor] = await client.credentials(anchor)
            except ICError:
                pass  # asked again when that identity is picked

    # -- create ------------------------------------------------------------------------------

    def start_register(self, _event=None) -> None:
        env = self.env
        if env.config.dummy_auth:
            credential_id = dummy_credential_id(env.random)
            pending = None
        else:
            credential_id = None
            pending = env.start_create(CreationOptions(
                challenge=env.random(16), rp_id=env.rp_id, user_id=env.random(16),
                user_name="Internet Identity"))
        env.show(screens.render_busy("Creating your passkey…" if pending else "Creating your identity…"), {})
        env.spawn(self._register(pending, credential_id))

    async def _register(self, pending, credential_id: Optional[bytes]) -> None:
        try:
            if pending is not None:
                created = await pending
                credential = Credential(created.credential_id,
                                        public_key_from_attestation(created.attestation_object).to_der())
            else:
                credential = Credential(credential_id, dummy_device(credential_id).public_key_der())
            key = self.session_key or await self.env.new_session_key()
            client = await self.env.ii(session_identity(key))
            self.env.show(screens.render_busy("Contacting Internet Identity…"), {})
            captcha = await client.registration_start()
        except PasskeyError as exc:
            self._fail("The passkey was not created", str(exc), retry=self.start_register)
            return
        except (RegistrationError, ICError) as exc:
            self._fail("Could not create your identity", str(exc), retry=self.back)
            return
        if captcha is None:
            await self._finish(client, credential, key)
        else:
            self._show_captcha(client, credential, key, captcha)

    def _show_captcha(self, client: IIClient, credential: Credential, key: SessionKey,
                      captcha: Captcha, message: Optional[str] = None) -> None:
        def confirm(_event) -> None:
            answer = self.env.input_value("#captchaInput").strip()
            if not answer:
                self._show_captcha(client, credential, key, captcha, "Type the characters you see.")
                return
            self.env.show(screens.render_busy("Checking the characters…"), {})
            self.env.spawn(self._check(client, credential, key, answer))

        self.env.show(screens.render_captcha(captcha.png_base64, message),
                      {"confirm-captcha": confirm, "cancel": lambda _e: self.back()})

    async def _check(self, client: IIClient, credential: Credential, key: SessionKey, answer: str) -> None:
        try:
            again = await client.check_captcha(answer)
        except (RegistrationError, ICError) as exc:
            self._fail("Could not create your identity", str(exc), retry=self.back)
            return
        if again is not None:
            self._show_captcha(client, credential, key, again, "Those were not the right characters. Try this one.")
            return
        await self._finish(client, credential, key)

    async def _finish(self, client: IIClient, credential: Credential, key: SessionKey) -> None:
        try:
            anchor = await client.registration_finish(credential, alias="Passkey")
        except (RegistrationError, ICError) as exc:
            self._fail("Could not create your identity", str(exc), retry=self.back)
            return
        self._remember(anchor)
        signed_in = SignedIn(anchor, session_identity(key), AuthnMethod.PASSKEY, credential.pubkey)
        self.env.show(screens.render_user_number(anchor),
                      {"continue": lambda _e: self.env.spawn(self.done(signed_in))})

    # -- sign in -----------------------------------------------------------------------------

    def show_sign_in(self, _event=None, message: Optional[str] = None) -> None:
        self.env.show(screens.render_sign_in(message), {
            "continue-number": self.sign_in_with_number,
            "continue-passkey": lambda _e: self.sign_in(None),
            "cancel": lambda _e: self.back(),
        })

    def sign_in_with_number(self, _event=None) -> None:
        anchor = parse_identity_number(self.env.input_value("#userNumberInput"))
        if anchor is None:
            self.show_sign_in(message="Enter your identity number (digits only).")
            return
        self.sign_in(anchor)

    def sign_in(self, anchor: Optional[int]) -> None:
        """Start signing in now (inside the click); `anchor` None means a discoverable passkey."""
        env, key = self.env, self.session_key
        if key is None:
            self._fail("Not ready yet", "Internet Identity is still starting. Try again.", retry=self.back)
            return
        delegation = frontend_delegation(key, env.now_ns())
        known = self.credentials.get(anchor, []) if anchor is not None else []
        if env.config.dummy_auth:
            if anchor is None:
                self.show_sign_in(message="With dummy authentication, type the identity number.")
                return
            env.show(screens.render_busy("Signing in…"), {})
            env.spawn(self._dummy_sign_in(anchor, delegation, key))
            return
        pending = env.start_get(RequestOptions(
            challenge=delegation_payload(delegation), rp_id=env.rp_id,
            allow_credentials=tuple(c.credential_id for c in known)))
        env.show(screens.render_busy("Waiting for your passkey…"), {})
        env.spawn(self._passkey_sign_in(anchor, pending, delegation, key))

    async def _passkey_sign_in(self, anchor: Optional[int], pending, delegation: Delegation,
                               key: SessionKey) -> None:
        try:
            assertion = await pending
            client = await self.env.ii()
            device_key, anchor = await self._device_key(client, anchor, assertion.credential_id)
            signature = encode_webauthn_signature(assertion.authenticator_data, assertion.client_data_json,
                                                  assertion.signature)
            chain = DelegationChain((SignedDelegation(delegation, signature),), device_key)
        except PasskeyError as exc:
            self._fail("Could not sign in", str(exc), retry=self.show_sign_in)
            return
        except (LookupError, ICError) as exc:
            self._fail("Could not sign in", str(exc), retry=self.show_sign_in)
            return
        await self._signed_in(anchor, DelegationIdentity(session_identity(key), chain), AuthnMethod.PASSKEY,
                              device_key)

    async def _device_key(self, client: IIClient, anchor: Optional[int], credential_id: bytes) -> tuple[bytes, int]:
        if anchor is None:
            found = await client.lookup_credential(credential_id)
            if found is None:
                raise LookupError("This passkey does not belong to any Internet Identity here. "
                                  "Create an identity, or sign in with your identity number.")
            return found[1], found[0]
        credentials = self.credentials.get(anchor) or await client.credentials(anchor)
        for credential in credentials:
            if credential.credential_id == credential_id:
                return credential.pubkey, anchor
        raise LookupError(f"This passkey is not registered for identity {anchor}.")

    async def _dummy_sign_in(self, anchor: int, delegation: Delegation, key: SessionKey) -> None:
        try:
            client = await self.env.ii()
            credentials = self.credentials.get(anchor) or await client.credentials(anchor)
            device = None
            for credential in credentials:
                if len(credential.credential_id) == DUMMY_CREDENTIAL_BYTES:
                    candidate = dummy_device(credential.credential_id)
                    if candidate.public_key_der() == credential.pubkey:
                        device = candidate
                        break
            if device is None:
                raise LookupError(f"Identity {anchor} has no dummy-auth key (it was created with a passkey, "
                                  "or does not exist).")
            signature = await device.sign(delegation_payload(delegation))
            chain = DelegationChain((SignedDelegation(delegation, signature),), device.public_key_der())
        except (LookupError, ICError) as exc:
            self._fail("Could not sign in", str(exc), retry=self.show_sign_in)
            return
        await self._signed_in(anchor, DelegationIdentity(session_identity(key), chain), AuthnMethod.PASSKEY,
                              device.public_key_der())

    async def _signed_in(self, anchor: int, identity: Identity, method: AuthnMethod, device_pubkey: bytes) -> None:
        self._remember(anchor)
        await self.done(SignedIn(anchor, identity, method, device_pubkey))

    # -- shared ------------------------------------------------------------------------------

    def _remember(self, anchor: int) -> None:
        current = parse_remembered(self.env.load(STORAGE_KEY))
        if current.writable:
            self.env.save(STORAGE_KEY, serialize_remembered(remember(current, anchor, self.env.now_ns() // 10**6)))

    def _fail(self, title: str, detail: str, *, retry: Callable) -> None:
        self.env.show(screens.render_error(title, detail), {"retry": lambda _e: retry()})

