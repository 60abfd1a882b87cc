"""The canister's effective configuration: `InternetIdentityInit` merged over the persisted one.

Init arguments are all `opt`; a null field keeps the previous value (reference section 10). The
fields the canister acts on (anchor range, registration rate limit, captcha) are persisted in
storage so that they survive restarts; the others are kept as given and echoed by `config`.
Values use the canister's own representation (plain tuples/dicts), converted at the Candid edge.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cbor2

from replica.storage.base import Storage

FIRST_ANCHOR_NUMBER = 10_000
# (256 GiB / 64 KiB - 128 pages) * 65536 / 4096 anchors of 4 KiB
MAX_ENTRIES = (256 * 1024**3 // 65536 - 128) * 65536 // 4096
DEFAULT_RANGE = (FIRST_ANCHOR_NUMBER, FIRST_ANCHOR_NUMBER + MAX_ENTRIES)
DEFAULT_TIME_PER_TOKEN_NS = 10 * 1_000_000_000
DEFAULT_MAX_TOKENS = 20_000
DEFAULT_MAX_UNSOLVED_CAPTCHAS = 500
DEFAULT_CANISTER_CREATION_CYCLES_COST = 0

META_KEY = "ii.settings"


@dataclass
class CaptchaTrigger:
    """`Static` (enabled or not) or `Dynamic` (rate based)."""

    static_enabled: bool | None = True  # None: dynamic
    threshold_pct: int = 0
    current_rate_sampling_interval_s: int = 0
    reference_rate_sampling_interval_s: int = 0


@dataclass
class Settings:
    assigned_user_number_range: tuple[int, int] = DEFAULT_RANGE
    time_per_token_ns: int = DEFAULT_TIME_PER_TOKEN_NS
    max_tokens: int = DEFAULT_MAX_TOKENS
    max_unsolved_captchas: int = DEFAULT_MAX_UNSOLVED_CAPTCHAS
    captcha_trigger: CaptchaTrigger = field(default_factory=CaptchaTrigger)
    canister_creation_cycles_cost: int = DEFAULT_CANISTER_CREATION_CYCLES_COST
    related_origins: list[str] | None = None
    # `DummyAuthConfig` (`{"prompt_for_index": bool}`) or None: dummy auth off. Kept across starts
    # as the real II keeps it across upgrades (`opt opt`: null keeps, `opt null` clears).
    dummy_auth: dict | None = None
    # Everything else from the init argument, as decoded (echoed by `config`).
    passthrough: dict = field(default_factory=dict)

    def to_bytes(self) -> bytes:
        t = self.captcha_trigger
        return cbor2.dumps(
            {
                "range": list(self.assigned_user_number_range),
                "time_per_token_ns": self.time_per_token_ns,
                "max_tokens": self.max_tokens,
                "max_unsolved_captchas": self.max_unsolved_captchas,
                "captcha_trigger": [t.static_enabled, t.threshold_pct,
                                    t.current_rate_sampling_interval_s,
                                    t.reference_rate_sampling_interval_s],
                "canister_creation_cycles_cost": self.canister_creation_cycles_cost,
                "related_origins": self.related_origins,
                "dummy_auth": self.dummy_auth,
            }
        )

    @classmethod
    def from_bytes(cls, data: bytes) -> "Settings":
        m = cbor2.loads(data)
        t = m["captcha_trigger"]
        return cls(
            assigned_user_number_range=(m["range"][0], m["range"][1]),
            time_per_token_ns=m["time_per_token_ns"],
            max_tokens=m["max_tokens"],
            max_unsolved_captchas=m["max_unsolved_captchas"],
            captcha_trigger=CaptchaTrigger(t[0], t[1], t[2], t[3]),
            canister_creation_cycles_cost=m["canister_creation_cycles_cost"],
            related_origins=m.get("related_origins"),
            dummy_auth=m.get("dummy_auth"),
        )


class SettingsError(ValueError):
    """An init argument that cannot be applied (e.g. moving the start of a used anchor range)."""


def load_settings(storage: Storage, update: "SettingsUpdate | None") -> Settings:
    """The persisted settings with `update` applied; persisted again if changed."""
    stored = storage.get_meta(META_KEY)
    settings = Settings.from_bytes(stored) if stored else Settings()
    if update is not None:
        update.apply(settings, anchors_exist=storage.anchor_count() > 0)
    data = settings.to_bytes()
    if data != stored:
        storage.set_meta(META_KEY, data)
    if update is not None:
        settings.passthrough = dict(update.passthrough)
    return settings


@dataclass
class SettingsUpdate:
    """The non-null fields of an `InternetIdentityInit` (already converted from Candid)."""

    assigned_user_number_range: tuple[int, int] | None = None
    register_rate_limit: tuple[int, int] | None = None  # (time_per_token_ns, max_tokens)
    captcha_config: tuple[int, CaptchaTrigger] | None = None
    canister_creation_cycles_cost: int | None = None
    related_origins: list[str] | None = None
    # (config,) to set dummy auth (config None: off); None keeps what is stored.
    dummy_auth: tuple[dict | None] | None = None
    passthrough: dict = field(default_factory=dict)

    def apply(self, settings: Settings, *, anchors_exist: bool) -> None:
        if self.assigned_user_number_range is not None:
            lo, hi = self.assigned_user_number_range
            if lo > hi:
                raise SettingsError(f"invalid anchor range: lower bound {lo} above upper bound {hi}")
            current_lo = settings.assigned_user_number_range[0]
            if anchors_exist and lo != current_lo:
                raise SettingsError(
                    f"cannot move the start of the anchor range from {current_lo} to {lo}:"
                    " anchors have already been assigned"
                )
            settings.assigned_user_number_range = (lo, hi)
        if self.register_rate_limit is not None:
            settings.time_per_token_ns, settings.max_tokens = self.register_rate_limit
        if self.captcha_config is not None:
            settings.max_unsolved_captchas, settings.captcha_trigger = self.captcha_config
        if self.canister_creation_cycles_cost is not None:
            settings.canister_creation_cycles_cost = self.canister_creation_cycles_cost
        if self.related_origins is not None:
            settings.related_origins = list(self.related_origins)
        if self.dummy_auth is not None:
            settings.dummy_auth = self.dummy_auth[0]
