"""A typed client of the II canister for the frontend, over `ic.agent` (pure).

Expected outcomes of the canister (a wrong captcha, an unknown credential) are results; canister
rejects and transport failures stay exceptions (`ic.errors.AgentError`), which the flows explain.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

from ic.agent import Actor, Agent
from ic.candid import parse_did
from ic.delegation import Delegation, DelegationChain, SignedDelegation

from app.canister.interface import DID_TEXT

_INTERFACE = None


def interface():
    """The parsed interface, once per page."""
    global _INTERFACE
    if _INTERFACE is None:
        _INTERFACE = parse_did(DID_TEXT)
    return _INTERFACE


class RegistrationError(Exception):
    """The canister refused a registration step; `reason` is the variant's tag."""

    MESSAGES = {
        "RateLimitExceeded": "Too many identities were created recently. Please try again in a few minutes.",
        "InvalidCaller": "This browser session cannot register an identity. Reload the page and try again.",
        "AlreadyInProgress": "A registration is already in progress in this session. Reload the page and try again.",
        "NoRegistrationFlow": "The registration expired. Please start again.",
        "UnexpectedCall": "The registration got out of step. Please start again.",
        "IdentityLimitReached": "Internet Identity cannot create more identities right now (the canister is full).",
        "StorageError": "Internet Identity could not store the new identity. Please try again.",
        "InvalidAuthnMethod": "The passkey was refused by Internet Identity.",
    }

    def __init__(self, reason: str, detail: Any = None):
        self.reason, self.detail = reason, detail
        super().__init__(self.MESSAGES.get(reason, f"Registration failed ({reason})."))


@dataclass(frozen=True)
class Captcha:
    png_base64: str


@dataclass(frozen=True)
class Credential:
    credential_id: bytes
    pubkey: bytes


def _variant(value: dict) -> tuple[str, Any]:
    (tag, payload), = value.items()
    return tag, payload


def _next_step(result: dict) -> Optional[Captcha]:
    tag, payload = _variant(result["next_step"])
    return Captcha(payload["captcha_png_base64"]) if tag == "CheckCaptcha" else None


class IIClient:
    def __init__(self, agent: Agent, canister_id: str):
        self.actor = Actor(agent, canister_id, interface())

    def with_agent(self, agent: Agent) -> "IIClient":
        clone = IIClient.__new__(IIClient)
        clone.actor = self.actor.with_agent(agent)
        return clone

    # -- registration (v2 flow; the caller becomes a 10-minute temporary key of the new identity)

    async def registration_start(self) -> Optional[Captcha]:
        """None when no captcha is needed (the next step is Finish)."""
        tag, payload = _variant(await self.actor.call("identity_registration_start"))
        if tag == "Err":
            raise RegistrationError(*_variant(payload) if isinstance(payload, dict) else (payload, None))
        return _next_step(payload)

    async def check_captcha(self, solution: str) -> Optional[Captcha]:
        """None when solved; a new captcha when the answer was wrong."""
        tag, payload = _variant(await self.actor.call("check_captcha", {"solution": solution}))
        if tag == "Ok":
            return None
        reason, detail = _variant(payload) if isinstance(payload, dict) else (payload, None)
        if reason == "WrongSolution":
            return Captcha(detail["new_captcha_png_base64"])
        raise RegistrationError(reason, detail)

    async def registration_finish(self, credential: Credential, alias: str) -> int:
        method = {
            "authn_method": {"WebAuthn": {"credential_id": credential.credential_id,
                                          "pubkey": credential.pubkey, "aaguid": None}},
            "security_settings": {"protection": {"Unprotected": None}, "purpose": {"Authentication": None}},
            "metadata": [("alias", {"String": alias}), ("usage", {"String": "passkey"})],
            "last_authentication": None,
        }
        tag, payload = _variant(await self.actor.call("identity_registration_finish",
                                                      {"authn_method": method, "name": None}))
        if tag == "Err":
            raise RegistrationError(*_variant(payload) if isinstance(payload, dict) else (payload, None))
        return int(payload["identity_number"])

    # -- sign-in

    async def credentials(self, anchor: int) -> list[Credential]:
        found = await self.actor.call("get_anchor_credentials", anchor)
        return [Credential(bytes(c["credential_id"]), bytes(c["pubkey"]))
                for c in [*found["credentials"], *found["recovery_credentials"]]]

    async def lookup_credential(self, credential_id: bytes) -> Optional[tuple[int, bytes]]:
        """(identity number, device public key) of a discoverable passkey, or None."""
        found = await self.actor.call("lookup_device_key", credential_id)
        if not found:
            return None
        return int(found[0]["anchor_number"]), bytes(found[0]["pubkey"])

    # -- delegations for dapps

    async def delegation(self, anchor: int, origin: str, session_key: bytes,
                         max_ttl_ns: Optional[int], *, attempts: int = 3) -> DelegationChain:
        user_key, expiration = await self.actor.call(
            "prepare_delegation", anchor, origin, session_key, None if max_ttl_ns is None else [max_ttl_ns])
        for _ in range(attempts):
            tag, payload = _variant(await self.actor.call("get_delegation", anchor, origin, session_key, expiration))
            if tag == "signed_delegation":
                raw = payload["delegation"]
                targets = tuple(raw["targets"][0]) if raw["targets"] else None
                link = SignedDelegation(Delegation(bytes(raw["pubkey"]), int(raw["expiration"]), targets),
                                        bytes(payload["signature"]))
                return DelegationChain((link,), bytes(user_key))
        raise RuntimeError("Internet Identity did not produce the delegation (no_such_delegation); try again")
