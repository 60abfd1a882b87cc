"""Canister settings, canister history and the records `canister_status` / `canister_info` answer
(ic.did `canister_settings`, `definite_canister_settings`, `change`, `canister_status_result`).

Settings are kept as a plain dict of the definite values (principals as bytes); `apply` merges a
Candid `canister_settings` record into it after `check` has accepted every field, so a refused
update changes nothing.
"""

from __future__ import annotations

from replica.runtime.contract import SystemReject

MAX_CONTROLLERS = 10
MAX_HISTORY = 20  # the IC keeps the 20 most recent changes
MAX_ENV_VARS = 20
DEFAULTS = {
    "compute_allocation": 0,
    "memory_allocation": 0,
    "freezing_threshold": 2_592_000,  # 30 days
    "reserved_cycles_limit": 5_000_000_000_000,
    "log_visibility": "controllers",  # "controllers" | "public" | [allowed viewer, ...]
    "wasm_memory_limit": 3 * 1024 ** 3,
    "wasm_memory_threshold": 0,
    "environment_variables": [],  # [[name, value], ...]
}
E_INVALID_SETTINGS = "IC0408"  # InvalidManagementPayload


def _refuse(message: str) -> SystemReject:
    return SystemReject(4, message, E_INVALID_SETTINGS)


def check(settings: dict | None) -> None:
    """Refuse a `canister_settings` record the IC would refuse."""
    if not settings:
        return
    controllers = settings.get("controllers")
    if controllers is not None and len(controllers[0]) > MAX_CONTROLLERS:
        raise _refuse(f"Invalid settings: 'controllers' length exceeds maximum size allowed of {MAX_CONTROLLERS}.")
    compute = settings.get("compute_allocation")
    if compute is not None and compute[0] > 100:
        raise _refuse(f"ComputeAllocation expected to be in the range [0..100], got {compute[0]}")
    freezing = settings.get("freezing_threshold")
    if freezing is not None and freezing[0] >= 2 ** 64:
        raise _refuse("Freezing threshold expected to be in the range of [0..2^64-1]")
    env = settings.get("environment_variables")
    if env is not None and len(env[0]) > MAX_ENV_VARS:
        raise _refuse(f"Too many environment variables: {len(env[0])} (max {MAX_ENV_VARS})")


def requested_controllers(settings: dict | None) -> list[bytes] | None:
    if settings and settings.get("controllers") is not None:
        return [p.raw for p in settings["controllers"][0]]
    return None


def apply(current: dict, settings: dict | None) -> dict:
    """The definite settings after `settings` (controllers are held by the engine, not here)."""
    out = dict(current)
    for name in ("compute_allocation", "memory_allocation", "freezing_threshold", "reserved_cycles_limit",
                 "wasm_memory_limit", "wasm_memory_threshold"):
        value = (settings or {}).get(name)
        if value is not None:
            out[name] = value[0]
    visibility = (settings or {}).get("log_visibility")
    if visibility is not None:
        (tag, value), = visibility[0].items()
        out["log_visibility"] = [p.raw for p in value] if tag == "allowed_viewers" else tag
    env = (settings or {}).get("environment_variables")
    if env is not None:
        out["environment_variables"] = [[e["name"], e["value"]] for e in env[0]]
    return out


def definite(current: dict, controllers: list[bytes]) -> dict:
    """`definite_canister_settings` as a Candid value."""
    visibility = current["log_visibility"]
    return {
        "controllers": list(controllers),
        "compute_allocation": current["compute_allocation"],
        "memory_allocation": current["memory_allocation"],
        "freezing_threshold": current["freezing_threshold"],
        "reserved_cycles_limit": current["reserved_cycles_limit"],
        "log_visibility": {"allowed_viewers": list(visibility)} if isinstance(visibility, list) else {visibility: None},
        "wasm_memory_limit": current["wasm_memory_limit"],
        "wasm_memory_threshold": current["wasm_memory_threshold"],
        "environment_variables": [{"name": n, "value": v} for n, v in current["environment_variables"]],
        "log_memory_limit": 4096,
        "snapshot_visibility": {"controllers": None},
        "status_visibility": {"controllers": None},
        "minimum_incoming_canister_call_cycles": 0,
    }


def may_read_logs(current: dict, controllers: list[bytes], caller: bytes) -> bool:
    visibility = current["log_visibility"]
    if visibility == "public":
        return True
    if isinstance(visibility, list) and caller in visibility:
        return True
    return caller in controllers


def encode_settings(current: dict) -> bytes:
    from ic import cbor

    return cbor.encode(current)


def decode_settings(data: bytes) -> dict:
    from ic import cbor

    stored = cbor.decode(data)
    out = dict(DEFAULTS)
    out.update(stored)
    if isinstance(out["log_visibility"], list):
        out["log_visibility"] = [bytes(p) for p in out["log_visibility"]]
    return out


# -- canister history ----------------------------------------------------------------------------


def record_change(hosted, time_ns: int, by: bytes, details: dict) -> None:
    """Append one `change` (kept as plain values: principals as bytes, the mode as text)."""
    hosted.total_changes += 1
    hosted.history.append({"t": time_ns, "v": hosted.engine.state.version, "by": bytes(by), "details": details})
    del hosted.history[:-MAX_HISTORY]


def change_value(entry: dict) -> dict:
    """One stored history entry as the Candid `change` record."""
    ((kind, body),) = entry["details"].items()
    if kind == "creation":
        details = {"creation": {"controllers": list(body["controllers"]), "environment_variables_hash": None}}
    elif kind == "code_deployment":
        details = {"code_deployment": {"mode": {body["mode"]: None}, "module_hash": body["module_hash"]}}
    elif kind == "controllers_change":
        details = {"controllers_change": {"controllers": list(body["controllers"])}}
    else:
        details = {"code_uninstall": None}
    return {"timestamp_nanos": entry["t"], "canister_version": entry["v"],
            "origin": {"from_user": {"user_id": entry["by"]}}, "details": details}
