"""Creating identities: captchas, the legacy `register`, the v2 flow, and the rate limit.

Reference section 5 (CAPTCHA, registration rate limit) and section 3:
- `create_challenge` -> {png_base64, challenge_key}; the key is 10 random letters `a..y`;
  challenges live 5 minutes; at most `max_unsolved_captchas` in flight, else trap
  "too many inflight captchas".
- `register(device, {key, chars}, temp_key)`: `bad_challenge` on a wrong/unknown/expired
  challenge (skipped when the captcha is disabled), `canister_full` when the range is used up;
  the caller must be the device's self-authenticating principal, or the supplied temporary key.
- v2: `identity_registration_start` (rate-limited, non-anonymous, one flow per caller, flows
  expire after 5 minutes) -> `check_captcha` -> `identity_registration_finish`, which registers
  the flow's caller as a 10-minute temporary key of the new identity.
- Token bucket `{time_per_token_ns, max_tokens}`, starting full; in the real II each `register`
  and `identity_registration_start` costs one token.

Hardening beyond the real II (security review, issue 11), so that no caller makes the canister
render captcha images (~26 ms of pure Python each) or spend tokens for free:
- Every rendered image costs a token of that one bucket: `identity_registration_start`, a wrong
  `check_captcha` answer (which, as in the real II, issues a new challenge with a new image) and
  the legacy `create_challenge`. The legacy `register` then costs no second token when it checks
  a challenge; without a captcha it costs one, as before. A challenge's image is rendered once,
  when the challenge is made, and only stored afterwards. Out of tokens, `create_challenge` and a
  wrong `check_captcha` trap "rate limit reached, try again later" (`CheckCaptchaError` has no
  rate-limit variant) and change nothing; a right answer still passes.
- `identity_registration_start` refuses the anonymous caller, and a caller with a flow, before
  it takes a token: a refused call costs none.
- Registration refuses a device whose public key or credential id an identity holds already
  (`devices.check_device_unused`): `register` traps, `identity_registration_finish` answers
  `InvalidAuthnMethod`, as the real II does for a used public key.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, replace

from replica.canisters.internet_identity import captcha
from replica.canisters.internet_identity.anchors import Anchor, AnchorError, Device
from replica.canisters.internet_identity.devices import KeyAlreadyUsed, check_device_unused
from replica.canisters.internet_identity.state import State, is_anonymous, self_authenticating
from replica.runtime.contract import CallContext, CanisterTrap

SECOND_NS = 1_000_000_000
CAPTCHA_CHALLENGE_LIFETIME_NS = 300 * SECOND_NS
FLOW_EXPIRATION_NS = 300 * SECOND_NS
CHALLENGE_KEY_LENGTH = 10
RATE_LIMIT_REACHED = "rate limit reached, try again later"


class RateLimitExceeded(Exception):
    pass


class TokenBucket:
    """Registration rate limit; starts full, refills one token per `time_per_token_ns`."""

    def __init__(self, state: State) -> None:
        self.state = state
        self.tokens: int | None = None
        self.last_refill = 0

    def _refill(self, now: int) -> None:
        s = self.state.settings
        if self.tokens is None:
            self.tokens, self.last_refill = s.max_tokens, now
            return
        if s.time_per_token_ns <= 0:
            self.tokens = s.max_tokens
            return
        new = (now - self.last_refill) // s.time_per_token_ns
        if new > 0:
            self.tokens = min(s.max_tokens, self.tokens + new)
            self.last_refill += new * s.time_per_token_ns
        if self.tokens >= s.max_tokens:
            self.last_refill = now
        self.tokens = min(self.tokens, s.max_tokens)

    def take(self, now: int) -> None:
        """Spend one token, or raise RateLimitExceeded having spent none."""
        self._refill(now)
        if self.tokens <= 0:
            raise RateLimitExceeded()
        self.tokens -= 1

    def take_or_trap(self, now: int) -> None:
        try:
            self.take(now)
        except RateLimitExceeded:
            raise CanisterTrap(RATE_LIMIT_REACHED) from None

    def current(self, now: int) -> int:
        self._refill(now)
        return self.tokens


@dataclass
class Challenge:
    solution: str
    created: int


@dataclass
class Flow:
    """A v2 registration flow: waiting for a captcha solution, or ready to finish."""

    created: int
    solution: str | None = None  # None: next step is Finish
    png_base64: str = ""


class Registration:
    def __init__(self, state: State) -> None:
        self.state = state
        self.bucket = TokenBucket(state)
        self.challenges: dict[str, Challenge] = {}
        self.flows: dict[bytes, Flow] = {}
        self.registrations: deque[int] = deque()  # timestamps, for the dynamic captcha trigger

    # --- captcha -------------------------------------------------------------------------------

    def captcha_required(self, now: int) -> bool:
        trigger = self.state.settings.captcha_trigger
        if trigger.static_enabled is not None:
            return trigger.static_enabled
        ref_ns = trigger.reference_rate_sampling_interval_s * SECOND_NS
        cur_ns = trigger.current_rate_sampling_interval_s * SECOND_NS
        while self.registrations and self.registrations[0] <= now - max(ref_ns, cur_ns):
            self.registrations.popleft()
        if ref_ns <= 0 or cur_ns <= 0:
            return True
        current = sum(1 for t in self.registrations if t > now - cur_ns)
        reference = sum(1 for t in self.registrations if t > now - ref_ns)
        # current rate > reference rate * (1 + threshold): compare cross-multiplied integers
        return current * ref_ns * 100 > reference * cur_ns * (100 + trigger.threshold_pct)

    def _new_captcha(self) -> tuple[str, str]:
        """(png_base64, solution) of a new challenge: the only place an image is rendered."""
        return captcha.create_captcha(self.state.random, dummy=self.state.dummy_captcha)

    def _prune_challenges(self, now: int) -> None:
        for key in [k for k, c in self.challenges.items() if c.created + CAPTCHA_CHALLENGE_LIFETIME_NS <= now]:
            del self.challenges[key]

    def create_challenge(self, ctx: CallContext) -> dict:
        now = ctx.time_ns
        self._prune_challenges(now)
        if len(self.challenges) >= self.state.settings.max_unsolved_captchas:
            raise CanisterTrap("too many inflight captchas")
        for _ in range(10):
            key = "".join(chr(ord("a") + b % 25) for b in self.state.random(CHALLENGE_KEY_LENGTH))
            if key not in self.challenges:
                break
        else:
            raise CanisterTrap("Could not find a new key after 10 tries")
        self.bucket.take_or_trap(now)  # the last check: a trap spends no token
        png_base64, solution = self._new_captcha()
        self.challenges[key] = Challenge(solution, now)
        return {"png_base64": png_base64, "challenge_key": key}

    def _check_challenge(self, now: int, key: str, chars: str) -> bool:
        self._prune_challenges(now)
        challenge = self.challenges.pop(key, None)
        return challenge is not None and captcha.check_solution(chars, challenge.solution)

    # --- anchor creation -----------------------------------------------------------------------

    def _create_anchor(self, now: int, device: Device, name: str | None) -> int | None:
        def make(number: int):
            anchor = Anchor(number=number, created_at=now)
            anchor.set_name(name)
            anchor.add_device(device)
            return anchor.to_record()

        lo, hi = self.state.settings.assigned_user_number_range
        record = self.state.storage.create_anchor(lo, hi, make)
        if record is None:
            return None
        self.registrations.append(now)
        self.state.counters.anchor_operations += 1
        return record.number

    # --- legacy API ----------------------------------------------------------------------------

    def register(self, ctx: CallContext, device: Device, key: str, chars: str, temp_key) -> dict:
        # Everything that can trap is checked before any state changes (a trap changes nothing).
        now = ctx.time_ns
        if temp_key is not None:
            if temp_key.raw == self_authenticating(device.pubkey).raw:
                raise CanisterTrap("temp_key and device key must not be equal")
            if ctx.caller.raw != temp_key.raw:
                raise CanisterTrap(
                    f"{ctx.caller.to_text()} could not be authenticated against temporary key"
                    f" {temp_key.to_text()}"
                )
        elif ctx.caller.raw != self_authenticating(device.pubkey).raw:
            raise CanisterTrap(
                f"{ctx.caller.to_text()} could not be authenticated against {device.pubkey.hex()}"
            )
        device = replace(device, last_usage=now)
        try:
            Anchor(number=0).add_device(device)
            check_device_unused(self.state.storage, device)
        except KeyAlreadyUsed as err:
            raise CanisterTrap(str(err)) from None
        except AnchorError as err:
            raise CanisterTrap(f"failed to register anchor: {err}") from None
        if self.captcha_required(now):
            # The challenge's token was spent by `create_challenge`, which rendered its image.
            if not self._check_challenge(now, key, chars):
                return {"bad_challenge": None}
        else:
            self.bucket.take_or_trap(now)
        number = self._create_anchor(now, device, None)
        if number is None:
            return {"canister_full": None}
        if temp_key is not None:
            self.state.add_temp_key(number, device.pubkey, temp_key, now)
        return {"registered": {"user_number": number}}

    # --- v2 flow -------------------------------------------------------------------------------

    def _prune_flows(self, now: int) -> None:
        for caller in [c for c, f in self.flows.items() if f.created + FLOW_EXPIRATION_NS <= now]:
            del self.flows[caller]

    @staticmethod
    def next_step(flow: Flow) -> dict:
        if flow.solution is None:
            return {"Finish": None}
        return {"CheckCaptcha": {"captcha_png_base64": flow.png_base64}}

    def start(self, ctx: CallContext) -> dict:
        # Refusals come before the token (the real II takes it first): a refused call costs none.
        if is_anonymous(ctx.caller):
            return {"Err": {"InvalidCaller": None}}
        now = ctx.time_ns
        self._prune_flows(now)
        pending = sum(1 for f in self.flows.values() if f.solution is not None)
        if pending >= self.state.settings.max_unsolved_captchas:
            raise CanisterTrap("too many inflight captchas")
        if ctx.caller.raw in self.flows:
            return {"Err": {"AlreadyInProgress": None}}
        try:
            self.bucket.take(now)
        except RateLimitExceeded:
            return {"Err": {"RateLimitExceeded": None}}
        flow = Flow(created=now)
        if self.captcha_required(now):
            flow.png_base64, flow.solution = self._new_captcha()
        self.flows[ctx.caller.raw] = flow
        return {"Ok": {"next_step": self.next_step(flow)}}

    def check_captcha(self, ctx: CallContext, solution: str) -> dict:
        self._prune_flows(ctx.time_ns)
        flow = self.flows.get(ctx.caller.raw)
        if flow is None:
            return {"Err": {"NoRegistrationFlow": None}}
        if flow.solution is None:
            return {"Err": {"UnexpectedCall": {"next_step": self.next_step(flow)}}}
        if not captcha.check_solution(solution, flow.solution):
            # As in the real II, a wrong answer gets a new challenge; its image costs a token.
            self.bucket.take_or_trap(ctx.time_ns)
            flow.png_base64, flow.solution = self._new_captcha()
            return {"Err": {"WrongSolution": {"new_captcha_png_base64": flow.png_base64}}}
        flow.solution, flow.png_base64 = None, ""
        return {"Ok": {"next_step": {"Finish": None}}}

    def finish(self, ctx: CallContext, device: Device | str, name: str | None) -> dict:
        """`device` is the converted authn method, or a message saying why it is invalid."""
        now = ctx.time_ns
        self._prune_flows(now)
        flow = self.flows.get(ctx.caller.raw)
        if flow is None:
            return {"Err": {"NoRegistrationFlow": None}}
        if flow.solution is not None:
            return {"Err": {"UnexpectedCall": {"next_step": self.next_step(flow)}}}
        if isinstance(device, str):
            return {"Err": {"InvalidAuthnMethod": device}}
        if name is not None and len(name.encode()) > 128:
            return {"Err": {"StorageError": "Name is too long. Maximum length of name is 128."}}
        device = replace(device, last_usage=now)
        try:
            check_device_unused(self.state.storage, device)
            number = self._create_anchor(now, device, name)
        except AnchorError as err:
            return {"Err": {"InvalidAuthnMethod": str(err)}}
        if number is None:
            return {"Err": {"StorageError": "No more identities can be created: the anchor range is full."}}
        del self.flows[ctx.caller.raw]
        self.state.add_temp_key(number, device.pubkey, ctx.caller, now)
        return {"Ok": {"identity_number": number}}
