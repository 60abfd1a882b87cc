"""SQLite storage: round trips, indexes, durability settings, schema versions and refusals."""

from __future__ import annotations

import hashlib
import sqlite3

import pytest

from replica.storage import IncompatibleStorageError, StorageError, open_storage
from replica.storage import sqlite as sqlite_mod
from replica.storage.base import AnchorRecord


def record(number: int, *keys: bytes, creds: tuple[bytes, ...] = ()) -> AnchorRecord:
    return AnchorRecord(number, b"data-%d" % number, tuple(keys), creds)


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_new_database_is_wal_with_full_sync(tmp_path):
    s = open_storage(tmp_path / "ii.db")
    assert s._conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert s._conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert s.schema_version == sqlite_mod.SCHEMA_VERSION
    s.close()


def test_anchors_are_allocated_sequentially_within_the_range(tmp_path):
    s = open_storage(tmp_path / "ii.db")
    assert s.create_anchor(10_000, 10_002, lambda n: record(n, b"k%d" % n)).number == 10_000
    assert s.create_anchor(10_000, 10_002, lambda n: record(n, b"k%d" % n)).number == 10_001
    assert s.create_anchor(10_000, 10_002, lambda n: record(n)) is None  # range full
    assert s.anchor_count() == 2
    s.close()


def test_failed_factory_allocates_nothing(tmp_path):
    s = open_storage(tmp_path / "ii.db")

    def boom(n):
        raise ValueError("invalid device")

    with pytest.raises(ValueError):
        s.create_anchor(10_000, 20_000, boom)
    assert s.anchor_count() == 0
    assert s.create_anchor(10_000, 20_000, lambda n: record(n)).number == 10_000
    s.close()


def test_read_write_and_indexes(tmp_path):
    s = open_storage(tmp_path / "ii.db")
    s.create_anchor(10_000, 20_000, lambda n: record(n, b"key-a", creds=(b"cred-a",)))
    s.create_anchor(10_000, 20_000, lambda n: record(n, b"key-b"))
    assert s.read_anchor(10_000) == record(10_000, b"key-a", creds=(b"cred-a",))
    assert s.read_anchor(9_999) is None
    assert s.read_anchor(2**70) is None
    assert s.anchor_with_device_key(b"key-b") == 10_001
    assert s.anchor_with_credential_id(b"cred-a") == 10_000
    s.write_anchor(AnchorRecord(10_000, b"new", (b"key-c",), (b"cred-c",)))
    assert s.anchor_with_device_key(b"key-a") is None
    assert s.anchor_with_credential_id(b"cred-a") is None
    assert s.anchor_with_device_key(b"key-c") == 10_000
    assert s.anchor_with_credential_id(b"cred-c") == 10_000
    assert s.read_anchor(10_000).data == b"new"
    with pytest.raises(StorageError, match="anchor 12345 does not exist"):
        s.write_anchor(record(12_345))
    s.close()


def test_recovery_phrase_principals_follow_the_record(tmp_path):
    s = open_storage(tmp_path / "ii.db")
    s.create_anchor(10_000, 20_000, lambda n: AnchorRecord(n, b"a", recovery_phrase_principals=(b"p1",)))
    s.create_anchor(10_000, 20_000, lambda n: AnchorRecord(n, b"b"))
    assert s.read_anchor(10_000).recovery_phrase_principals == (b"p1",)
    assert s.anchor_with_recovery_phrase_principal(b"p1") == 10_000
    s.write_anchor(AnchorRecord(10_001, b"b", recovery_phrase_principals=(b"p1", b"p2")))
    assert s.anchor_with_recovery_phrase_principal(b"p1") == 10_000  # the lowest anchor wins
    s.write_anchor(AnchorRecord(10_000, b"a"))
    assert s.anchor_with_recovery_phrase_principal(b"p1") == 10_001
    assert s.anchor_with_recovery_phrase_principal(b"p2") == 10_001
    assert s.anchor_with_recovery_phrase_principal(b"nobody") is None
    s.close()


def test_lookups_use_indexes(tmp_path):
    s = open_storage(tmp_path / "ii.db")
    for sql in (
        "SELECT data FROM anchors WHERE number = 1",
        "SELECT anchor FROM device_keys WHERE pubkey = x'00' ORDER BY anchor LIMIT 1",
        "SELECT anchor FROM credential_ids WHERE credential_id = x'00' ORDER BY anchor LIMIT 1",
        "SELECT anchor FROM recovery_phrase_principals WHERE principal = x'00' ORDER BY anchor LIMIT 1",
        "SELECT principal FROM recovery_phrase_principals WHERE anchor = 1",
    ):
        plan = " ".join(str(r) for r in s._conn.execute("EXPLAIN QUERY PLAN " + sql).fetchall())
        assert "SEARCH" in plan and "SCAN" not in plan, plan
    s.close()


def test_meta_and_persistence_across_reopen(tmp_path):
    path = tmp_path / "ii.db"
    s = open_storage(path)
    s.set_meta("salt", b"\x01" * 32)
    assert s.set_meta_if_absent("salt", b"\x02" * 32) is False
    assert s.set_meta_if_absent("other", b"x") is True
    s.create_anchor(10_000, 20_000, lambda n: record(n, b"k"))
    s.close()
    s = open_storage(path)
    assert s.get_meta("salt") == b"\x01" * 32
    assert s.get_meta("missing") is None
    assert s.read_anchor(10_000) == record(10_000, b"k")
    assert s.anchor_count() == 1
    s.close()


