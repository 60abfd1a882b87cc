"""serve.py's command line: flags, environment variables, usage errors, a busy port."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest

import serve

ROOT = Path(__file__).resolve().parents[3]


def config_for(*argv: str, env: dict[str, str] | None = None):
    return serve.build_config(serve.parse_args(list(argv)), env or {})


def test_defaults():
    config = config_for()
    assert (config.host, config.port, config.flavor) == ("127.0.0.1", 4943, "production")
    assert not (config.fetch_root_key or config.dummy_captcha or config.dummy_auth or config.dev_csp)


@pytest.mark.parametrize("flavor,expected", [
    ("production", (False, False, False, False)),
    ("test", (True, True, False, False)),
    ("dev", (True, True, True, True)),
])
def test_flavors(flavor, expected):
    c = config_for("--flavor", flavor)
    assert (c.fetch_root_key, c.dummy_captcha, c.dummy_auth, c.dev_csp) == expected


@pytest.mark.parametrize("name,var", sorted(serve.ENV_FLAGS.items()))
def test_each_flag_and_its_environment_variable(name, var):
    assert getattr(config_for("--" + name.replace("_", "-")), name) is True
    assert getattr(config_for(env={var: "1"}), name) is True
    assert getattr(config_for(env={var: "0"}), name) is False


def test_db_path_is_resolved(tmp_path):
    assert config_for("--db", str(tmp_path / "x.sqlite3")).db_path == tmp_path / "x.sqlite3"


def run_serve(*argv: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "serve.py"), *argv], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)


def test_help_explains_every_option():
    out = run_serve("--help").stdout
    for option in ("--host", "--port", "--db", "--flavor", "--fetch-root-key", "--dummy-captcha",
                   "--dummy-auth", "--dummy-auth-prompt-for-index", "--dev-csp", "II_FETCH_ROOT_KEY",
                   "II_DUMMY_AUTH_PROMPT_FOR_INDEX", "II_DEV_CSP"):
        assert option in out


@pytest.mark.parametrize("argv", [("--flavor", "staging"), ("--port", "http"), ("--bogus",)])
def test_bad_flags_give_a_usage_error(argv):
    result = run_serve(*argv)
    assert result.returncode == 2
    assert "usage: serve.py" in result.stderr


def test_port_out_of_range():
    result = run_serve("--port", "70000")
    assert result.returncode != 0 and "--port must be between 1 and 65535" in result.stderr


def test_port_in_use_is_one_clear_line(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = run_serve("--port", str(port), "--db", str(tmp_path / "db.sqlite3"))
    assert result.returncode == 1
    assert result.stderr.strip() == (f"serve.py: port {port} on 127.0.0.1 is already in use "
                                     "(another replica running? choose one with --port)")


def test_whoami_alternative_origins():
    config = config_for("--whoami-alternative-origin", "http://a.localhost:1",
                        "--whoami-alternative-origin", "http://b.localhost:1")
    assert config.alternative_origins == ("http://a.localhost:1", "http://b.localhost:1")


def test_dummy_auth_prompt_for_index_implies_dummy_auth_and_its_database():
    from replica.config import default_db_path
    from replica.http.static import page_config

    for config in (config_for("--dummy-auth-prompt-for-index"),
                   config_for(env={"II_DUMMY_AUTH_PROMPT_FOR_INDEX": "1"})):
        assert config.dummy_auth and config.dummy_auth_prompt_for_index
        assert config.db_path == default_db_path(dummy_auth=True)
        assert page_config(config)["dummyAuthPromptForIndex"] is True
        assert config.ii_init() == {"dummy_auth": [[{"prompt_for_index": True}]]}
    assert page_config(config_for("--flavor", "dev"))["dummyAuthPromptForIndex"] is False
    assert "(prompt for index)" in serve.startup_banner(config_for("--dummy-auth-prompt-for-index"), [])
