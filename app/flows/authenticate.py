"""Create an identity or sign in with one: the screens and their steps (ii-facts sections 2, 3).

- Create: `#registerButton` -> passkey (or, with dummy auth, a fresh Ed25519 key) -> captcha
  (`input#captchaInput`, `#confirmRegisterButton`) -> `#userNumber` + `#displayUserContinue`.
  The v2 registration flow makes this page's session key a temporary key of the new identity,
  so no second passkey prompt is needed to continue.
- Sign in: `#userNumberInput` + `#userNumberContinue` (the identity's passkeys), "continue with
  passkey" without a number (a discoverable passkey, then `lookup_device_key`), or a remembered
  identity (`[data-anchor-id]`). The passkey signs one delegation to the session key; every call
  after that is signed by the session key.

Every WebAuthn call starts synchronously inside its click (Safari drops the user activation
after an await): `start_register` and `start_sign_in` are what a click calls, before anything is
awaited; what they need (the session key, known credentials) is prepared before the screen is
shown (`Keyring`). `create_identity` and `use_existing` then await their screens
(`app.ui.screen`).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Awaitable, Callable, Optional

from ic.agent import DelegationIdentity, EcdsaIdentity, Ed25519Identity, Identity
from ic.delegation import Delegation, DelegationChain, SignedDelegation, delegation_payload
from ic.webauthn import encode_webauthn_signature, public_key_from_attestation

from app.canister.client import Credential, Retry
from app.canister.errors import CanisterError
from app.errors import AppError
from app.flows.dummy_auth import DUMMY_CREDENTIAL_BYTES, ask_index, credential_id_for_index
from app.flows.env import Env, SessionKey
from app.passkeys import Assertion, CreationOptions, NewCredential, PasskeyError, RequestOptions
from app.protocol.request import AuthnMethod
from app.remembered import STORAGE_KEY, parse_remembered, remember, serialize_remembered
from app.ui import auth as screens
from app.ui.screen import Screen, Ui, busy_screen, error_screen

SESSION_TTL_NS = 30 * 60 * 10**9


@dataclass(frozen=True)
class SignedIn:
    anchor: int
    identity: Identity             # signs this page's calls to II as the identity
    authn_method: AuthnMethod
    device_pubkey: Optional[bytes] = None   # the device used to sign in (removing it signs out)


class SignInError(AppError):
    """The passkey (or dummy key) used does not open the identity asked for."""


class SignInCancelled(SignInError):
    """The person went back from a step of the sign-in (the dummy-auth index): nothing to explain."""


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


CAPTCHA_INPUT = "#captchaInput"
NUMBER_INPUT = "#userNumberInput"
NOT_READY = "Internet Identity is still starting. Try again."


# -- what a click starts ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RegisterStart:
    """The click on "Create": the browser's passkey prompt, or (dummy auth) the new key's id;
    neither with dummy auth that prompts for an index (asked on the next screen)."""

    pending: Optional[Awaitable[NewCredential]] = None
    credential_id: Optional[bytes] = None


def start_register(env: Env) -> RegisterStart:
    if env.config.dummy_auth and env.config.dummy_auth_prompt_for_index:
        return RegisterStart()
    if env.config.dummy_auth:
        return RegisterStart(credential_id=dummy_credential_id(env.random))
    return RegisterStart(pending=env.start_create(CreationOptions(
        challenge=env.random(16), rp_id=env.rp_id, user_id=env.random(16), user_name="Internet Identity")))


@dataclass(frozen=True)
class SignInStart:
    """A sign-in begun in a click: the delegation to `key` that the passkey's prompt signs."""

    anchor: Optional[int]                         # None: a discoverable passkey
    key: SessionKey
    delegation: Delegation
    pending: Optional[Awaitable[Assertion]] = None  # None with dummy auth


def start_sign_in(env: Env, key: Optional[SessionKey], anchor: Optional[int],
                  known: list[Credential]) -> "SignInStart | str":
    """Inside the click: the prompt for `anchor`'s passkeys starts now; a str says why it cannot."""
    if key is None:
        return NOT_READY
    delegation = frontend_delegation(key, env.now_ns())
    if env.config.dummy_auth:
        if anchor is None and not env.config.dummy_auth_prompt_for_index:
            return "With dummy authentication, type the identity number."
        return SignInStart(anchor, key, delegation)
    return SignInStart(anchor, key, delegation, env.start_get(RequestOptions(
        challenge=delegation_payload(delegation), rp_id=env.rp_id,
        allow_credentials=tuple(c.credential_id for c in known))))


# -- screens ---------------------------------------------------------------------------------------


def captcha_screen(png_base64: str, message: Optional[str] = None) -> Screen:
    return Screen(screens.render_captcha(png_base64, message), ("confirm-captcha", "cancel"), reads=(CAPTCHA_INPUT,))


def user_number_screen(anchor: int) -> Screen:
    return Screen(screens.render_user_number(anchor), ("continue",))


