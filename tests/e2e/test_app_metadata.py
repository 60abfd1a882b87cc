"""The authorize screen presents the dapp as its `/.well-known/ii-app-metadata` says (name, tagline,
logo), beside its origin; a dapp without one, or with one II refuses, is shown by its origin."""

from __future__ import annotations

import base64

import pytest

from tests.e2e.dapp import TIMEOUT, click_login, open_dapp, register_new_identity
from tests.e2e.test_authorize import alt_server  # noqa: F401  (a replica listing localhost as an alternative origin)

DEMO = "static/demo/"


def test_the_demo_dapps_name_and_logo_beside_its_origin(server, context):
    login = click_login(context, open_dapp(context, server.dapp_url()))
    popup = login.ii
    assert popup.app_name() == "whoami demo dapp"
    assert popup.app_description().startswith("Signs in with Internet Identity")
    with open(DEMO + "logo.png", "rb") as logo:
        assert popup.app_logo() == "data:image/png;base64," + base64.b64encode(logo.read()).decode()
    assert popup.requesting_origin() == server.dapp_url().rstrip("/")  # the origin stays what vouches
    register_new_identity(login.popup)  # signing in is untouched by it
    assert login.principal()


class Over:
    """The II page's fetches of `url` that are over, answered or failed (a body cut short fails)."""

    def __init__(self, context, url: str):
        self.url, self.count = url, 0
        for event in ("requestfinished", "requestfailed"):
            context.on(event, self._seen)

    def _seen(self, request) -> None:
        self.count += request.url == self.url

    def wait(self, page) -> None:
        for _ in range(TIMEOUT // 50):
            if self.count:
                return
            page.wait_for_timeout(50)
        raise AssertionError(f"the fetch of {self.url} never ended")


@pytest.mark.parametrize("body,content_type", [
    ('{"name": "x", "logo": "https://elsewhere.example/logo.png"}', "application/json"),  # one bad field
    ('{"name": "' + "n" * 41 + '"}', "application/json"),
    ('{"name": "evil', "application/json"),
    ('{"description": "' + "d" * 9000 + '"}', "application/json"),  # over 8 KiB
])
def test_metadata_ii_refuses_leaves_the_origin_alone(server, context, body, content_type):
    url = server.dapp_url().rstrip("/") + "/.well-known/ii-app-metadata"
    context.route(url, lambda route: route.fulfill(status=200, body=body, content_type=content_type,
                                                   headers={"access-control-allow-origin": "*"}))
    over = Over(context, url)
    login = click_login(context, open_dapp(context, server.dapp_url()))
    over.wait(login.popup)
    popup = login.ii
    popup.redraw_request()  # drawn again after the document came: still nothing from it
    assert not popup.app_metadata_shown()
    assert popup.requesting_origin() == server.dapp_url().rstrip("/")


def test_a_redirect_or_a_404_leaves_the_origin_alone(server, context):
    url = server.dapp_url().rstrip("/") + "/.well-known/ii-app-metadata"
    context.route(url, lambda route: route.fulfill(status=302, headers={
        "location": server.dapp_url() + "ii-app-metadata.json", "access-control-allow-origin": "*"}))
    over = Over(context, url)
    login = click_login(context, open_dapp(context, server.dapp_url()))
    over.wait(login.popup)
    login.ii.redraw_request()
    assert not login.ii.app_metadata_shown()

    other = server.dapp_url("?canisterId=qoctq-giaaa-aaaaa-aaaea-cai", host="localhost")
    over = Over(context, f"http://localhost:{server.port}/.well-known/ii-app-metadata")
    login = click_login(context, open_dapp(context, other))
    over.wait(login.popup)
    login.ii.redraw_request()
    assert not login.ii.app_metadata_shown()
    assert login.ii.requesting_origin() == f"http://localhost:{server.port}"


def test_an_alternative_origin_is_presented_by_the_document_of_its_derivation_origin(alt_server, context):
    """`localhost` derives its principals for the whoami origin: the whoami origin's document
    presents it (II fetches from the derivation origin), the requesting origin stays shown."""
    whoami_origin = alt_server.dapp_url().rstrip("/")
    login = click_login(context, open_dapp(context, alt_server.dapp_url(
        f"?canisterId=qoctq-giaaa-aaaaa-aaaea-cai&derivationOrigin={whoami_origin}", host="localhost")))
    assert login.ii.app_name() == "whoami demo dapp"
    assert login.ii.requesting_origin() == f"http://localhost:{alt_server.port}"
