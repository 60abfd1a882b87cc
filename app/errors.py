"""The frontend's one error vocabulary: every domain failure of `app` is an `AppError`.

Each layer has its subclasses (`app.passkeys.PasskeyError`, `app.canister.errors.CanisterError`
and its kinds, `app.config.ConfigError`, `app.canister.devices.AliasError`,
`app.flows.authenticate.SignInError`); `str()` of any of them is a sentence the person can act on,
so a flow shows it as it is. Errors of other layers (`ic.errors.ICError`, a browser's
`JsException`) are translated into these where they cross into `app`: the canister client, the
browser adapters. `app.protocol` keeps its own `ProtocolError`: those go to the dapp, not to a person.
"""

from __future__ import annotations


class AppError(Exception):
    """A failure the person reads: `str(error)` says what happened and what to do."""
