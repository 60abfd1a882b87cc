"""The II frontend at the names icp-cli's local network gives it (issue 16 item 7): besides
`<II>.localhost` and `localhost?canisterId=<II>`, `id.ai.localhost` and the frontend canister's
`uqzsh-....localhost` / `?canisterId=uqzsh-...`, all with the same page and the same backend."""

from __future__ import annotations

import asyncio
import base64
import json
import re
from pathlib import Path

import pytest

from replica.app import App, host_name
from replica.config import II_FRIENDLY_HOST, II_FRONTEND_CANISTER_ID, Config
from replica.http.static import content_security_policy

ROOT = Path(__file__).resolve().parents[3]
II = "rdmx6-jaaaa-aaaaa-aaadq-cai"
FRONTEND = "uqzsh-gqaaa-aaaaq-qaada-cai"
II_HOSTS = [f"{II}.localhost:4943", "id.ai.localhost:4943", f"{FRONTEND}.localhost:4943",
            "ID.AI.localhost.:4943", f"www.{FRONTEND}.localhost:4943"]


@pytest.fixture(scope="module")
def app() -> App:
    return App(Config(static_root=ROOT, db_path=Path("/nonexistent/x.sqlite3")))


def page_canister(body: bytes) -> tuple[str, dict]:
    text = body.decode()
    canister = re.search(r'data-canister-id="([^"]+)"', text).group(1)
    config = json.loads(base64.b64decode(re.search(r'data-canister-config="([^"]+)"', text).group(1)))
    return canister, config


def test_the_ids_are_icp_clis():
    assert II_FRONTEND_CANISTER_ID == FRONTEND and II_FRIENDLY_HOST == "id.ai.localhost"
    assert Config(port=8000).ii_origins() == (f"http://{II}.localhost:8000", "http://id.ai.localhost:8000",
                                              f"http://{FRONTEND}.localhost:8000")


@pytest.mark.parametrize("host", II_HOSTS)
def test_every_ii_name_serves_the_same_page_for_the_same_backend(app, host):
    reference = app.route("/", "", {"host": f"{II}.localhost:4943"})
    response = app.route("/", "", {"host": host})
    assert response.status == 200
    assert response.body == reference.body  # one page, so one configuration
    canister, config = page_canister(response.body)
    assert canister == II and config["canisterId"] == II  # the page talks to the II backend
    assert dict(response.headers)["x-frame-options"] == "DENY"


@pytest.mark.parametrize("host", II_HOSTS)
@pytest.mark.parametrize("path", ["/authorize", "/app.zip", "/pyscript.toml", "/static/boot.js"])
def test_every_ii_name_serves_the_page_assets(app, host, path):
    assert app.route(path, "", {"host": host}).status == 200


def test_the_frontend_canister_id_in_the_query_and_in_the_referer(app):
    page = app.route("/", f"canisterId={FRONTEND}", {"host": "localhost:4943"})
    assert page.status == 200 and page_canister(page.body)[0] == II
    referer = f"http://localhost:4943/?canisterId={FRONTEND}"
    asset = app.route("/app.zip", "", {"host": "localhost:4943", "referer": referer})
    assert asset.status == 200  # an asset of the page on localhost?canisterId=uqzsh-...


def test_other_names_under_ai_localhost_are_still_refused(app):
    from replica.app import BadRequest

    for host in ("x.ai.localhost", "id.ai.example.localhost", "ai.localhost"):
        with pytest.raises(BadRequest) as refused:
            app.route("/", "", {"host": host})
        assert refused.value.status == 400 and "names no canister" in refused.value.text


def test_host_name():
    assert host_name("ID.AI.Localhost.:4943") == "id.ai.localhost"
    assert host_name("id.ai.localhost") == "id.ai.localhost"


def test_the_page_may_reach_the_replica_from_every_name():
    # `http://*.localhost:<port>` covers id.ai.localhost and uqzsh-....localhost (alternative
    # origins lists of dapps are fetched from `http://localhost:<port>`).
    csp = content_security_policy(False, 4943)
    connect = next(d for d in csp.split(";") if d.startswith("connect-src"))
    assert "http://*.localhost:4943" in connect.split() and "http://localhost:4943" in connect.split()


def test_directory_names_the_other_ii_origins(app):
    body = app.route("/", "", {"host": "localhost:4943"}).body.decode()
    assert 'href="http://id.ai.localhost:4943/"' in body and f'href="http://{FRONTEND}.localhost:4943/"' in body


def test_api_answers_on_every_name():
    seen = []

    async def api(scope, receive, send):
        seen.append(dict(scope["headers"])[b"host"])
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    app = App(Config(static_root=ROOT, db_path=Path("/nonexistent/x.sqlite3")), api=api)

    async def call(host: bytes) -> int:
        sent = []

        async def receive():
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message):
            sent.append(message)

        await app({"type": "http", "method": "POST", "path": "/api/v2/status", "headers": [(b"host", host)],
                   "query_string": b""}, receive, send)
        return sent[0]["status"]

    for host in (b"id.ai.localhost:4943", FRONTEND.encode() + b".localhost:4943"):
        assert asyncio.run(call(host)) == 204
    assert seen == [b"id.ai.localhost:4943", FRONTEND.encode() + b".localhost:4943"]


def test_the_management_canister_never_hands_out_the_frontend_canister_id(tmp_path):
    from ic.principal import Principal
    from replica.http.testing import make_replica

    replica = make_replica(tmp_path)
    try:
        management = replica.runtime.canister(Principal.from_text("aaaaa-aa").raw)
        assert Principal.from_text(FRONTEND).raw in management._taken()
    finally:
        replica.close()
