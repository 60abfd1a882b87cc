"""Security review (issue 11), finding 1: captcha images cost CPU (~26 ms each in pure Python).

A challenge's image is rendered once, when the challenge is made. A wrong `check_captcha` answer
gets a new challenge, as in the real II (`registration_flow_v2.rs`: `WrongSolution` carries a new
captcha), but that image costs a token of the registration rate limit, the bucket
`identity_registration_start` spends; so does the legacy `create_challenge`. Once the tokens are
spent, wrong answers and new challenges are refused with the rate-limit trap, and nothing is
rendered. The renderer is counted through a monkeypatched `captcha.render_png`.
"""

from __future__ import annotations

import pytest

from replica.canisters.internet_identity import captcha, wire
from replica.runtime.contract import CanisterTrap
from tests.unit.replica.test_ii_support import MINUTE, SECOND, Env, authn_method, device, new_key, principal_of

WRONG = "toolong"  # longer than a captcha: never a solution
RATE_LIMITED = "rate limit reached, try again later"


@pytest.fixture
def renders(monkeypatch):
    """The texts `captcha.render_png` was asked to draw; each image is distinct and cheap."""
    calls: list[str] = []

    def render_png(text: str, seed: bytes) -> bytes:
        calls.append(text)
        return b"\x89PNG\r\n\x1a\n" + text.encode() + seed

    monkeypatch.setattr(captcha, "render_png", render_png)
    return calls


def production_env(tmp_path, *, max_tokens: int = 20_000, time_per_token_ns: int = 60 * MINUTE,
                   captcha_enabled: bool = True) -> Env:
    trigger = {"Static": {"CaptchaEnabled" if captcha_enabled else "CaptchaDisabled": None}}
    init = {
        "register_rate_limit": wire.opt({"time_per_token_ns": time_per_token_ns, "max_tokens": max_tokens}),
        "captcha_config": wire.opt({"max_unsolved_captchas": 50, "captcha_trigger": trigger}),
    }
    return Env(tmp_path / "ii.db", dummy_captcha=False, init=init)


def solution_of(e: Env, caller) -> str:
    return e.canister.registration.flows[caller.raw].solution


def finish_arg() -> dict:
    return {"authn_method": authn_method(new_key()), "name": wire.opt(None)}


def shown_image(e: Env, caller) -> str:
    """The image the flow asks for, as `identity_registration_finish` reports it (no new render)."""
    err = e.update(caller, "identity_registration_finish", finish_arg())["Err"]
    return err["UnexpectedCall"]["next_step"]["CheckCaptcha"]["captcha_png_base64"]


def test_a_challenge_image_is_rendered_once(tmp_path, renders):
    e = production_env(tmp_path)
    me = principal_of(new_key())
    first = e.update(me, "identity_registration_start")["Ok"]["next_step"]["CheckCaptcha"]["captcha_png_base64"]
    assert len(renders) == 1
    # Asking again for the step, or starting again, shows the stored image: nothing is drawn.
    assert shown_image(e, me) == first
    assert e.update(me, "identity_registration_start") == {"Err": {"AlreadyInProgress": None}}
    assert len(renders) == 1
    # A wrong answer is a new challenge (as in the real II), drawn once.
    second = e.update(me, "check_captcha", {"solution": WRONG})["Err"]["WrongSolution"]["new_captcha_png_base64"]
    assert second != first and len(renders) == 2
    assert shown_image(e, me) == second and len(renders) == 2
    # The right answer draws nothing.
    assert e.update(me, "check_captcha", {"solution": solution_of(e, me)}) == {"Ok": {"next_step": {"Finish": None}}}
    assert len(renders) == 2
    assert "Ok" in e.update(me, "identity_registration_finish", finish_arg())
    assert len(renders) == 2


def test_wrong_answers_spend_registration_tokens(tmp_path, renders):
    e = production_env(tmp_path, max_tokens=3)
    me = principal_of(new_key())
    assert "Ok" in e.update(me, "identity_registration_start")  # token 1
    e.update(me, "check_captcha", {"solution": WRONG})  # token 2
    e.update(me, "check_captcha", {"solution": WRONG})  # token 3
    assert len(renders) == 3
    image, solution = shown_image(e, me), solution_of(e, me)
    for _ in range(5):
        with pytest.raises(CanisterTrap, match=RATE_LIMITED):
            e.update(me, "check_captcha", {"solution": WRONG})
    assert len(renders) == 3
    # The refused answers changed nothing: same challenge, which the right answer still solves.
    assert (shown_image(e, me), solution_of(e, me)) == (image, solution)
    # The wrong answers spent the very tokens a new registration needs.
    assert e.update(principal_of(new_key()), "identity_registration_start") == {"Err": {"RateLimitExceeded": None}}
    assert e.update(me, "check_captcha", {"solution": solution}) == {"Ok": {"next_step": {"Finish": None}}}
    assert "Ok" in e.update(me, "identity_registration_finish", finish_arg())
    assert len(renders) == 3


def test_a_wrong_answer_renders_again_once_a_token_is_back(tmp_path, renders):
    e = production_env(tmp_path, max_tokens=1, time_per_token_ns=10 * SECOND)
    me = principal_of(new_key())
    e.update(me, "identity_registration_start")
    with pytest.raises(CanisterTrap, match=RATE_LIMITED):
        e.update(me, "check_captcha", {"solution": WRONG})
    e.time += 10 * SECOND
    assert "WrongSolution" in e.update(me, "check_captcha", {"solution": WRONG})["Err"]
    assert len(renders) == 2


def test_legacy_create_challenge_spends_the_same_tokens(tmp_path, renders):
    e = production_env(tmp_path, max_tokens=2)
    key = new_key()
    me = principal_of(key)
    first = e.update(me, "create_challenge")
    e.update(me, "create_challenge")
    assert len(renders) == 2
    with pytest.raises(CanisterTrap, match=RATE_LIMITED):
        e.update(me, "create_challenge")
    assert len(renders) == 2
    assert e.update(me, "identity_registration_start") == {"Err": {"RateLimitExceeded": None}}
    # The challenge already paid: answering it takes no second token.
    chars = e.canister.registration.challenges[first["challenge_key"]].solution
    result = e.update(me, "register", device(key), {"key": first["challenge_key"], "chars": chars}, wire.opt(None))
    assert result == {"registered": {"user_number": 10_000}}
    assert len(renders) == 2


def test_legacy_register_without_captcha_still_costs_a_token(tmp_path, renders):
    e = production_env(tmp_path, max_tokens=1, captcha_enabled=False)
    first, second = new_key(), new_key()
    no_challenge = {"key": "", "chars": ""}
    assert "registered" in e.update(principal_of(first), "register", device(first), no_challenge, wire.opt(None))
    with pytest.raises(CanisterTrap, match=RATE_LIMITED):
        e.update(principal_of(second), "register", device(second), no_challenge, wire.opt(None))
    assert renders == []
