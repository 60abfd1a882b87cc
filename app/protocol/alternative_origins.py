"""Alternative frontend origins: may a dapp sign in with another origin's principals? (ii-facts §1b)

A `derivationOrigin` other than the dapp's own origin is accepted only when that origin's canister
lists the dapp's origin in `/.well-known/ii-alternative-origins`:

1. `needs_check`: nothing to check when absent or equal to the request origin (after mapping the
   `icp0.io`/`icp.net` gateway names to `ic0.app`, on both sides);
2. `canister_id_from_hostname`: on `ic0.app`, `icp0.io`, `icp.net`, `internetcomputer.org` and
   `localhost` the first DNS label is the canister id; elsewhere the adapter asks the origin
   (`HEAD`, header `x-ic-canister-id`);
3. `alternative_origins_url`: where to fetch the list from: never the custom domain or a `.raw`
   URL, so the answer is certified: `https://<id>.icp0.io/...` on the IC; on a local replica the
   same path on `localhost` with `?canisterId=<id>` (what II does; our replica routes it);
4. `check_alternative_origins`: status 200, not redirected, JSON `{"alternativeOrigins": [...]}` of
   at most 10 strings, the request origin among them (gateway names mapped as in 1).

Outcomes are results (`OriginCheck`), not exceptions: a refusal is an expected answer.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Optional
from urllib.parse import urlsplit

from app.protocol.request import remap_gateway_alias
from ic.principal import Principal

PATH = "/.well-known/ii-alternative-origins"
MAX_ALTERNATIVE_ORIGINS = 10
MAX_BODY_BYTES = 64 * 1024
IC_GATEWAY_DOMAIN = "icp0.io"
CANISTER_ID_HEADER = "x-ic-canister-id"
_CANISTER_DOMAINS = ("ic0.app", "icp0.io", "icp.net", "internetcomputer.org", "localhost")


@dataclass(frozen=True)
class AlternativeOriginsResponse:
    """What the adapter's fetch of the list returned.

    `status` (`response.status`; 0 when the fetch failed), `redirected` (`response.type ==
    "opaqueredirect" or response.redirected`), `body` (the raw bytes), `error` (the failure message
    when the fetch rejected).
    """

    status: int
    redirected: bool = False
    body: bytes = b""
    error: Optional[str] = None


@dataclass(frozen=True)
class OriginCheck:
    allowed: bool
    reason: str


def needs_check(request_origin: str, derivation_origin: Optional[str]) -> bool:
    """False when the dapp derives principals for its own origin (no list to fetch)."""
    if derivation_origin is None:
        return False
    return remap_gateway_alias(derivation_origin) != remap_gateway_alias(request_origin)


def canister_id_from_hostname(origin: str) -> Optional[Principal]:
    """The canister id in the first label of a well-known canister domain, or None."""
    hostname = urlsplit(origin).hostname or ""
    if not any(hostname == domain or hostname.endswith("." + domain) for domain in _CANISTER_DOMAINS):
        return None
    labels = hostname.split(".")
    if len(labels) < 2:
        return None
    try:
        return Principal.from_text(labels[0])
    except ValueError:
        return None


def parse_canister_id_header(value: Optional[str]) -> Optional[Principal]:
    """The `x-ic-canister-id` header an origin answered with, if it is a principal."""
    if not isinstance(value, str):
        return None
    try:
        return Principal.from_text(value.strip())
    except ValueError:
        return None


def alternative_origins_url(canister_id: Principal, ii_origin: str) -> str:
    """The certified URL of the list of `canister_id`, as seen from II running at `ii_origin`."""
    parts = urlsplit(ii_origin)
    hostname = parts.hostname or ""
    canister = canister_id.to_text()
    if hostname == "localhost" or hostname.endswith(".localhost"):
        port = f":{parts.port}" if parts.port is not None else ""
        return f"{parts.scheme}://localhost{port}{PATH}?canisterId={canister}"
    if hostname in ("127.0.0.1", "0.0.0.0"):
        return f"{parts.scheme}://{parts.netloc}{PATH}?canisterId={canister}"
    return f"https://{canister}.{IC_GATEWAY_DOMAIN}{PATH}"


def check_alternative_origins(request_origin: str, url: str, response: AlternativeOriginsResponse) -> OriginCheck:
    """Whether the list fetched from `url` allows `request_origin` to use the derivation origin."""
    if response.error is not None:
        return OriginCheck(False, f"could not fetch {url}: {response.error}")
    if response.redirected:
        return OriginCheck(False, f"{url} redirected; the list must be served directly (redirects are not followed)")
    if response.status != 200:
        return OriginCheck(False, f"{url} returned status {response.status}, expected 200")
    if len(response.body) > MAX_BODY_BYTES:
        return OriginCheck(False, f"{url} is {len(response.body)} bytes, more than {MAX_BODY_BYTES}")
    try:
        document = json.loads(bytes(response.body).decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        return OriginCheck(False, f"{url} is not valid JSON: {exc}")
    origins = document.get("alternativeOrigins") if isinstance(document, dict) else None
    if not isinstance(origins, list):
        return OriginCheck(False, f'{url} has an invalid format: expected {{"alternativeOrigins": [...]}}')
    if len(origins) > MAX_ALTERNATIVE_ORIGINS:
        return OriginCheck(
            False, f"{url} lists {len(origins)} origins; at most {MAX_ALTERNATIVE_ORIGINS} are allowed"
        )
    if not all(isinstance(origin, str) for origin in origins):
        return OriginCheck(False, f"{url} has an invalid format: every alternative origin must be a string")
    if remap_gateway_alias(request_origin) not in {remap_gateway_alias(origin) for origin in origins}:
        listed = ", ".join(origins) or "none"
        return OriginCheck(False, f'"{request_origin}" is not listed in {url} (listed: {listed})')
    return OriginCheck(True, f'"{request_origin}" is listed in {url}')