def sign_in_screen(message: Optional[str], start_number, start_passkey) -> Screen:
    return Screen(screens.render_sign_in(message), ("continue-number", "continue-passkey", "cancel"),
                  reads=(NUMBER_INPUT,), starts={"continue-number": start_number, "continue-passkey": start_passkey})


# -- create ----------------------------------------------------------------------------------------


async def create_identity(env: Env, ui: Ui, started: RegisterStart,
                          key: Optional[SessionKey] = None) -> Optional[SignedIn]:
    """A new identity (passkey, captcha, its number shown), or None: the person went back."""
    while True:
        if started.pending is None and started.credential_id is None:
            started = await indexed_register_start(env, ui)
            if started is None:
                return None
        ui.show(busy_screen("Creating your passkey…" if started.pending else "Creating your identity…"))
        try:
            credential = await new_credential(started)
        except PasskeyError as exc:
            click = await ui.ask(Screen(screens.render_error("The passkey was not created", str(exc)), ("retry",),
                                        starts={"retry": lambda _values: start_register(env)}))
            started = click.started
            continue
        try:
            return await register(env, ui, credential, key or await env.new_session_key())
        except CanisterError as exc:
            await ui.ask(error_screen("Could not create your identity", str(exc)))
            return None


async def indexed_register_start(env: Env, ui: Ui) -> Optional[RegisterStart]:
    """Dummy auth with `prompt_for_index`: the key of the index typed, if no identity holds it yet."""
    message = None
    while True:
        index = await ask_index(env.prompt, ui, "Create an identity with the test key of this index.", message)
        if index is None:
            return None
        credential_id = credential_id_for_index(index)
        ui.show(busy_screen("Checking the index…"))
        found = await (await env.ii()).lookup_credential(credential_id)
        if found is None:
            return RegisterStart(credential_id=credential_id)
        message = (f"Index {index} is already the key of identity {found[0]}: sign in with it "
                   f"(Use existing identity), or type another index.")


async def new_credential(started: RegisterStart) -> Credential:
    if started.pending is None:
        return Credential(started.credential_id, dummy_device(started.credential_id).public_key_der())
    created = await started.pending
    return Credential(created.credential_id, public_key_from_attestation(created.attestation_object).to_der())


async def register(env: Env, ui: Ui, credential: Credential, key: SessionKey) -> Optional[SignedIn]:
    client = await env.ii(session_identity(key))
    ui.show(busy_screen("Contacting Internet Identity…"))
    captcha = await client.registration_start()
    message = None
    while captcha is not None:
        click = await ui.ask(captcha_screen(captcha.png_base64, message))
        if click.action == "cancel":
            return None
        answer = click.text(CAPTCHA_INPUT).strip()
        if not answer:
            message = "Type the characters you see."
            continue
        ui.show(busy_screen("Checking the characters…"))
        outcome = await client.check_captcha(answer)
        if isinstance(outcome, Retry):
            captcha, message = outcome.captcha, "Those were not the right characters. Try this one."
        else:
            captcha = None
    anchor = await client.registration_finish(credential, alias="Passkey")
    remember_anchor(env, anchor)
    await ui.ask(user_number_screen(anchor))
    return SignedIn(anchor, session_identity(key), AuthnMethod.PASSKEY, credential.pubkey)


# -- sign in ---------------------------------------------------------------------------------------


async def use_existing(env: Env, ui: Ui, key: Optional[SessionKey],
                       credentials: dict[int, list[Credential]]) -> Optional[SignedIn]:
    """The "use an existing identity" screen: by number, or a discoverable passkey; None: back."""
    def by_number(values) -> "SignInStart | str":
        anchor = parse_identity_number(values.get(NUMBER_INPUT, ""))
        if anchor is None:
            return "Enter your identity number (digits only)."
        return start_sign_in(env, key, anchor, credentials.get(anchor, []))

    message = None
    while True:
        click = await ui.ask(sign_in_screen(message, by_number,
                                            lambda _values: start_sign_in(env, key, None, [])))
        if click.action == "cancel":
            return None
        if isinstance(click.started, str):
            message = click.started
            continue
        try:
            return await finish_sign_in(env, ui, click.started, credentials)
        except SignInCancelled:
            message = None
        except AppError as exc:  # the prompt failed, or the passkey does not open this identity
            await ui.ask(error_screen("Could not sign in", str(exc)))
            message = None


async def finish_sign_in(env: Env, ui: Ui, started: SignInStart, credentials: dict[int, list[Credential]]) -> SignedIn:
    """Signed in once the prompt begun in the click answers; AppError when it does not."""
    if started.pending is None:
        anchor, device_key, signature = await dummy_signature(env, ui, started, credentials)
    else:
        ui.show(busy_screen("Waiting for your passkey…"))
        assertion = await started.pending
        device_key, anchor = await device_key_of(env, started.anchor, assertion.credential_id, credentials)
        signature = encode_webauthn_signature(assertion.authenticator_data, assertion.client_data_json,
                                              assertion.signature)
    chain = DelegationChain((SignedDelegation(started.delegation, signature),), device_key)
    remember_anchor(env, anchor)
    return SignedIn(anchor, DelegationIdentity(session_identity(started.key), chain), AuthnMethod.PASSKEY, device_key)