def test_refuses_a_file_that_is_not_sqlite_and_leaves_it_unchanged(tmp_path):
    path = tmp_path / "ii.db"
    path.write_bytes(b"this is not a database" * 100)
    before = digest(path)
    with pytest.raises(IncompatibleStorageError) as err:
        open_storage(path)
    message = str(err.value)
    assert "not an SQLite database" in message
    assert "was not modified" in message and "--db" in message
    assert digest(path) == before


def test_refuses_a_foreign_sqlite_database_and_leaves_it_unchanged(tmp_path):
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE stuff (x)")
    conn.execute("INSERT INTO stuff VALUES (1)")
    conn.commit()
    conn.close()
    before = digest(path)
    with pytest.raises(IncompatibleStorageError) as err:
        open_storage(path)
    message = str(err.value)
    assert "another application" in message
    assert f"schema version {sqlite_mod.SCHEMA_VERSION}" in message
    assert digest(path) == before
    assert not (tmp_path / "other.db-wal").exists()


def _make_versioned(path, version: int) -> None:
    s = open_storage(path)
    s.create_anchor(10_000, 20_000, lambda n: record(n, b"k"))
    if version < 2:
        s._conn.execute("DROP TABLE ingress")
    s._conn.execute("UPDATE schema_version SET version = ?", (version,))
    s._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    s.close()


def test_refuses_a_newer_schema_naming_both_versions(tmp_path):
    path = tmp_path / "ii.db"
    newer = sqlite_mod.SCHEMA_VERSION + 1
    _make_versioned(path, newer)
    before = digest(path)
    with pytest.raises(IncompatibleStorageError) as err:
        open_storage(path)
    message = str(err.value)
    assert f"schema version is {newer}" in message
    assert f"version {sqlite_mod.SCHEMA_VERSION} that this program supports" in message
    assert "--db" in message and "move this file away" in message
    assert digest(path) == before


def test_refuses_an_unsupported_old_schema(tmp_path, monkeypatch):
    path = tmp_path / "ii.db"
    _make_versioned(path, 1)
    # A program at version 3 that dropped the migration from 1 to 2.
    monkeypatch.setattr(sqlite_mod, "SCHEMA_VERSION", 3)
    monkeypatch.setattr(sqlite_mod, "MIGRATIONS", {1: sqlite_mod._create_v1, 3: lambda c: None})
    before = digest(path)
    with pytest.raises(IncompatibleStorageError) as err:
        open_storage(path)
    assert "schema version 1 is no longer supported" in str(err.value)
    assert "(schema version 3)" in str(err.value)
    assert digest(path) == before


def test_migrates_an_older_schema_in_one_transaction(tmp_path, monkeypatch):
    path = tmp_path / "ii.db"
    _make_versioned(path, 1)

    def add_column(conn):
        conn.execute("ALTER TABLE anchors ADD COLUMN note TEXT")

    monkeypatch.setattr(sqlite_mod, "SCHEMA_VERSION", 2)
    monkeypatch.setattr(sqlite_mod, "MIGRATIONS", {1: sqlite_mod._create_v1, 2: add_column})
    s = open_storage(path)
    assert s.schema_version == 2
    assert s._conn.execute("SELECT version FROM schema_version").fetchone()[0] == 2
    assert s.read_anchor(10_000) == record(10_000, b"k")
    cols = [r[1] for r in s._conn.execute("PRAGMA table_info(anchors)")]
    assert "note" in cols
    s.close()


def test_failed_migration_leaves_the_old_version(tmp_path, monkeypatch):
    path = tmp_path / "ii.db"
    current = sqlite_mod.SCHEMA_VERSION
    _make_versioned(path, current)

    def broken(conn):
        conn.execute("ALTER TABLE anchors ADD COLUMN note TEXT")
        raise RuntimeError("migration bug")

    monkeypatch.setattr(sqlite_mod, "SCHEMA_VERSION", current + 1)
    monkeypatch.setattr(sqlite_mod, "MIGRATIONS", {**sqlite_mod.MIGRATIONS, current + 1: broken})
    with pytest.raises(RuntimeError):
        open_storage(path)
    monkeypatch.undo()
    s = open_storage(path)
    assert s.schema_version == current
    assert "note" not in [r[1] for r in s._conn.execute("PRAGMA table_info(anchors)")]
    s.close()


def test_a_version_1_database_gains_the_ingress_history_and_keeps_its_anchors(tmp_path):
    path = tmp_path / "ii.db"
    _make_versioned(path, 1)
    s = open_storage(path)
    assert s.schema_version == sqlite_mod.SCHEMA_VERSION and s.anchor_count() == 1
    assert s.read_anchor(10_000).data == b"data-10000"
    assert s.load_ingress(0, 10) == []
    s.close()


def test_empty_file_is_initialised(tmp_path):
    path = tmp_path / "ii.db"
    path.write_bytes(b"")
    s = open_storage(path)
    assert s.anchor_count() == 0
    s.close()


def test_a_locked_database_gives_a_storage_error(tmp_path):
    path = tmp_path / "ii.db"
    s = open_storage(path)
    other = sqlite3.connect(path, timeout=0)
    other.execute("BEGIN IMMEDIATE")  # another writer holds the lock
    s._conn.execute("PRAGMA busy_timeout = 0")
    with pytest.raises(StorageError, match="cannot start a write transaction"):
        s.set_meta("k", b"v")
    other.execute("ROLLBACK")
    other.close()
    s.set_meta("k", b"v")
    assert s.get_meta("k") == b"v"
    s.close()
