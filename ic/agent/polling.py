"""Polling an update's request status (ic-interface-facts §9 "Update flow"; agent-js `polling/`).

agent-js's default strategy: after the first pending answer wait 1 s once, then back off from 1 s
by a factor of 1.2, and give up after 5 minutes. `PollStrategy` holds those numbers; `poll` runs the
loop with an injected `sleep` and clock, so tests drive it with a fake clock and no real waiting.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Awaitable, Callable, Iterator, Optional

from ic.agent.errors import PollTimeoutError
from ic.agent.request_status import RequestStatus

Sleep = Callable[[float], Awaitable[None]]
ClockNs = Callable[[], int]


@dataclass(frozen=True)
class PollStrategy:
    first_extra_delay_s: float = 1.0  # agent-js `conditionalDelay(once(), 1000)`
    initial_delay_s: float = 1.0  # agent-js `backoff(1000, 1.2)`
    factor: float = 1.2
    max_delay_s: Optional[float] = None  # agent-js has no cap
    timeout_s: float = 5 * 60.0  # agent-js `timeout(5 minutes)`

    def delays(self) -> Iterator[float]:
        """The waits between polls: 2.0, 1.2, 1.44, ... (seconds) with the defaults."""
        delay = self.initial_delay_s
        first = True
        while True:
            wait = min(delay, self.max_delay_s) if self.max_delay_s is not None else delay
            yield wait + (self.first_extra_delay_s if first else 0.0)
            first = False
            delay *= self.factor


DEFAULT_POLL_STRATEGY = PollStrategy()


async def poll(
    read_status: Callable[[], Awaitable[RequestStatus]],
    *,
    strategy: PollStrategy,
    sleep: Sleep,
    clock_ns: ClockNs,
    what: str = "the request",
) -> RequestStatus:
    """Call `read_status` until the status is terminal; `PollTimeoutError` after `strategy.timeout_s`.

    The timeout counts both the clock and the total time slept, so a fake clock that does not move
    still ends the loop.
    """
    started = clock_ns()
    slept = 0.0
    timeout_ns = int(strategy.timeout_s * 1e9)
    status = await read_status()
    for delay in strategy.delays():
        if not status.pending:
            return status
        elapsed_ns = max(clock_ns() - started, int(slept * 1e9))
        if elapsed_ns + int(delay * 1e9) > timeout_ns:
            raise PollTimeoutError(
                f"{what}: no reply after {elapsed_ns / 1e9:.1f} s of polling (last status "
                f"'{status.status.value}'); gave up at the {strategy.timeout_s:.0f} s limit"
            )
        await sleep(delay)
        slept += delay
        status = await read_status()
    raise AssertionError("unreachable: the delay sequence is infinite")
