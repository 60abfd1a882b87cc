"""The poll loop and its backoff, driven by a fake clock (no real waiting)."""

from __future__ import annotations

import asyncio
import itertools

import pytest

from ic.agent import PollStrategy, PollTimeoutError, RejectError, RequestStatusError
from ic.agent.polling import poll
from ic.agent.request_status import RequestStatus, Status


class FakeTime:
    def __init__(self, start_ns: int = 10**18):
        self.now_ns = start_ns
        self.sleeps: list[float] = []

    def clock(self) -> int:
        return self.now_ns

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now_ns += int(seconds * 1e9)


def scripted(*statuses: RequestStatus):
    calls = []

    async def read_status() -> RequestStatus:
        calls.append(len(calls))
        return statuses[min(len(calls) - 1, len(statuses) - 1)]

    return read_status, calls


def test_default_delays_follow_agent_js():
    delays = list(itertools.islice(PollStrategy().delays(), 4))
    assert delays == pytest.approx([2.0, 1.2, 1.44, 1.728])


def test_polls_until_replied():
    fake = FakeTime()
    read, calls = scripted(
        RequestStatus(Status.UNKNOWN), RequestStatus(Status.RECEIVED), RequestStatus(Status.PROCESSING),
        RequestStatus(Status.REPLIED, reply=b"DIDL\x00\x00"),
    )
    status = asyncio.run(poll(read, strategy=PollStrategy(), sleep=fake.sleep, clock_ns=fake.clock))
    assert status.outcome() == b"DIDL\x00\x00"
    assert len(calls) == 4
    assert fake.sleeps == pytest.approx([2.0, 1.2, 1.44])


def test_no_sleep_when_already_terminal():
    fake = FakeTime()
    read, calls = scripted(RequestStatus(Status.REJECTED, reject_code=4, reject_message="no", error_code="IC0406"))
    status = asyncio.run(poll(read, strategy=PollStrategy(), sleep=fake.sleep, clock_ns=fake.clock))
    assert fake.sleeps == [] and len(calls) == 1
    with pytest.raises(RejectError) as info:
        status.outcome(method="register")
    assert (info.value.code, info.value.message, info.value.error_code, info.value.certified) == (4, "no", "IC0406", True)
    assert "register" in str(info.value) and "CANISTER_REJECT" in str(info.value)


def test_times_out_by_the_clock():
    fake = FakeTime()
    read, calls = scripted(RequestStatus(Status.PROCESSING))
    with pytest.raises(PollTimeoutError, match="processing"):
        asyncio.run(poll(read, strategy=PollStrategy(timeout_s=30), sleep=fake.sleep, clock_ns=fake.clock))
    assert sum(fake.sleeps) <= 30
    assert len(calls) == len(fake.sleeps) + 1


def test_times_out_even_if_the_clock_stands_still():
    fake = FakeTime()

    async def sleep(seconds: float) -> None:
        fake.sleeps.append(seconds)  # clock does not move

    read, _ = scripted(RequestStatus(Status.RECEIVED))
    with pytest.raises(PollTimeoutError):
        asyncio.run(poll(read, strategy=PollStrategy(timeout_s=10), sleep=sleep, clock_ns=fake.clock))
    assert sum(fake.sleeps) <= 10


def test_max_delay_caps_backoff():
    delays = list(itertools.islice(PollStrategy(first_extra_delay_s=0, factor=2, max_delay_s=3).delays(), 5))
    assert delays == [1, 2, 3, 3, 3]


def test_done_is_an_error():
    with pytest.raises(RequestStatusError, match="done"):
        RequestStatus(Status.DONE).outcome(request_id=b"\x01" * 32)
