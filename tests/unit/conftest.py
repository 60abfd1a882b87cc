"""Shared by the unit tests: the real replica in-process (its ASGI app, a SQLite file in tmp_path),
in the test flavor's settings (dummy captcha; the root key is fetched, as from any local replica).
Tests of the replica itself define their own, with a controlled clock (tests/unit/replica)."""

from __future__ import annotations

import pytest


@pytest.fixture
def replica(tmp_path):
    from replica.config import Config
    from replica.replica import Replica

    instance = Replica(Config(db_path=tmp_path / "ii.sqlite3", dummy_captcha=True, fetch_root_key=True))
    yield instance
    instance.close()
