"""Attribute keys of the ICRC-3 attribute sharing flow and the real II's request checks.

A wire key is `<scope>:<name>` or a bare `<name>`; it splits on the LAST colon. Names are
`email`, `name`, `verified_email`. The real II knows two scopes: `openid:<issuer>` (issuer
non-empty, at most 1024 bytes, `https://` or `http://localhost:`, no `?` or `#`) and
`sso:<domain>` (non-empty, at most 253 bytes, no `:` or whitespace, lower-cased). The problem
texts are the real II's, word for word (its interface crate, `types/attributes.rs`).

This II adds one scope, `identity`, for what it can vouch for itself: the identity's name (set
with `identity_properties_replace`). The real II has no such source (its `name` comes only from
an OpenID/SSO credential), so `identity:name` is the one key that differs from it; a dapp asking
for the bare `name` gets it certified under the bare key `name` (omit_scope), as the real II
certifies a name picked from any source.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

NAMES = ("email", "name", "verified_email")
IDENTITY_SCOPE = "identity"

FRONTEND_HOSTNAME_MAX_BYTES = 255
MAX_ATTRIBUTES_PER_REQUEST = 100
ATTRIBUTE_VALUE_MAX_BYTES = 50_000
OPENID_ISSUER_MAX_BYTES = 1024
SSO_DOMAIN_MAX_BYTES = 253
NONCE_BYTES = 32
_KEY_MAX_BYTES = OPENID_ISSUER_MAX_BYTES + len("openid:") + 1 + len("verified_email")
MESSAGE_MAX_BYTES = 1024 + MAX_ATTRIBUTES_PER_REQUEST * (_KEY_MAX_BYTES + ATTRIBUTE_VALUE_MAX_BYTES + 128)

# The real II's validator rejects `sso:` keys in list_available_attributes with this text.
LEGACY_SSO_SCOPE_REJECTION = (
    "sso:<domain> attribute scope is not supported by the legacy attribute-sharing flow; "
    "use the ICRC-3 attribute flow (prepare_icrc3_attributes / get_icrc3_attributes) instead"
)


class BadKey(ValueError):
    """A wire key the real II cannot parse; the message is its problem text."""


@dataclass(frozen=True)
class AttributeKey:
    """`scope` is None (bare key) or (kind, value): ("openid", issuer), ("sso", domain),
    ("identity", "")."""

    scope: Optional[tuple[str, str]]
    name: str

    @property
    def scope_text(self) -> str:
        kind, value = self.scope or ("", "")
        return kind if kind == IDENTITY_SCOPE else f"{kind}:{value}"

    def __str__(self) -> str:
        return self.name if self.scope is None else f"{self.scope_text}:{self.name}"


def ellipsized(text: str, max_bytes: int) -> str:
    """`text` cut to at most `max_bytes` bytes of UTF-8, ending in "..." when cut."""
    data = text.encode()
    if len(data) <= max_bytes:
        return text
    if max_bytes <= 3:
        return "." * max_bytes
    return data[: max_bytes - 3].decode(errors="ignore") + "..."


def _issuer_problems(issuer: str) -> list[str]:
    problems = []
    if not issuer:
        problems.append("empty issuer")
    n = len(issuer.encode())
    if n > OPENID_ISSUER_MAX_BYTES:
        problems.append(f"must not exceed {OPENID_ISSUER_MAX_BYTES} bytes (got {n} bytes)")
    if not issuer.startswith("https://") and not issuer.startswith("http://localhost:"):
        problems.append("must start with `https://` or `http://localhost:`")
    if "?" in issuer:
        problems.append("must not contain '?'")
    if "#" in issuer:
        problems.append("must not contain '#'")
    return problems


def _domain_problems(domain: str) -> list[str]:
    problems = []
    if not domain:
        problems.append("empty domain")
    n = len(domain.encode())
    if n > SSO_DOMAIN_MAX_BYTES:
        problems.append(f"must not exceed {SSO_DOMAIN_MAX_BYTES} bytes (got {n} bytes)")
    if ":" in domain:
        problems.append("must not contain ':'")
    if any(c.isspace() for c in domain):
        problems.append("must not contain whitespace")
    return problems


def parse_scope(text: str) -> tuple[str, str]:
    kind, sep, rest = text.partition(":")
    if kind == "openid":
        if not sep:
            raise BadKey(f"Missing issuer in attribute scope: {text}")
        problems = _issuer_problems(rest)
        if problems:
            shown = ellipsized(rest, OPENID_ISSUER_MAX_BYTES)
            raise BadKey(f"Invalid issuer `{shown}` in attribute scope: {', '.join(problems)}")
        return ("openid", rest)
    if kind == "sso":
        if not sep:
            raise BadKey(f"Missing domain in attribute scope: {text}")
        problems = _domain_problems(rest)
        if problems:
            shown = ellipsized(rest, SSO_DOMAIN_MAX_BYTES)
            raise BadKey(f"Invalid domain `{shown}` in attribute scope: {', '.join(problems)}")
        return ("sso", rest.lower())
    if kind == IDENTITY_SCOPE and not sep:
        return (IDENTITY_SCOPE, "")
    raise BadKey(f"Unknown attribute scope: {kind}")


def parse_key(text: str) -> AttributeKey:
    """A wire key; raises `BadKey` with the real II's problem text."""
    scope_text, sep, name = text.rpartition(":")
    if name not in NAMES:
        raise BadKey(f"Unknown attribute: {name}")
    return AttributeKey(parse_scope(scope_text) if sep else None, name)


