"""ICRC-3 attribute sharing: `prepare_icrc3_attributes`, `get_icrc3_attributes` (query) and
`list_available_attributes` (query), as the real II answers them (`attributes.rs`, `main.rs`).

Order of checks, each with its own `Err` variant: the request (`ValidationError {problems}`), the
caller (`AuthorizationError(caller)`), the account (`GetAccountError`), then the attributes
(`AttributeMismatch {problems}`, all problems at once). Nothing is stored on an error.

The message is the Candid encoding of one `Icrc3Value`: a `Map` sorted by key of the certified
attributes (`Text`) plus `implicit:nonce` (`Blob`), `implicit:origin` (`Text`: `unmapped_origin`
if given, else `origin`) and `implicit:issued_at_timestamp_ns` (`Nat`). It is signed with a
canister signature: the entry `sig / SHA-256(seed) / SHA-256(u8(14) || "ic-sender-info" ||
message)` in the same signature map as delegations, where the seed is the account's (accounts.py:
for the default account the seed of the dapp principal, delegation.py; an account the anchor does
not have at that origin is `GetAccountError::NoSuchAccount`). The signer's public key is thus
the user key the dapp already knows; `get_icrc3_attributes` returns the CBOR `{certificate, tree}`
while the entry lives (one minute), `NoSuchSignature` otherwise.

This identity has no OpenID/SSO credentials (they come from providers outside this machine) and
no verified e-mails, so those keys get the real II's `AttributeMismatch` problems; what it can
vouch for is its name (`attribute_keys.py`, scope `identity`).
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING, Optional

from replica.canisters.internet_identity import attribute_keys as keys
from replica.canisters.internet_identity import wire
from replica.runtime.contract import CallContext, CanisterTrap

if TYPE_CHECKING:
    from replica.canisters.internet_identity.anchors import Anchor
    from replica.canisters.internet_identity.delegation import Delegations
    from replica.canisters.internet_identity.state import State

DOMAIN = b"ic-sender-info"
DID_PATH = Path(__file__).with_name("internet_identity.did")


@functools.lru_cache(maxsize=1)
def _value_type():
    from ic import candid

    return candid.parse_did(DID_PATH.read_text()).lookup("Icrc3Value")


def encode_message(pairs: dict) -> bytes:
    """Candid `(Icrc3Value)`: the `Map` of `pairs` (key -> Icrc3Value) in key order."""
    from ic import candid

    entries = [wire.tuple2(key, pairs[key]) for key in sorted(pairs, key=lambda k: k.encode())]
    return candid.encode([_value_type()], [{"Map": entries}])


def signed_payload(message: bytes) -> bytes:
    """What the canister signature covers: the domain separator, then the message."""
    return bytes([len(DOMAIN)]) + DOMAIN + message


def _stored_value(anchor: "Anchor", key: keys.AttributeKey) -> tuple[Optional[str], Optional[str]]:
    """(the stored value, None) or (None, the problem) for a scoped or bare key."""
    if key.scope is None:
        return None, _bare_key_problem(key)
    kind, value = key.scope
    if kind == "openid":
        return None, f"No credential found for issuer: {value}"
    if kind == "sso":
        return None, f"sso:{value} attributes require an SSO sign-in through that domain"
    if key.name == "name" and anchor.name is not None:
        return anchor.name, None
    return None, f"Attribute {key.name} not available for {keys.IDENTITY_SCOPE}"


def _bare_key_problem(key: keys.AttributeKey) -> str:
    # Bare keys name a verified e-mail, which this identity cannot have.
    if key.name not in ("email", "verified_email"):
        return f"Attribute {key} has no scope; only scoped attributes are supported"
    return f"No verified email matches the requested {key.name}"


def resolve(anchor: "Anchor", specs: list[keys.Spec]) -> tuple[dict, list[str]]:
    """(certified key -> Icrc3Value, problems) for the specs, as the real II resolves them."""
    pairs: dict = {}
    problems: list[str] = []
    for spec in specs:
        if spec.key.scope is None and spec.key.name in ("email", "verified_email"):
            if spec.value is None:
                problems.append(f"Unscoped {spec.key.name} requires a value identifying the verified email")
                continue
            try:
                spec.value.decode()
            except UnicodeDecodeError:
                problems.append(f"Unscoped {spec.key.name} value is not valid UTF-8")
                continue
        stored, problem = _stored_value(anchor, spec.key)
        if problem is not None:
            problems.append(problem)
            continue
        if spec.value is not None and spec.value != stored.encode():
            problems.append(
                f"Attribute value mismatch for {spec.key}: provided value does not match stored value"
            )
            continue
        certified = spec.certified_key
        if certified in pairs:
            problems.append(f"Duplicate certified attribute key '{certified}' derived from spec {spec.key}")
            continue
        pairs[certified] = {"Text": stored}
    return pairs, problems


def available(anchor: "Anchor", wanted: Optional[list[keys.AttributeKey]]) -> list:
    """`(key, value)` rows of what this identity can certify, filtered by `wanted`."""
    if anchor.name is None:
        return []
    row_key = keys.AttributeKey((keys.IDENTITY_SCOPE, ""), "name")
    if wanted is not None and not any(
        k.name == "name" and (k.scope is None or k.scope == row_key.scope) for k in wanted
    ):
        return []
    return [wire.tuple2(str(row_key), anchor.name.encode())]


class AttributesApi:
    """Mixed into `InternetIdentityCanister`, which provides these collaborators (and the
    accounts of `AccountsApi`: `_read_account`, `_account_seed`)."""

    state: "State"
    delegations: "Delegations"

    def _attr_auth(self, ctx: CallContext, number: int):
        auth = self.state.authenticate(ctx, int(number))
        return None if auth is None else auth[0]

    def _attr_account(self, anchor: "Anchor", origin: str, account_number: Optional[int]):
        """(the account the attributes are for, None) or (None, its `GetAccountError`)."""
        account = self._read_account(anchor.number, origin, account_number)
        if account is None:
            return None, {"NoSuchAccount": {"anchor_number": anchor.number, "origin": origin}}
        return account, None

    def _sig_labels(self, account, message: bytes, *, query: bool):
        """The signature map's labels: the account's seed (the default account's is the dapp
        principal's, as for its delegations), and the message under `ic-sender-info`."""
        from ic.canister_sig import signature_path

        seed = self._account_seed(account, query=query)
        _, seed_hash, msg_hash = signature_path(seed, signed_payload(message))
        return seed_hash, msg_hash

    def _prepare_icrc3_attributes(self, ctx: CallContext, request: dict) -> list:
        specs, problems = keys.check_prepare(request)
        if problems:
            return [{"Err": {"ValidationError": {"problems": problems}}}]
        anchor = self._attr_auth(ctx, request["identity_number"])
        if anchor is None:
            return [{"Err": {"AuthorizationError": ctx.caller}}]
        origin = request["origin"]
        account, account_error = self._attr_account(anchor, origin, wire.unopt(request.get("account_number")))
        if account_error is not None:
            return [{"Err": {"GetAccountError": account_error}}]
        pairs, problems = resolve(anchor, specs)
        if problems:
            return [{"Err": {"AttributeMismatch": {"problems": problems}}}]
        pairs["implicit:nonce"] = {"Blob": bytes(request["nonce"])}
        pairs["implicit:origin"] = {"Text": wire.unopt(request.get("unmapped_origin")) or origin}
        pairs["implicit:issued_at_timestamp_ns"] = {"Nat": ctx.time_ns}
        message = encode_message(pairs)
        self.delegations.ensure_salt()
        self.delegations.sigs.add(*self._sig_labels(account, message, query=False), ctx.time_ns)
        ctx.set_certified_data(self.delegations.sigs.certified_data())
        return [{"Ok": {"message": message}}]

    def _get_icrc3_attributes(self, ctx: CallContext, request: dict) -> list:
        origin, message = request["origin"], bytes(request["message"])
        problems = keys.origin_problems(origin)
        if len(message) > keys.MESSAGE_MAX_BYTES:
            problems.append(f"Message length {len(message)} exceeds limit of {keys.MESSAGE_MAX_BYTES} bytes")
        if problems:
            return [{"Err": {"ValidationError": {"problems": problems}}}]
        anchor = self._attr_auth(ctx, request["identity_number"])
        if anchor is None:
            return [{"Err": {"AuthorizationError": ctx.caller}}]
        account, account_error = self._attr_account(anchor, origin, wire.unopt(request.get("account_number")))
        if account_error is not None:
            return [{"Err": {"GetAccountError": account_error}}]
        seed_hash, msg_hash = self._sig_labels(account, message, query=True)
        expiration = self.delegations.sigs.expiration(seed_hash, msg_hash)
        if expiration is None or expiration <= ctx.time_ns:
            return [{"Err": {"NoSuchSignature": None}}]
        certificate = ctx.data_certificate()
        if certificate is None:
            raise CanisterTrap("get_icrc3_attributes needs a data certificate: it must be called as a query")
        from ic import cbor

        tree = self.delegations.sigs.witness(seed_hash, msg_hash)
        return [{"Ok": {"signature": cbor.encode({"certificate": certificate, "tree": tree})}}]

    def _list_available_attributes(self, ctx: CallContext, request: dict) -> list:
        wanted, problems = keys.check_list_filter(wire.unopt(request.get("attributes")))
        if problems:
            return [{"Err": {"ValidationError": {"problems": problems}}}]
        anchor = self._attr_auth(ctx, request["identity_number"])
        if anchor is None:
            return [{"Err": {"AuthorizationError": ctx.caller}}]
        return [{"Ok": available(anchor, wanted)}]

