"""navigator.credentials: create and get passkeys.

`start_create` / `start_get` call the browser synchronously, so a click handler that calls them
first keeps its user activation (Safari drops WebAuthn calls made after an await); the returned
object is awaited afterwards.
"""

from __future__ import annotations

from typing import Any

import js
from pyodide.ffi import JsException

from app.browser.interop import buffer_bytes, to_js_object
from app.passkeys import (
    Assertion, CreationOptions, NewCredential, PasskeyError, PasskeyFailure, RequestOptions,
    classify_failure,
)


def _descriptor(credential_id: bytes) -> dict[str, Any]:
    return {"type": "public-key", "id": credential_id}


def creation_options(options: CreationOptions) -> dict[str, Any]:
    selection: dict[str, Any] = {"residentKey": options.resident_key,
                                 "requireResidentKey": options.resident_key == "required",
                                 "userVerification": options.user_verification}
    if options.authenticator_attachment:
        selection["authenticatorAttachment"] = options.authenticator_attachment
    return {"publicKey": {
        "challenge": options.challenge,
        "rp": {"name": options.rp_name, "id": options.rp_id},
        "user": {"id": options.user_id, "name": options.user_name, "displayName": options.user_name},
        "pubKeyCredParams": [{"type": "public-key", "alg": alg} for alg in options.algorithms],
        "authenticatorSelection": selection,
        "excludeCredentials": [_descriptor(c) for c in options.exclude_credentials],
        "attestation": "none",
        "timeout": 60_000,
    }}


def request_options(options: RequestOptions) -> dict[str, Any]:
    return {"publicKey": {
        "challenge": options.challenge,
        "rpId": options.rp_id,
        "allowCredentials": [_descriptor(c) for c in options.allow_credentials],
        "userVerification": options.user_verification,
        "timeout": 60_000,
    }}


class Pending:
    """A WebAuthn call already started; `await` it for the result or a PasskeyError."""

    def __init__(self, promise: Any, convert):
        self._promise, self._convert = promise, convert

    def __await__(self):
        return self._result().__await__()

    async def _result(self):
        if self._promise is None:
            raise PasskeyError(PasskeyFailure.UNSUPPORTED, "navigator.credentials is not available")
        try:
            credential = await self._promise
        except JsException as exc:
            raise classify_failure(getattr(exc, "name", "") or "", str(exc)) from None
        if not credential:
            raise PasskeyError(PasskeyFailure.CANCELLED, "the browser returned no credential")
        return self._convert(credential)


def _credentials_api():
    navigator = getattr(js, "navigator", None)
    return getattr(navigator, "credentials", None) if navigator else None


def start_create(options: CreationOptions) -> Pending:
    api = _credentials_api()
    promise = api.create(to_js_object(creation_options(options))) if api else None
    return Pending(promise, lambda c: NewCredential(
        credential_id=buffer_bytes(c.rawId),
        attestation_object=buffer_bytes(c.response.attestationObject),
        client_data_json=buffer_bytes(c.response.clientDataJSON)))


def start_get(options: RequestOptions) -> Pending:
    api = _credentials_api()
    promise = api.get(to_js_object(request_options(options))) if api else None

    def convert(c: Any) -> Assertion:
        handle = c.response.userHandle
        return Assertion(
            credential_id=buffer_bytes(c.rawId),
            authenticator_data=buffer_bytes(c.response.authenticatorData),
            client_data_json=buffer_bytes(c.response.clientDataJSON),
            signature=buffer_bytes(c.response.signature),
            user_handle=buffer_bytes(handle) if handle else None)
    return Pending(promise, convert)
