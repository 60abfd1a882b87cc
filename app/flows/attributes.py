"""Sharing attributes with the dapp (`ii-icrc3-attributes`), after sign-in and before the delegation.

As II's frontend does: the requested keys are matched against what the canister lists for the
identity (`list_available_attributes`): a scoped key matches its own row (certified under that
key), a bare key every row of that attribute name (certified under the bare name, `omit_scope`).
When something matches, the consent screen lists it ticked; "Deny all" unticks everything and
"Continue" shares the ticked ones, each with its value so the canister certifies exactly what was
shown. Nothing matched, or nothing ticked, still answers: a message with only the `implicit:`
entries (nonce, origin, time), as II answers a refusal. A refusal of the canister (bad keys) is the
dapp's error, and the sign-in goes on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Sequence

from app.canister.errors import CanisterError
from app.ui import attributes as screens
from app.ui.screen import Screen, busy_screen

if TYPE_CHECKING:
    from app.canister.client import IIClient
    from app.protocol import AuthorizeSession


@dataclass(frozen=True)
class Option:
    """One attribute the identity can share: the row's key, its value, how it is certified."""

    key: str
    value: bytes
    omit_scope: bool

    @property
    def name(self) -> str:
        return self.key.rpartition(":")[2]

    def spec(self) -> dict:
        return {"key": self.key, "value": [self.value], "omit_scope": self.omit_scope}


def match_options(requested: Sequence[str], rows: Sequence[tuple[str, bytes]]) -> tuple[list[Option], list[str]]:
    """(the options, one per requested key with a value; the requested keys with none)."""
    options: list[Option] = []
    unavailable: list[str] = []
    available = dict(rows)
    for key in requested:
        if key in available:
            options.append(Option(key, available[key], omit_scope=False))
            continue
        same_name = [k for k in available if k.endswith(f":{key}")]
        if same_name:  # this identity has one source per name: the first is the only one
            options.append(Option(same_name[0], available[same_name[0]], omit_scope=True))
        else:
            unavailable.append(key)
    return options, unavailable


async def ask_consent(ui, origin: str, requested: Sequence[str], options: list[Option],
                      unavailable: list[str]) -> list[Option]:
    """The consent screen until "Continue"; the ticked options."""
    ticked = [True] * len(options)
    reads = tuple(screens.option_input(i) for i in range(len(options)))
    while True:
        shown = [(o.name, o.value.decode(errors="replace")) for o in options]
        markup = screens.render_consent(origin, requested, shown, unavailable, ticked)
        click = await ui.ask(Screen(markup, ("continue", "deny-all"), reads=reads))
        if click.action == "deny-all":
            ticked = [False] * len(options)
            continue
        return [o for o, selector in zip(options, reads) if click.checked(selector)]


async def share_attributes(env, session: "AuthorizeSession", client: "IIClient", anchor: int,
                           account_number: "int | None" = None) -> list:
    """Answer the session's pending attribute request for the account signed in with (None: the
    default one, whose key signs); returns the session's effects."""
    request, origin = session.attributes_request, session.attributes_origin
    if request is None or origin is None:
        return []
    try:
        options: list[Option] = []
        unavailable: list[str] = []
        if request.keys:
            rows = await client.available_attributes(anchor, list(request.keys))
            options, unavailable = match_options(request.keys, rows)
        chosen = await ask_consent(env.ui, origin, request.keys, options, unavailable) if options else []
        env.ui.show(busy_screen(f"Sharing with {origin}…"))
        message, signature = await client.certified_attributes(
            anchor, origin, [o.spec() for o in chosen], request.nonce, account_number=account_number)
    except CanisterError as exc:
        return session.on_attributes_failed(str(exc))
    return session.on_attributes(message, signature)
