"""How `Agent` maps HTTP answers to results and typed errors (scripted transport, no replica).

Only answers that need no certificate are scripted here; certified answers are tested against the
real replica in `test_against_replica.py`.
"""

from __future__ import annotations

import pytest

from ic import cbor
from ic.agent import (Agent, HttpError, HttpResponse, IngressExpiryError, RejectError, ResponseError, TransportError,
                      Ed25519Identity)

from .conftest import WHOAMI_CANISTER, run

TEXT = {"content-type": "text/plain; charset=utf-8"}
CBOR = {"content-type": "application/cbor"}


class Scripted:
    """Answers each request from a list of (path suffix or None, response or exception)."""

    def __init__(self, *answers):
        self.answers = list(answers)
        self.requests: list[tuple[str, str, bytes | None, str | None]] = []

    async def request(self, method, url_path, body=None, content_type=None):
        self.requests.append((method, url_path, body, content_type))
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


def make_agent(transport, **kwargs):
    sleeps = []

    async def sleep(seconds):
        sleeps.append(seconds)

    agent = Agent(transport, Ed25519Identity(bytes(32)), root_key_der=b"\x00" * 133, sleep=sleep, **kwargs)
    agent.sleeps = sleeps
    return agent


def text(status, body):
    return HttpResponse(status, TEXT, body.encode())


def test_400_carries_the_replicas_reason():
    reason = "Invalid signature: Ed25519 signature could not be verified"
    agent = make_agent(Scripted(text(400, reason)))
    with pytest.raises(HttpError) as info:
        run(agent.update(WHOAMI_CANISTER, "whoami_update", b"DIDL\x00\x00"))
    assert info.value.status == 400 and info.value.text == reason
    assert reason in str(info.value) and "/api/v3/canister/" in str(info.value)
    assert agent.sleeps == []  # a client error is not retried


def test_ingress_expiry_400_has_its_own_type():
    reason = "Invalid request expiry: Specified ingress_expiry not within expected range: ..."
    agent = make_agent(Scripted(text(400, reason)), auto_sync_time=False, verify_query_signatures=False)
    with pytest.raises(IngressExpiryError):
        run(agent.query(WHOAMI_CANISTER, "whoami", b"DIDL\x00\x00"))


def test_v3_404_falls_back_to_v2_with_the_same_envelope():
    reject = {"reject_code": 3, "reject_message": "Canister not found", "error_code": "IC0301"}
    transport = Scripted(text(404, "Not found"), HttpResponse(200, CBOR, cbor.encode(reject)))
    agent = make_agent(transport)
    with pytest.raises(RejectError) as info:
        run(agent.update(WHOAMI_CANISTER, "whoami_update", b"DIDL\x00\x00"))
    assert (info.value.code, info.value.error_code, info.value.certified) == (3, "IC0301", False)
    (_, first, body1, type1), (_, second, body2, _) = transport.requests
    assert first == f"/api/v3/canister/{WHOAMI_CANISTER}/call"
    assert second == f"/api/v2/canister/{WHOAMI_CANISTER}/call"
    assert body1 == body2 and type1 == "application/cbor"


def test_v3_non_replicated_rejection():
    reject = {"status": "non_replicated_rejection", "reject_code": 5, "reject_message": "trapped", "error_code": "IC0503"}
    agent = make_agent(Scripted(HttpResponse(200, CBOR, cbor.encode(reject))))
    with pytest.raises(RejectError, match="CANISTER_ERROR.*IC0503.*trapped") as info:
        run(agent.update(WHOAMI_CANISTER, "whoami_update", b"DIDL\x00\x00"))
    assert info.value.request_id is not None and len(info.value.request_id) == 32


@pytest.mark.parametrize("status", [429, 500, 503, 504])
def test_transient_statuses_are_retried(status):
    reject = {"status": "non_replicated_rejection", "reject_code": 4, "reject_message": "no"}
    agent = make_agent(Scripted(text(status, "busy"), text(status, "busy"), HttpResponse(200, CBOR, cbor.encode(reject))))
    with pytest.raises(RejectError):
        run(agent.update(WHOAMI_CANISTER, "whoami_update", b""))
    assert agent.sleeps == pytest.approx([0.5, 0.75])


def test_retries_end_with_the_last_answer():
    agent = make_agent(Scripted(*[text(503, "unhealthy")] * 4), retry_times=3)
    with pytest.raises(HttpError) as info:
        run(agent.status())
    assert info.value.status == 503 and info.value.text == "unhealthy"
    assert len(agent.sleeps) == 3


def test_transport_errors_are_retried_then_raised():
    agent = make_agent(Scripted(*[TransportError("connection refused")] * 2), retry_times=1)
    with pytest.raises(TransportError, match="refused"):
        run(agent.status())


def test_malformed_cbor_is_a_response_error():
    agent = make_agent(Scripted(HttpResponse(200, CBOR, b"\xd9\xd9\xf7\xa1")))
    with pytest.raises(ResponseError, match="not valid CBOR"):
        run(agent.status())


def test_query_reject_without_signature_check():
    rejected = {"status": "rejected", "reject_code": 4, "reject_message": "nope", "error_code": "IC0406"}
    agent = make_agent(Scripted(HttpResponse(200, CBOR, cbor.encode(rejected))), verify_query_signatures=False)
    with pytest.raises(RejectError) as info:
        run(agent.query(WHOAMI_CANISTER, "whoami", b""))
    assert (info.value.code, info.value.message, info.value.certified) == (4, "nope", False)


@pytest.mark.parametrize(
    "answer, message",
    [
        ({"status": "replied"}, "reply.arg"),
        ({"status": "replied", "reply": {"arg": "text"}}, "reply.arg"),
        ({"status": "rejected", "reject_message": "x"}, "reject_code"),
        ({"status": "weird"}, "status must be"),
        ([1, 2], "expected a CBOR map"),
    ],
)
def test_malformed_query_answers(answer, message):
    agent = make_agent(Scripted(HttpResponse(200, CBOR, cbor.encode(answer))), verify_query_signatures=False)
    with pytest.raises(ResponseError, match=message):
        run(agent.query(WHOAMI_CANISTER, "whoami", b""))


def test_call_200_without_certificate_or_reject():
    agent = make_agent(Scripted(HttpResponse(200, CBOR, cbor.encode({"status": "replied"}))))
    with pytest.raises(ResponseError, match="certificate or a reject"):
        run(agent.update(WHOAMI_CANISTER, "whoami_update", b""))


def test_fetch_root_key_requires_a_bls_key():
    agent = Agent(Scripted(HttpResponse(200, CBOR, cbor.encode({"root_key": b"\x01" * 10}))), fetch_root_key=True)
    from ic.errors import KeyFormatError

    with pytest.raises(KeyFormatError):
        run(agent.fetch_root_key())
    agent = Agent(Scripted(HttpResponse(200, CBOR, cbor.encode({"impl_version": "x"}))), fetch_root_key=True)
    with pytest.raises(ResponseError, match="no root_key"):
        run(agent.root_key())


def test_default_root_key_is_mainnet():
    from ic.agent import IC_ROOT_KEY_DER
    from ic.principal import Principal

    agent = Agent(Scripted())
    assert run(agent.root_key()) == IC_ROOT_KEY_DER
    # the NNS subnet id, as the reference derives it from this key
    assert Principal.self_authenticating(IC_ROOT_KEY_DER).to_text().startswith("tdb26-jop6k-")
