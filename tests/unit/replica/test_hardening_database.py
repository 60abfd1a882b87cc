"""The database: dummy-auth identities never reach a replica that trusts passkeys, and the file is
private (issue 11, findings 4 and 6).

Before: all flavors shared one default database, so an anchor created under `--flavor dev` (keys
derivable from public data) could be taken over once the same file was served as `production`;
and the file was created world-readable although it holds the salt behind every principal.
"""

from __future__ import annotations

import os
import socket
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from replica.http.testing import make_replica
from replica.storage.dummy_auth import DummyAuthDatabaseError

REPO = Path(__file__).resolve().parents[3]


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_database_served_with_dummy_auth_is_refused_without_it(tmp_path):
    make_replica(tmp_path, dummy_auth=True).close()
    with pytest.raises(DummyAuthDatabaseError) as err:
        make_replica(tmp_path)
    message = str(err.value)
    assert "served with dummy auth" in message and "since 20" in message
    assert "--dummy-auth" in message and "--db" in message and "--accept-dummy-auth-db" in message


def test_dummy_auth_again_or_an_explicit_acceptance_opens_it(tmp_path):
    make_replica(tmp_path, dummy_auth=True).close()
    make_replica(tmp_path, dummy_auth=True).close()
    make_replica(tmp_path, accept_dummy_auth_db=True).close()


def test_a_database_never_served_with_dummy_auth_opens_either_way(tmp_path):
    make_replica(tmp_path).close()
    make_replica(tmp_path).close()
    make_replica(tmp_path, dummy_auth=True).close()  # from now on it is a dummy-auth database
    with pytest.raises(DummyAuthDatabaseError):
        make_replica(tmp_path)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_py_says_why_it_refuses_and_exits(tmp_path):
    db = tmp_path / "dev.sqlite3"
    make_replica(tmp_path, dummy_auth=True).close()
    (tmp_path / "replica.sqlite3").rename(db)
    done = subprocess.run([sys.executable, str(REPO / "serve.py"), "--db", str(db), "--port", str(free_port())],
                          capture_output=True, text=True, timeout=60, cwd=REPO)
    assert done.returncode != 0
    assert "serve.py: refusing to serve database" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("flags, name", [
    ([], "replica.sqlite3"),
    (["--flavor", "test"], "replica.sqlite3"),
    (["--flavor", "dev"], "replica-dummy-auth.sqlite3"),
    (["--dummy-auth"], "replica-dummy-auth.sqlite3"),
])
def test_dummy_auth_has_a_default_database_of_its_own(flags, name, monkeypatch, tmp_path):
    sys.path.insert(0, str(REPO))
    try:
        import serve
    finally:
        sys.path.remove(str(REPO))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    config = serve.build_config(serve.parse_args(flags), {})
    assert config.db_path == tmp_path / "internet-identity-py" / name
    explicit = serve.build_config(serve.parse_args([*flags, "--db", str(tmp_path / "x.db")]), {})
    assert explicit.db_path == tmp_path / "x.db"


def test_the_database_and_its_folder_are_private(tmp_path):
    old = os.umask(0o022)
    try:
        folder = tmp_path / "state"
        replica = make_replica(folder, dummy_captcha=True)
        replica.storage.set_meta("x", b"y")  # a write: the -wal and -shm files exist now
        db = folder / "replica.sqlite3"
        assert mode(folder) == 0o700
        for path in (db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")):
            assert path.exists() and mode(path) == 0o600, (path, oct(mode(path)))
        replica.close()
    finally:
        os.umask(old)


def test_a_world_readable_database_of_an_earlier_run_is_made_private(tmp_path):
    make_replica(tmp_path).close()
    db = tmp_path / "replica.sqlite3"
    os.chmod(db, 0o644)
    make_replica(tmp_path).close()
    assert mode(db) == 0o600
