"""The frontend's configuration, as the replica serves it with the page.

The classic II injected `data-canister-id` and a Candid-encoded `InternetIdentityInit` into its
script tags; our replica puts `data-canister-id` and `data-canister-config` (base64 of a JSON
object) on the page's `<script type="py">` tag. Parsing is pure; `app.browser.page` reads the tag.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass

from app.errors import AppError


class ConfigError(AppError, ValueError):
    """The page carries no usable configuration."""


@dataclass(frozen=True)
class AppConfig:
    canister_id: str
    flavor: str = "production"
    fetch_root_key: bool = False
    dummy_auth: bool = False
    dummy_captcha: bool = False
    # The II's `DummyAuthConfig.prompt_for_index`: the person types an index, key n is always the same.
    dummy_auth_prompt_for_index: bool = False


def parse_page_config(canister_id: str | None, encoded: str | None) -> AppConfig:
    if not canister_id:
        raise ConfigError("the page has no data-canister-id: it must be served by the replica")
    if not encoded:
        return AppConfig(canister_id=canister_id)
    try:
        raw = json.loads(base64.b64decode(encoded, validate=True))
    except (binascii.Error, ValueError) as exc:
        raise ConfigError(f"data-canister-config is not base64 JSON: {exc}") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"data-canister-config must be a JSON object, found {type(raw).__name__}")
    return AppConfig(
        canister_id=canister_id,
        flavor=str(raw.get("flavor", "production")),
        fetch_root_key=raw.get("fetchRootKey") is True,
        dummy_auth=raw.get("dummyAuth") is True,
        dummy_auth_prompt_for_index=raw.get("dummyAuth") is True and raw.get("dummyAuthPromptForIndex") is True,
        dummy_captcha=raw.get("dummyCaptcha") is True,
    )
