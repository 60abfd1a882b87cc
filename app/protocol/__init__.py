"""Client authentication protocols of the II frontend (I/O-free): the package's public names.

- `session.py`: `AuthorizeSession`, the one state machine both protocols run on (events in,
  effects out); `legacy.py` (`authorize-client`) and `icrc.py` (ICRC-29/25/34) are its two wires;
- `request.py`: the validated `AuthorizationRequest` and the flow layer's `AuthorizationResult`;
- `alternative_origins.py`: may a dapp sign in with another origin's principals;
- `values.py` (the input event, limits and coercions), `effects.py` (what the session asks for),
  `errors.py` (`ProtocolError`, `InvalidRequest`).
"""

from __future__ import annotations

from app.protocol.alternative_origins import AlternativeOriginsResponse
from app.protocol.effects import (
    CancelTimer,
    Effect,
    FetchAlternativeOrigins,
    PostMessage,
    ResolveCanisterId,
    ShowCompleted,
    ShowFailure,
    ShowRequest,
    StartTimer,
)
from app.protocol.errors import InvalidRequest, ProtocolError
from app.protocol.icrc import ErrorCode
from app.protocol.request import AuthnMethod, AuthorizationRequest, AuthorizationResult, Protocol
from app.protocol.session import (
    HEARTBEAT_TIMER,
    MESSAGE_FIELDS,
    REQUEST_TIMER,
    AuthorizeSession,
    FailureReason,
    Phase,
    SessionState,
)
from app.protocol.values import BigIntValue, IncomingMessage, Unreadable

__all__ = [
    "MESSAGE_FIELDS",
    "AlternativeOriginsResponse",
    "AuthnMethod",
    "AuthorizationRequest",
    "AuthorizationResult",
    "AuthorizeSession",
    "BigIntValue",
    "CancelTimer",
    "Effect",
    "ErrorCode",
    "FailureReason",
    "FetchAlternativeOrigins",
    "HEARTBEAT_TIMER",
    "IncomingMessage",
    "InvalidRequest",
    "Phase",
    "PostMessage",
    "Protocol",
    "ProtocolError",
    "REQUEST_TIMER",
    "ResolveCanisterId",
    "SessionState",
    "ShowCompleted",
    "ShowFailure",
    "ShowRequest",
    "StartTimer",
    "Unreadable",
]
