"""What a choice on the manage page leads to: back to the page (saying what happened), or out."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Union

from app.flows.authenticate import SignedIn


@dataclass(frozen=True)
class Back:
    """Back to the page (loaded afresh), saying `message` (`error`: a refusal, nothing changed);
    `who` when the person is now signed in another way."""

    message: Optional[str] = None
    error: bool = False
    who: Optional[SignedIn] = None


@dataclass(frozen=True)
class SignedOut:
    """The person signed out, or can no longer act as the identity."""


Outcome = Union[Back, SignedOut]
