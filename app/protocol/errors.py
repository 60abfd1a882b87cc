"""The errors of `app.protocol`: what is wrong with a dapp's request (told to the dapp, by field)."""

from __future__ import annotations


class ProtocolError(ValueError):
    """Base class of the errors of `app.protocol`."""


class InvalidRequest(ProtocolError):
    """A request field that is missing or malformed: `field` names it, `reason` says why."""

    def __init__(self, field: str, reason: str):
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason
