"""The authorize flow under CPython: a dapp's legacy request arrives, the request screen is awaited
(`FakeUi`), the identity is created or picked, and the delegation goes to the dapp; the replica
in-process signs it."""

from __future__ import annotations

import asyncio

from app.flows.authorize import AuthorizeFlow, AuthorizePort
from app.protocol.app_metadata import Fetched
from app.remembered import STORAGE_KEY, parse_remembered
from app.ui.screen import Click
from tests.unit.frontend.flow_fakes import FakeUi, make_env, page_of
from tests.unit.protocol.payloads import auth_client_request, ecdsa_session_key, from_dapp

DAPP = "http://dapp.localhost:4943"
CAPTCHA = "#captchaInput"


class Dapp:
    """The opener: what the authorize window posts to it, and a way to post a message back."""

    def __init__(self, served: dict | None = None):
        self.posted: list[tuple[dict, str]] = []
        self.listener = None
        self.served = served or {}  # url -> Fetched: what the dapp's origin answers (else 404)
        self.fetched: list[tuple[str, str, int]] = []
        self.slow = asyncio.Event()  # set: the origin answers only once `answer` is set
        self.answer = asyncio.Event()

    async def fetch_capped(self, url: str, accept: str, max_bytes: int) -> Fetched:
        self.fetched.append((url, accept, max_bytes))
        if self.slow.is_set():
            await self.answer.wait()
        return self.served.get(url, Fetched(404))

    def port(self) -> AuthorizePort:
        async def none(*_args):
            return None
        return AuthorizePort(has_opener=lambda: True, post=lambda m, o: self.posted.append((m, o)),
                             listen=lambda handler: setattr(self, "listener", handler),
                             start_timer=lambda *_a: None, cancel_timer=lambda _n: None,
                             fetch_alternative_origins=none, canister_id_header=none,
                             fetch_capped=self.fetch_capped)

    def kinds(self) -> list[str]:
        return [m.get("kind") for m, _ in self.posted]


async def authorize(replica, script, storage=None, *, request=None, dapp=None, ui=None, **ports):
    env = make_env(replica, storage=storage, **ports)
    env.ui = ui = ui or FakeUi(script)
    tasks = []
    env.spawn = lambda coroutine: tasks.append(asyncio.ensure_future(coroutine))
    dapp = dapp or Dapp()
    flow = AuthorizeFlow(env, dapp.port())
    flow.start()
    dapp.listener(from_dapp(request or auth_client_request(ecdsa_session_key()), origin=DAPP))
    while tasks:
        await tasks.pop(0)
    return dapp, ui, [screen.markup for screen in ui.shown]


def test_a_new_identity_then_the_same_one_picked(replica):
    storage = {}
    dapp, ui, shown = asyncio.run(authorize(replica, [Click("register"), Click("confirm-captcha", {CAPTCHA: "a"}),
                                                      Click("continue")], storage))
    assert dapp.kinds() == ["authorize-ready", "authorize-client-success"]
    assert dapp.posted[-1][1] == DAPP and 'data-page="authorize-completed"' in shown[-1]
    number = parse_remembered(storage[STORAGE_KEY]).anchors[0].number

    again, ui, _ = asyncio.run(authorize(replica, [Click(f"pick-{number}")], storage))
    assert again.kinds()[-1] == "authorize-client-success"
    assert again.posted[-1][0]["delegations"][0]["delegation"]["pubkey"] == ecdsa_session_key()
    assert page_of(ui.asked[0]) == "authorize" and f'data-anchor-id="{number}"' in ui.asked[0].markup


def test_forget_then_cancel(replica):
    storage = {}
    asyncio.run(authorize(replica, [Click("register"), Click("confirm-captcha", {CAPTCHA: "a"}), Click("continue")],
                          storage))
    number = parse_remembered(storage[STORAGE_KEY]).anchors[0].number
    dapp, ui, _ = asyncio.run(authorize(replica, [Click(f"forget-{number}"), Click("cancel")], storage))
    assert f'data-anchor-id="{number}"' in ui.asked[0].markup and "data-anchor-id" not in ui.asked[1].markup
    assert parse_remembered(storage[STORAGE_KEY]).anchors == ()
    assert dapp.kinds() == ["authorize-ready", "authorize-client-failure"]


