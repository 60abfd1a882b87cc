"""The Internet Identity canister: the method table ("check the caller, hand off").

Every method has exactly its type in `internet_identity.did` (a verbatim copy of the real II's
interface); the runtime decodes arguments and encodes results with it. Methods the reference
interface has but this canister does not implement are rejected with a clear message. Legacy
(v1) methods trap as the real II does; v2 methods return their `Err` variants.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path

from replica.canisters.internet_identity import wire
from replica.canisters.internet_identity.accounts import AccountsApi
from replica.canisters.internet_identity.api_legacy import LegacyApi
from replica.canisters.internet_identity.api_v2 import V2Api
from replica.canisters.internet_identity.attributes import AttributesApi
from replica.canisters.internet_identity.delegation import Delegations
from replica.canisters.internet_identity.devices import DeviceOps
from replica.canisters.internet_identity.metrics import Gauge, serve_http
from replica.canisters.internet_identity.registration import Registration
from replica.canisters.internet_identity.settings import (
    CaptchaTrigger,
    SettingsError,
    SettingsUpdate,
    load_settings,
)
from replica.canisters.internet_identity.state import State
from replica.canisters.internet_identity.tentative import TentativeDevices
from replica.runtime.contract import CallContext, CanisterReject, CanisterTrap
from replica.storage.base import Storage, StorageError

DID_PATH = Path(__file__).with_name("internet_identity.did")


def load_did_text() -> str:
    return DID_PATH.read_text(encoding="utf-8")


def settings_update_from_init(init: dict | None) -> SettingsUpdate | None:
    """The non-null fields of a decoded `InternetIdentityInit`."""
    if isinstance(init, list):  # the service argument itself: opt InternetIdentityInit
        init = wire.unopt(init)
    if init is None:
        return None
    update = SettingsUpdate(passthrough=dict(init))
    rng = wire.unopt(init.get("assigned_user_number_range"))
    if rng is not None:
        update.assigned_user_number_range = tuple(int(x) for x in wire.untuple2(rng))
    rate = wire.unopt(init.get("register_rate_limit"))
    if rate is not None:
        update.register_rate_limit = (int(rate["time_per_token_ns"]), int(rate["max_tokens"]))
    cfg = wire.unopt(init.get("captcha_config"))
    if cfg is not None:
        trigger = cfg["captcha_trigger"]
        tag = wire.variant_tag(trigger)
        if tag == "Static":
            t = CaptchaTrigger(static_enabled=wire.variant_tag(trigger["Static"]) == "CaptchaEnabled")
        else:
            d = trigger["Dynamic"]
            t = CaptchaTrigger(None, int(d["threshold_pct"]), int(d["current_rate_sampling_interval_s"]),
                               int(d["reference_rate_sampling_interval_s"]))
        update.captcha_config = (int(cfg["max_unsolved_captchas"]), t)
    cost = wire.unopt(init.get("canister_creation_cycles_cost"))
    if cost is not None:
        update.canister_creation_cycles_cost = int(cost)
    origins = wire.unopt(init.get("related_origins"))
    if origins is not None:
        update.related_origins = list(origins)
    dummy = init.get("dummy_auth")  # opt opt DummyAuthConfig: null keeps, opt null clears
    if isinstance(dummy, (list, tuple)) and len(dummy) == 1:
        inner = wire.unopt(dummy[0])
        update.dummy_auth = (None if inner is None else {"prompt_for_index": bool(inner["prompt_for_index"])},)
    return update


class InternetIdentityCanister(LegacyApi, V2Api, AccountsApi, AttributesApi):
    """The II canister logic on a `Storage` (see `replica.storage.open_storage`)."""

    name = "internet_identity"

    def __init__(
        self,
        canister_id,
        storage: Storage,
        *,
        dummy_captcha: bool,
        init: dict | None = None,
        random: Callable[[int], bytes] = os.urandom,
    ) -> None:
        self.canister_id = canister_id
        self.did_text = load_did_text()
        try:
            settings = load_settings(storage, settings_update_from_init(init))
        except SettingsError as err:
            raise ValueError(f"invalid InternetIdentityInit: {err}") from None
        self.state = State(storage=storage, settings=settings, dummy_captcha=dummy_captcha, random=random)
        self.registration = Registration(self.state)
        self.tentative = TentativeDevices(self.state)
        self.delegations = Delegations(self.state)
        self.devices = DeviceOps(self.state)
        self._lock = threading.RLock()
        self._methods: dict[str, tuple[bool, Callable]] = {
            # legacy identity management
            "init_salt": (False, self._init_salt),
            "create_challenge": (False, self._create_challenge),
            "register": (False, self._register),
            "add": (False, self._add),
            "update": (False, self._update),
            "replace": (False, self._replace),
            "remove": (False, self._remove),
            "lookup": (True, self._lookup),
            "get_anchor_credentials": (True, self._get_anchor_credentials),
            "get_anchor_info": (False, self._get_anchor_info),
            "get_principal": (True, self._get_principal),
            "enter_device_registration_mode": (False, self._enter_device_registration_mode),
            "exit_device_registration_mode": (False, self._exit_device_registration_mode),
            "add_tentative_device": (False, self._add_tentative_device),
            "verify_tentative_device": (False, self._verify_tentative_device),
            # delegation
            "prepare_delegation": (False, self._prepare_delegation),
            "get_delegation": (True, self._get_delegation),
            # v2
            "identity_registration_start": (False, self._identity_registration_start),
            "check_captcha": (False, self._check_captcha),
            "identity_registration_finish": (False, self._identity_registration_finish),
            "identity_info": (False, self._identity_info),
            "identity_authn_info": (True, self._identity_authn_info),
            "identity_metadata_replace": (False, self._identity_metadata_replace),
            "identity_properties_replace": (False, self._identity_properties_replace),
            "authn_method_add": (False, self._authn_method_add),
            "authn_method_remove": (False, self._authn_method_remove),
            "authn_method_replace": (False, self._authn_method_replace),
            "authn_method_metadata_replace": (False, self._authn_method_metadata_replace),
            "authn_method_security_settings_replace": (False, self._authn_method_security_settings_replace),
            "authn_method_registration_mode_enter": (False, self._authn_method_registration_mode_enter),
            "authn_method_registration_mode_exit": (False, self._authn_method_registration_mode_exit),
            "authn_method_register": (False, self._authn_method_register),
            "authn_method_confirm": (False, self._authn_method_confirm),
            "authn_method_session_register": (False, self._authn_method_session_register),
            "authn_method_session_info": (True, self._authn_method_session_info),
            "lookup_device_key": (True, self._lookup_device_key),
            "lookup_by_registration_mode_id": (True, self._lookup_by_registration_mode_id),
            "lookup_caller_identity_by_recovery_phrase": (False, self._lookup_caller_identity_by_recovery_phrase),
            # multiple accounts
            "get_accounts": (True, self._get_accounts),
            "create_account": (False, self._create_account),
            "update_account": (False, self._update_account),
            "prepare_account_delegation": (False, self._prepare_account_delegation),
            "get_account_delegation": (True, self._get_account_delegation),
            "get_default_account": (True, self._get_default_account),
            "set_default_account": (False, self._set_default_account),
            # ICRC-3 attribute sharing
            "prepare_icrc3_attributes": (False, self._prepare_icrc3_attributes),
            "get_icrc3_attributes": (True, self._get_icrc3_attributes),
            "list_available_attributes": (True, self._list_available_attributes),
            # internal
            "stats": (True, self._stats),
            "config": (True, self._config),
            "whoami": (True, self._whoami),
            "http_request": (True, self._http_request),
        }

    # --- dispatch ------------------------------------------------------------------------------

    @property
    def methods(self) -> dict[str, bool]:
        """Implemented method name -> whether it is a query."""
        return {name: query for name, (query, _) in self._methods.items()}

    def call(self, method: str, ctx: CallContext, args: list) -> list:
        entry = self._methods.get(method)
        if entry is None:
            raise CanisterReject(
                f"internet_identity: method {method!r} is not implemented by this replica's"
                " Internet Identity canister"
            )
        is_query, handler = entry
        if ctx.is_query and not is_query:
            # An update method called as a query: the real IC refuses it.
            raise CanisterReject(f"internet_identity: {method} is an update method; it cannot be called as a query")
        with self._lock:
            try:
                return handler(ctx, *args)
            except StorageError as err:
                raise CanisterTrap(f"internet_identity: storage failure: {err}") from None

    def http_request(self, request: dict) -> dict:
        return self._serve_http(request)

    # --- internal ------------------------------------------------------------------------------

    def _stats(self, ctx: CallContext) -> list:
        lo, hi = self.state.settings.assigned_user_number_range
        return [{
            "users_registered": self.state.storage.anchor_count(),
            "storage_layout_version": self.state.storage.schema_version,
            "assigned_user_number_range": wire.tuple2(lo, hi),
            "archive_info": {"archive_canister": wire.opt(None), "archive_config": wire.opt(None)},
            "canister_creation_cycles_cost": self.state.settings.canister_creation_cycles_cost,
            "event_aggregations": [],
        }]

    def _config(self, ctx: CallContext) -> list:
        s = self.state.settings
        t = s.captcha_trigger
        if t.static_enabled is None:
            trigger = {"Dynamic": {
                "threshold_pct": t.threshold_pct,
                "current_rate_sampling_interval_s": t.current_rate_sampling_interval_s,
                "reference_rate_sampling_interval_s": t.reference_rate_sampling_interval_s,
            }}
        else:
            trigger = {"Static": {"CaptchaEnabled" if t.static_enabled else "CaptchaDisabled": None}}
        fields = (
            "archive_config", "new_flow_origins", "openid_configs", "sso_discoverable_domains",
            "analytics_config", "enable_dapps_explorer", "is_production",
            "backend_canister_id", "backend_origin", "dnssec_config", "doh_config",
        )
        config = {name: s.passthrough.get(name, wire.opt(None)) for name in fields}
        config.update({
            "assigned_user_number_range": wire.opt(wire.tuple2(*s.assigned_user_number_range)),
            "canister_creation_cycles_cost": wire.opt(s.canister_creation_cycles_cost),
            "register_rate_limit": wire.opt({"time_per_token_ns": s.time_per_token_ns, "max_tokens": s.max_tokens}),
            "captcha_config": wire.opt({"max_unsolved_captchas": s.max_unsolved_captchas, "captcha_trigger": trigger}),
            "related_origins": wire.opt(s.related_origins),
            "dummy_auth": [wire.opt(s.dummy_auth)],  # as the real II: always `opt`, inner null = off
        })
        return [config]

    def _whoami(self, ctx: CallContext) -> list:
        return [ctx.caller]

    def gauges(self, now: int | None = None) -> list[Gauge]:
        s = self.state
        lo, hi = s.settings.assigned_user_number_range
        tokens = self.registration.bucket.tokens
        return [
            Gauge("internet_identity_user_count", "Number of users registered in this canister.", s.storage.anchor_count()),
            Gauge("internet_identity_min_user_number", "The lowest Identity Anchor served by this canister.", lo),
            Gauge("internet_identity_max_user_number", "The highest Identity Anchor that can be served by this canister.", hi - 1),
            Gauge("internet_identity_signature_count", "Number of active signatures issued for this canister.", len(self.delegations.sigs)),
            Gauge("internet_identity_delegation_counter", "Number of delegations created since this replica started.", s.counters.delegations),
            Gauge("internet_identity_anchor_operations_counter", "Number of anchor operations since this replica started.", s.counters.anchor_operations),
            Gauge("internet_identity_inflight_challenges", "The number of inflight CAPTCHA challenges.", len(self.registration.challenges)),
            Gauge("internet_identity_registration_flows", "The number of v2 registration flows in progress.", len(self.registration.flows)),
            Gauge("internet_identity_users_in_registration_mode", "The number of users in registration mode.", len(self.tentative.registrations)),
            Gauge("internet_identity_temp_keys_count", "The number of temporary keys.", len(s.temp_keys)),
            Gauge("internet_identity_register_rate_limit_max_tokens", "The maximum number of registration tokens.", s.settings.max_tokens),
            Gauge("internet_identity_register_rate_limit_time_per_tokens_seconds", "Seconds to replenish one registration token.", s.settings.time_per_token_ns // 1_000_000_000),
            Gauge("internet_identity_register_rate_limit_current_tokens", "Registration tokens currently available.", s.settings.max_tokens if tokens is None else tokens),
            Gauge("internet_identity_storage_schema_version", "The schema version of the database.", s.storage.schema_version),
        ]

    def _serve_http(self, request: dict) -> dict:
        with self._lock:
            response = serve_http(request["method"], request["url"], self.gauges, self.state.settings.related_origins)
        response["headers"] = [wire.tuple2(k, v) for k, v in response["headers"]]
        response["upgrade"] = wire.opt(None)
        return response

    def _http_request(self, ctx: CallContext, request: dict) -> list:
        return [self._serve_http(request)]