async def device_key_of(env: Env, anchor: Optional[int], credential_id: bytes,
                        credentials: dict[int, list[Credential]]) -> tuple[bytes, int]:
    client = await env.ii()
    if anchor is None:
        found = await client.lookup_credential(credential_id)
        if found is None:
            raise SignInError("This passkey does not belong to any Internet Identity here. "
                              "Create an identity, or sign in with your identity number.")
        return found[1], found[0]
    for credential in credentials.get(anchor) or await client.credentials(anchor):
        if credential.credential_id == credential_id:
            return credential.pubkey, anchor
    raise SignInError(f"This passkey is not registered for identity {anchor}.")


async def dummy_signature(env: Env, ui: Ui, started: SignInStart,
                          credentials: dict[int, list[Credential]]) -> tuple[int, bytes, bytes]:
    anchor = started.anchor
    if anchor is None:  # "continue with a passkey" and prompt_for_index: the index names the key
        index = await ask_index(env.prompt, ui, "Sign in with the test key of this index.")
        if index is None:
            raise SignInCancelled("Signing in was cancelled.")
        ui.show(busy_screen("Signing in…"))
        credential_id = credential_id_for_index(index)
        device = dummy_device(credential_id)
        found = await (await env.ii()).lookup_credential(credential_id)
        if found is None or found[1] != device.public_key_der():
            raise SignInError(f"No identity here has the test key of index {index}. "
                              f"Create one with that index first.")
        return found[0], found[1], await device.sign(delegation_payload(started.delegation))
    ui.show(busy_screen("Signing in…"))
    known = credentials.get(anchor) or await (await env.ii()).credentials(anchor)
    for credential in known:
        if len(credential.credential_id) == DUMMY_CREDENTIAL_BYTES:
            device = dummy_device(credential.credential_id)
            if device.public_key_der() == credential.pubkey:
                return anchor, credential.pubkey, await device.sign(delegation_payload(started.delegation))
    raise SignInError(f"Identity {anchor} has no dummy-auth key (it was created with a passkey, or does not exist).")


def remember_anchor(env: Env, anchor: int) -> None:
    current = parse_remembered(env.load(STORAGE_KEY))
    if current.writable:
        env.save(STORAGE_KEY, serialize_remembered(remember(current, anchor, env.now_ns() // 10**6)))


# -- what a screen with passkey buttons needs before it is shown ---------------------------------


class Keyring:
    """This page's session key and the credentials of the identities it may sign in to, made
    before a screen with a passkey button is shown, so that a click can call WebAuthn at once."""

    def __init__(self, env: Env):
        self.env = env
        self.session_key: Optional[SessionKey] = None
        self.credentials: dict[int, list[Credential]] = {}
        self._preparing: Optional[asyncio.Future] = None

    def begin(self, remembered: tuple[int, ...] = ()) -> asyncio.Future:
        """Starts preparing, once (the landing page does it as it is shown)."""
        if self._preparing is None:
            self._preparing = asyncio.ensure_future(self._prepare(remembered))
        return self._preparing

    async def _prepare(self, remembered: tuple[int, ...]) -> None:
        self.session_key = await self.env.new_session_key()
        client = await self.env.ii()
        for anchor in remembered:
            try:
                self.credentials[anchor] = await client.credentials(anchor)
            except CanisterError:
                pass  # asked again when that identity is picked

    async def ready(self, ui: Ui, busy: str = "Starting…") -> bool:
        """Prepared (showing `busy` while it is not yet), or False after saying why not."""
        preparing = self.begin()
        if not preparing.done():
            ui.show(busy_screen(busy))
        try:
            await asyncio.shield(preparing)
        except AppError as exc:
            await ui.ask(error_screen("Could not reach Internet Identity", str(exc)))
            return False
        return True

    def start_sign_in(self, anchor: Optional[int]) -> "SignInStart | str":
        """Inside a click on an identity: its passkey prompt starts now."""
        return start_sign_in(self.env, self.session_key, anchor, self.credentials.get(anchor, []))


async def sign_in_started(env: Env, ui: Ui, keyring: Keyring, started: "SignInStart | str") -> Optional[SignedIn]:
    """Finishes a sign-in a click began; None, after saying why, when it did not work."""
    try:
        if isinstance(started, str):
            raise SignInError(started)
        return await finish_sign_in(env, ui, started, keyring.credentials)
    except SignInCancelled:
        return None
    except AppError as exc:
        await ui.ask(error_screen("Could not sign in", str(exc)))
        return None
