"""The message builders and parsers of `legacy.py` and `icrc.py` on their own."""

from __future__ import annotations

import pytest

from app.protocol import icrc, legacy
from app.protocol.icrc import ErrorCode, InvalidRpc, RpcRequest, parse_rpc_request
from app.protocol.errors import InvalidRequest
from tests.unit.protocol.payloads import DAPP_ORIGIN, auth_client_request, ecdsa_session_key, icrc34_request

KEY = ecdsa_session_key()


def test_error_codes_are_the_standard_ones():
    assert {code.name: int(code) for code in ErrorCode} == {
        "INVALID_REQUEST": -32600, "METHOD_NOT_FOUND": -32601, "INVALID_PARAMS": -32602, "INTERNAL_ERROR": -32603,
        "GENERIC_ERROR": 1000, "NOT_SUPPORTED": 2000, "PERMISSION_NOT_GRANTED": 3000, "ACTION_ABORTED": 3001,
        "NETWORK_ERROR": 4000,
    }


@pytest.mark.parametrize("data,expected", [
    ({"jsonrpc": "2.0", "id": "x", "method": "m"}, RpcRequest("x", "m")),
    ({"jsonrpc": "2.0", "id": 0, "method": "m", "params": []}, RpcRequest(0, "m", [])),
    ({"jsonrpc": "2.0", "id": 1.5, "method": "m", "params": {"a": 1}}, RpcRequest(1.5, "m", {"a": 1})),
    ({"jsonrpc": "2.0", "method": "m", "params": None}, RpcRequest(None, "m")),
])
def test_parse_rpc_request(data, expected):
    assert parse_rpc_request(data) == expected


@pytest.mark.parametrize("data", [
    [], "x", {"jsonrpc": "2.0", "id": float("inf"), "method": "m"}, {"jsonrpc": "2.0", "id": 1, "method": ""},
    {"jsonrpc": "2.0", "id": [1], "method": "m"},
])
def test_parse_rpc_request_refusals(data):
    with pytest.raises(InvalidRpc):
        parse_rpc_request(data)


def test_rpc_builders():
    assert icrc.rpc_result(3, "ready") == {"jsonrpc": "2.0", "id": 3, "result": "ready"}
    assert icrc.rpc_error(None, ErrorCode.INVALID_REQUEST, "bad") == {
        "jsonrpc": "2.0", "id": None, "error": {"code": -32600, "message": "bad"}}


def test_parse_delegation_params_accepts_what_the_signer_sends():
    request = icrc.parse_delegation_params(icrc34_request(KEY)["params"], DAPP_ORIGIN)
    assert request.session_public_key == KEY and request.request_origin == DAPP_ORIGIN


def test_parse_delegation_params_refuses_too_many_targets():
    params = dict(icrc34_request(KEY)["params"], targets=["aaaaa-aa"] * 1001)
    with pytest.raises(InvalidRequest, match="at most 1000"):
        icrc.parse_delegation_params(params, DAPP_ORIGIN)


def test_legacy_kinds():
    assert legacy.authorize_ready() == {"kind": "authorize-ready"}
    assert legacy.is_authorize_client(auth_client_request(KEY))
    assert not legacy.is_authorize_client({"kind": "authorize-ready"})
    assert not legacy.is_authorize_client("authorize-client")
    with pytest.raises(InvalidRequest):
        legacy.parse_authorize_client({"kind": "authorize-ready"}, DAPP_ORIGIN)


def test_legacy_failure_message():
    assert legacy.build_failure("why") == {"kind": "authorize-client-failure", "text": "why"}
    with pytest.raises(TypeError):
        legacy.build_failure(None)