@dataclass(frozen=True)
class Spec:
    """A checked `AttributeSpec`."""

    key: AttributeKey
    value: Optional[bytes]
    omit_scope: bool

    @property
    def certified_key(self) -> str:
        return self.key.name if self.omit_scope else str(self.key)


def remap_to_legacy_domain(origin: str) -> str:
    """`https://<canister id>.icp0.io` -> `https://<canister id>.ic0.app` (II's remap), else as is."""
    prefix, suffix = "https://", ".icp0.io"
    if origin.startswith(prefix) and origin.endswith(suffix):
        sub = origin[len(prefix): -len(suffix)]
        if sub and all(c.isalnum() or c == "-" for c in sub):
            return f"{prefix}{sub}.ic0.app"
    return origin


def check_prepare(request: dict) -> tuple[list[Spec], list[str]]:
    """(specs, problems) of a `PrepareIcrc3AttributeRequest`, checked in the real II's order (every
    spec is parsed even past the count limit, as II does; the ingress size bounds the work)."""
    problems: list[str] = []
    nonce = bytes(request["nonce"])
    if len(nonce) != NONCE_BYTES:
        problems.append(f"Nonce must be exactly {NONCE_BYTES} bytes, got {len(nonce)}")
    problems.extend(origin_problems(request["origin"]))
    unmapped = request.get("unmapped_origin")
    unmapped = unmapped[0] if unmapped else None
    if unmapped is not None and remap_to_legacy_domain(unmapped) != request["origin"]:
        problems.append(
            f"unmapped_origin {ellipsized(unmapped, FRONTEND_HOSTNAME_MAX_BYTES)} does not map to origin "
            f"{ellipsized(request['origin'], FRONTEND_HOSTNAME_MAX_BYTES)}"
        )
    raw = request["attributes"]
    if len(raw) > MAX_ATTRIBUTES_PER_REQUEST:
        problems.append(f"Number of attributes {len(raw)} exceeds limit of {MAX_ATTRIBUTES_PER_REQUEST}")
    specs = []
    for spec in raw:
        try:
            key = parse_key(spec["key"])
        except BadKey as err:
            problems.append(str(err))
            continue
        value = spec.get("value")
        value = bytes(value[0]) if value else None
        if value is not None and len(value) > ATTRIBUTE_VALUE_MAX_BYTES:
            problems.append(
                f"Attribute value length {len(value)} exceeds limit of {ATTRIBUTE_VALUE_MAX_BYTES} bytes"
            )
            continue
        specs.append(Spec(key, value, bool(spec["omit_scope"])))
    return specs, problems


def origin_problems(origin: str) -> list[str]:
    n = len(origin.encode())
    if n > FRONTEND_HOSTNAME_MAX_BYTES:
        return [f"Frontend hostname length {n} exceeds limit of {FRONTEND_HOSTNAME_MAX_BYTES} bytes"]
    return []


def check_list_filter(keys: Optional[list]) -> tuple[Optional[list[AttributeKey]], list[str]]:
    """The `attributes` filter of `list_available_attributes`: (keys, problems)."""
    if keys is None:
        return None, []
    problems = []
    if len(keys) > MAX_ATTRIBUTES_PER_REQUEST:
        problems.append(f"Too many attributes: {len(keys)} (max {MAX_ATTRIBUTES_PER_REQUEST})")
    parsed = []
    for text in keys:
        try:
            key = parse_key(text)
        except BadKey as err:
            problems.append(str(err))
            continue
        if key.scope is not None and key.scope[0] == "sso":
            problems.append(LEGACY_SSO_SCOPE_REJECTION)
            continue
        parsed.append(key)
    return parsed, problems
