"""The canister's Candid interface is exactly the real II's, method by method.

The canister's `did_text` is a byte-exact copy of the reference `.did`; every method the canister
implements exists in the reference service with the same type (compared structurally after
parsing) and the same query/update annotation. The other tests pass every argument and result
through the reference types (see `test_ii_support.through_candid`), so value shapes are checked too.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from replica.canisters.internet_identity.canister import DID_PATH, InternetIdentityCanister
from replica.runtime.contract import CanisterReject
from tests.unit.replica.test_ii_support import anonymous, env  # noqa: F401

REPO = Path(__file__).resolve().parents[3]
SHARED_REFERENCE = REPO.parent / "shared" / "reference" / "internet_identity.did"
REFERENCE_SHA256 = "cb4f72b480f6ae0a2238bfbbd4f9a7a7f43e1fd95506f4fe310e46962ac40033"

EXPECTED_METHODS = {
    "init_salt", "create_challenge", "register", "add", "update", "replace", "remove", "lookup",
    "get_anchor_credentials", "get_anchor_info", "get_principal", "enter_device_registration_mode",
    "exit_device_registration_mode", "add_tentative_device", "verify_tentative_device",
    "prepare_delegation", "get_delegation", "identity_registration_start", "check_captcha",
    "identity_registration_finish", "identity_info", "identity_authn_info",
    "identity_metadata_replace", "authn_method_add", "authn_method_remove", "authn_method_replace",
    "authn_method_metadata_replace", "authn_method_security_settings_replace",
    "authn_method_registration_mode_enter", "authn_method_registration_mode_exit",
    "authn_method_register", "authn_method_confirm", "authn_method_session_register",
    "authn_method_session_info", "lookup_device_key",
    "lookup_by_registration_mode_id", "identity_properties_replace",
    "lookup_caller_identity_by_recovery_phrase", "prepare_icrc3_attributes", "get_icrc3_attributes",
    "list_available_attributes", "stats", "config", "http_request", "whoami",
    "get_accounts", "create_account", "update_account", "prepare_account_delegation",
    "get_account_delegation", "get_default_account", "set_default_account",
}


def test_did_copy_is_byte_exact():
    import hashlib

    data = DID_PATH.read_bytes()
    assert hashlib.sha256(data).hexdigest() == REFERENCE_SHA256
    if SHARED_REFERENCE.exists():
        assert data == SHARED_REFERENCE.read_bytes()


def test_every_implemented_method_has_the_reference_type(env):
    from ic.candid.did_parser import parse_did

    reference_text = (SHARED_REFERENCE if SHARED_REFERENCE.exists() else DID_PATH).read_text()
    reference = parse_did(reference_text)
    ours = parse_did(env.canister.did_text)
    methods = env.canister.methods
    assert set(methods) == EXPECTED_METHODS
    for name, is_query in methods.items():
        assert name in reference.service, f"{name} is not in the reference interface"
        ref_type = reference.service[name]
        assert ours.service[name] == ref_type, f"{name}: {ours.service[name]} != {ref_type}"
        assert ("query" in ref_type.annotations) == is_query, f"{name}: query annotation differs"
    assert reference.init_args == ours.init_args


def test_unknown_method_is_rejected_clearly(env):
    with pytest.raises(CanisterReject, match="'deploy_archive' is not implemented"):
        env.canister.call("deploy_archive", env.ctx(anonymous(), query=False), [b""])


def test_update_method_cannot_be_called_as_a_query(env):
    with pytest.raises(CanisterReject, match="create_challenge is an update method"):
        env.canister.call("create_challenge", env.ctx(anonymous(), query=True), [])


def test_constructor_rejects_an_unusable_init(tmp_path):
    from replica.storage import open_storage
    from tests.unit.replica.test_ii_support import canister_id

    storage = open_storage(tmp_path / "ii.db")
    with pytest.raises(ValueError, match="invalid anchor range: lower bound 10 above upper bound 5"):
        InternetIdentityCanister(canister_id(), storage, dummy_captcha=True,
                                 init={"assigned_user_number_range": [(10, 5)]})
    storage.close()
