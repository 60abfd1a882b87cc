"""A transport-agnostic Internet Computer client (ic-interface-facts §1-§9; agent-js `@dfinity/agent`).

Used by the browser app under Pyodide (with a `fetch` transport, WebCrypto/passkey signers and
the noble BLS verifier, all injected from `app/browser/`) and by tests and tools under CPython
(`AsgiTransport` against the replica's in-process ASGI app, `UrllibTransport` over HTTP).

One module per wire concept:

- `identity`: `Identity` and its kinds (anonymous, Ed25519, ECDSA, WebAuthn, delegation);
- `ed25519`: pure-Python RFC 8032 Ed25519 (browser dummy auth, node-signature fallback);
- `envelope`: request contents, ingress expiry, signed envelopes;
- `transport`: the `Transport` seam and the CPython transports;
- `request_status`, `polling`: an update's certified outcome and the poll loop;
- `query_signature`: node keys from `/subnet` and query-response signatures;
- `client`: `Agent` (status, fetch_root_key, query, update, read_state);
- `actor`: `Actor`, methods by name with Candid types from a `.did`;
- `sync`: `blocking(...)` for scripts.

The core is async; nothing here imports `js`/`pyodide`, and `cryptography`/arkworks are only
imported inside functions that CPython-side defaults use.
"""

from ic.agent.actor import Actor
from ic.agent.client import IC_ROOT_KEY_DER, Agent
from ic.agent.envelope import (CallContent, Envelope, ReadStateContent, SignedRequest, call_content, ingress_expiry,
                               query_content, read_state_content, sign_request, signing_payload)
from ic.agent.errors import (HttpError, IngressExpiryError, NodeKeysError, PollTimeoutError, QuerySignatureError,
                             RejectError, RequestStatusError, ResponseError, TransportError)
from ic.agent.identity import (AnonymousIdentity, Assertion, DelegationIdentity, EcdsaIdentity, Ed25519Identity,
                               Identity, WebAuthnIdentity)
from ic.agent.polling import DEFAULT_POLL_STRATEGY, PollStrategy
from ic.agent.request_status import RequestStatus, Status
from ic.agent.sync import blocking
from ic.agent.transport import AsgiTransport, HttpResponse, HttpxLikeAsgiTransport, Transport, UrllibTransport
from ic.errors import AgentError, CertificateError

__all__ = [
    "Actor",
    "Agent",
    "AgentError",
    "AnonymousIdentity",
    "AsgiTransport",
    "Assertion",
    "CallContent",
    "CertificateError",
    "DEFAULT_POLL_STRATEGY",
    "DelegationIdentity",
    "EcdsaIdentity",
    "Ed25519Identity",
    "Envelope",
    "HttpError",
    "HttpResponse",
    "HttpxLikeAsgiTransport",
    "IC_ROOT_KEY_DER",
    "Identity",
    "IngressExpiryError",
    "NodeKeysError",
    "PollStrategy",
    "PollTimeoutError",
    "QuerySignatureError",
    "ReadStateContent",
    "RejectError",
    "RequestStatus",
    "RequestStatusError",
    "ResponseError",
    "SignedRequest",
    "Status",
    "Transport",
    "TransportError",
    "UrllibTransport",
    "WebAuthnIdentity",
    "blocking",
    "call_content",
    "ingress_expiry",
    "query_content",
    "read_state_content",
    "sign_request",
    "signing_payload",
]