def test_back_from_sign_in_returns_to_the_request(replica):
    dapp, ui, _ = asyncio.run(authorize(replica, [Click("login"), Click("cancel"), Click("recover"), Click("back"),
                                                  Click("cancel")]))
    assert [page_of(s) for s in ui.asked] == ["authorize", "sign-in", "authorize", "recover", "authorize"]
    assert dapp.kinds()[-1] == "authorize-client-failure"


def test_auto_selection_principal_starts_the_passkey_prompt_without_a_click(replica):
    from tests.unit.frontend.test_authenticate_flow import created, getter
    from tests.unit.ic.soft_authenticator import ES256, SoftAuthenticator

    authenticator, storage, asked = SoftAuthenticator(ES256), {}, []
    ports = dict(dummy_auth=False, start_create=lambda options: created(authenticator, options),
                 start_get=getter(authenticator, asked))
    asyncio.run(authorize(replica, [Click("register"), Click("confirm-captcha", {CAPTCHA: "a"}), Click("continue")],
                          storage, **ports))
    (origin, principal), = parse_remembered(storage[STORAGE_KEY]).anchors[0].principals
    assert origin == DAPP
    request = auth_client_request(ecdsa_session_key(), autoSelectionPrincipal=principal)
    dapp, ui, _ = asyncio.run(authorize(replica, [], storage, request=request, **ports))  # no click scripted
    assert len(asked) == 1 and dapp.kinds() == ["authorize-ready", "authorize-client-success"]
    request_screen = next(screen for screen in ui.shown if page_of(screen) == "authorize")  # shown, not asked
    assert "data-preselected" in request_screen.markup


APP_DOCUMENT = f"{DAPP}/.well-known/ii-app-metadata"


def test_the_dapps_metadata_is_filled_into_the_request_screen_when_it_comes(replica):
    served = {APP_DOCUMENT: Fetched(200, b'{"name": "Demo  dapp", "logo": "/logo.png"}', "application/json"),
              f"{DAPP}/logo.png": Fetched(200, b"\x89PNG", "image/png")}
    slow = Dapp(served)
    slow.slow.set()
    ui = FakeUi([])

    async def answer_then_cancel(screen):  # the request screen is up without the metadata: now it comes
        assert 'data-role="app-name"' not in screen.markup
        slow.answer.set()
        while not ui.filled:
            await asyncio.sleep(0.01)
        return Click("cancel")

    ui.script = [answer_then_cancel]
    dapp, ui, _ = asyncio.run(authorize(replica, [], dapp=slow, ui=ui))
    assert dapp.fetched == [(APP_DOCUMENT, "application/json", 8192), (f"{DAPP}/logo.png", "image/*", 262144)]
    (page, selector, markup), = ui.filled
    assert page == "authorize" and selector == "[data-role=app-metadata]"  # in place: no screen drawn again
    assert '<strong class="app-name" data-role="app-name">Demo dapp</strong>' in markup
    assert 'src="data:image/png;base64,iVBORw=="' in markup
    assert [page_of(s) for s in ui.asked] == ["authorize"]
    assert dapp.kinds() == ["authorize-ready", "authorize-client-failure"]


def test_a_later_request_screen_is_drawn_with_the_metadata(replica):
    served = {APP_DOCUMENT: Fetched(200, b'{"name": "Demo dapp"}', "application/json")}
    dapp, ui, _ = asyncio.run(authorize(replica, [Click("login"), Click("cancel"), Click("cancel")],
                                        dapp=Dapp(served)))
    last = [s for s in ui.asked if page_of(s) == "authorize"][-1]
    assert '<strong class="app-name" data-role="app-name">Demo dapp</strong>' in last.markup


def test_without_metadata_the_screen_shows_the_origin_alone(replica):
    dapp, ui, _ = asyncio.run(authorize(replica, [Click("cancel")]))
    assert dapp.fetched == [(APP_DOCUMENT, "application/json", 8192)]
    assert 'data-role="app-name"' not in ui.asked[0].markup and not ui.filled
    assert f'data-role="requesting-origin">{DAPP}</p>' in ui.asked[0].markup
