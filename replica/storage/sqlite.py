"""SQLite storage for the II canister: WAL journal, `synchronous=FULL`, versioned schema.

Durability: every write is one `BEGIN IMMEDIATE ... COMMIT` transaction; with WAL and
`synchronous=FULL` the commit is fsync'ed before the method returns, so an acknowledged update
survives `kill -9` (and power loss, as far as the disk honours fsync).

Transactions nest: the replica opens one around a whole update call, so the canister's own writes
and the call's ingress record (`replica.certification.request_status`) commit together; an inner
transaction is a savepoint inside it.

Privacy: the file (and its `-wal`/`-shm` companions, which SQLite creates with the same mode) is
created readable by its owner only: it holds the salt that links anchors to their principals.

Compatibility (the counterpart of the real II's stable-memory layout versions, reference section
10): the file carries our SQLite `application_id` and a `schema_version` row. A file that is not
ours, or whose version this program cannot migrate, is refused with `IncompatibleStorageError`
before anything is written to it: it is inspected through a read-only connection first.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path

import cbor2

from ic.principal import Principal
from replica.storage.base import AnchorRecord, IncompatibleStorageError, IngressRow, StorageError
from replica.storage.account_rows import AccountTables, create_v7
from replica.storage.canister_rows import CanisterTables, create_v3, create_v4, create_v5

# "IIpy" as a big-endian int32: the SQLite header field that marks the file as ours.
APPLICATION_ID = 0x49497079
SCHEMA_VERSION = 7

# Migrations: MIGRATIONS[v] brings a database from version v-1 to version v. Version 0 is the
# empty database. Each step runs inside the same transaction as the version bump.
Migration = Callable[[sqlite3.Connection], None]


def _create_v1(conn: sqlite3.Connection) -> None:
    conn.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value BLOB NOT NULL)")
    conn.execute(
        "CREATE TABLE anchors (number INTEGER PRIMARY KEY, data BLOB NOT NULL)"
    )
    # Not unique in the schema (databases of earlier releases may hold a key twice); the canister
    # refuses a key or credential id that another anchor holds. Lookups return the lowest anchor.
    conn.execute(
        "CREATE TABLE device_keys (pubkey BLOB NOT NULL, anchor INTEGER NOT NULL"
        " REFERENCES anchors(number), PRIMARY KEY (pubkey, anchor))"
    )
    conn.execute("CREATE INDEX device_keys_by_anchor ON device_keys(anchor)")
    conn.execute(
        "CREATE TABLE credential_ids (credential_id BLOB NOT NULL, anchor INTEGER NOT NULL"
        " REFERENCES anchors(number), PRIMARY KEY (credential_id, anchor))"
    )
    conn.execute("CREATE INDEX credential_ids_by_anchor ON credential_ids(anchor)")


def _create_v2(conn: sqlite3.Connection) -> None:
    # The ingress history (interface spec "Request status"): one row per executed call until its
    # ingress expiry, so a replay after a restart is answered from here instead of executed.
    # `reply` is NULL once pruned to status "done" (or when it was too large to keep).
    conn.execute(
        "CREATE TABLE ingress (request_id BLOB PRIMARY KEY, sender BLOB NOT NULL,"
        " canister_id BLOB NOT NULL, expiry_ns INTEGER NOT NULL, status TEXT NOT NULL,"
        " reply BLOB, reject_code INTEGER NOT NULL DEFAULT 0,"
        " reject_message TEXT NOT NULL DEFAULT '', error_code TEXT NOT NULL DEFAULT '')"
    )
    conn.execute("CREATE INDEX ingress_by_expiry ON ingress(expiry_ns)")


def _create_v6(conn: sqlite3.Connection) -> None:
    # Recovery-phrase principal -> anchor, for `lookup_caller_identity_by_recovery_phrase`. Like
    # `device_keys`, a (principal, anchor) pair per row: a database of an earlier release may hold
    # one phrase on two anchors, and the lookup then answers the lowest anchor number.
    conn.execute(
        "CREATE TABLE IF NOT EXISTS recovery_phrase_principals (principal BLOB NOT NULL, anchor INTEGER NOT NULL"
        " REFERENCES anchors(number), PRIMARY KEY (principal, anchor))"
    )
    conn.execute("CREATE INDEX IF NOT EXISTS recovery_phrase_principals_by_anchor ON recovery_phrase_principals(anchor)")
    rows = conn.execute("SELECT number, data FROM anchors").fetchall()
    conn.executemany(
        "INSERT OR IGNORE INTO recovery_phrase_principals (principal, anchor) VALUES (?, ?)",
        [(principal, number) for number, data in rows for principal in _phrase_principals_of(bytes(data))],
    )


def _phrase_principals_of(data: bytes) -> list[bytes]:
    """The recovery-phrase principals of one stored anchor, for the version 6 migration only.

    The one place where storage reads the canister's record format (a CBOR map whose "devices"
    are maps with "pubkey" and "key_type", see `replica.canisters.internet_identity.anchors`):
    records written before version 6 carry no index keys. Every later write gets its keys from
    the canister (`Anchor.to_record`). A record that is not such a map has no phrase to index.
    """
    try:
        record = cbor2.loads(data)
    except Exception:  # noqa: BLE001 - cbor2 raises several types for foreign bytes
        return []
    devices = record.get("devices") if isinstance(record, dict) else None
    if not isinstance(devices, list):
        return []
    return [
        Principal.self_authenticating(bytes(d["pubkey"])).raw
        for d in devices
        if isinstance(d, dict) and d.get("key_type") == "seed_phrase" and isinstance(d.get("pubkey"), bytes)
    ]


# Version 3: the hosted Wasm canisters (replica.storage.canister_rows); 4: their logs; 5: the
# names a project gives them (replica.deploy); 6: the recovery-phrase principal index, built for
# the anchors already stored; 7: the anchors' accounts per app (replica.storage.account_rows).
MIGRATIONS: dict[int, Migration] = {
    1: _create_v1, 2: _create_v2, 3: create_v3, 4: create_v4, 5: create_v5, 6: _create_v6, 7: create_v7,
}

WAY_OUT = (
    "Either point the replica at another database file (--db PATH), or move this file away to"
    " start from an empty database (its identities are then lost to this replica)."
)


def _refusal(path: Path, detail: str) -> IncompatibleStorageError:
    return IncompatibleStorageError(
        f"refusing to open database {path}: {detail}. The file was not modified. {WAY_OUT}"
    )


def inspect_database(path: Path) -> int | None:
    """The schema version of an existing database of ours, or None for a new/empty file.

    Raises IncompatibleStorageError if the file is not ours. Never writes to the file.
    """
    if not path.exists() or path.stat().st_size == 0:
        return None
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise _refusal(path, f"it cannot be opened read-only ({exc})") from exc
    try:
        try:
            app_id = conn.execute("PRAGMA application_id").fetchone()[0]
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        except sqlite3.DatabaseError as exc:
            raise _refusal(path, f"it is not an SQLite database ({exc})") from exc
        if app_id != APPLICATION_ID:
            if not tables and app_id == 0:
                return None  # an empty SQLite file: treat as new
            raise _refusal(
                path,
                f"it is an SQLite database of another application (application_id {app_id:#x},"
                f" expected {APPLICATION_ID:#x} for this replica's schema version {SCHEMA_VERSION})",
            )
        if "schema_version" not in tables:
            raise _refusal(path, "it has no schema_version table (an incomplete or foreign layout)")
        row = conn.execute("SELECT version FROM schema_version").fetchone()
        if row is None or not isinstance(row[0], int):
            raise _refusal(path, "its schema_version table is empty or malformed")
        return row[0]
    finally:
        conn.close()


def check_version(path: Path, version: int) -> None:
    """Refuse a version this program cannot migrate from."""
    if version > SCHEMA_VERSION:
        raise _refusal(
            path,
            f"its schema version is {version}, newer than version {SCHEMA_VERSION} that this"
            " program supports (it was written by a newer release; run that release instead)",
        )
    missing = [v for v in range(version + 1, SCHEMA_VERSION + 1) if v not in MIGRATIONS]
    if version < 1 or missing:
        raise _refusal(
            path,
            f"its schema version {version} is no longer supported by this program (schema version"
            f" {SCHEMA_VERSION}); there is no migration from it",
        )


class SqliteStorage(CanisterTables, AccountTables):
    """`replica.storage.base.Storage` on one SQLite file."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        existing = inspect_database(self.path)
        if existing is not None:
            check_version(self.path, existing)
        _create_private(self.path)
        self._lock = threading.RLock()
        self._depth = 0
        self._conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        try:
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=FULL")
            self._conn.execute("PRAGMA foreign_keys=ON")
            self._migrate(existing or 0)
        except BaseException:
            self._conn.close()
            raise
        self.schema_version = SCHEMA_VERSION

    # --- schema -------------------------------------------------------------------------------

    def _migrate(self, version: int) -> None:
        if version == SCHEMA_VERSION:
            return
        with self._transaction() as conn:
            for target in range(version + 1, SCHEMA_VERSION + 1):
                MIGRATIONS[target](conn)
            if version == 0:
                conn.execute(f"PRAGMA application_id={APPLICATION_ID}")
                conn.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
                conn.execute("INSERT INTO schema_version VALUES (?)", (SCHEMA_VERSION,))
            else:
                conn.execute("UPDATE schema_version SET version = ?", (SCHEMA_VERSION,))

    # --- transactions ---------------------------------------------------------------------------

    class _Tx:
        """BEGIN IMMEDIATE ... COMMIT at the outermost level; a SAVEPOINT inside another one."""

        def __init__(self, storage: "SqliteStorage") -> None:
            self.storage = storage

        def __enter__(self) -> sqlite3.Connection:
            storage = self.storage
            storage._lock.acquire()
            try:
                storage._conn.execute(f"SAVEPOINT sp{storage._depth}" if storage._depth else "BEGIN IMMEDIATE")
            except sqlite3.Error as err:
                storage._lock.release()
                raise StorageError(f"cannot start a write transaction on {storage.path}: {err}") from err
            except BaseException:
                storage._lock.release()
                raise
            storage._depth += 1
            return storage._conn

        def __exit__(self, exc_type, exc, tb) -> None:
            storage = self.storage
            storage._depth -= 1
            conn, nested = storage._conn, storage._depth > 0
            try:
                if exc_type is None:
                    try:
                        conn.execute(f"RELEASE sp{storage._depth}" if nested else "COMMIT")
                    except sqlite3.Error as err:
                        conn.execute(f"ROLLBACK TO sp{storage._depth}" if nested else "ROLLBACK")
                        raise StorageError(f"commit to {storage.path} failed: {err}") from err
                else:
                    if nested:
                        conn.execute(f"ROLLBACK TO sp{storage._depth}")
                        conn.execute(f"RELEASE sp{storage._depth}")
                    else:
                        conn.execute("ROLLBACK")
                    if isinstance(exc, sqlite3.Error):
                        raise StorageError(f"write to {storage.path} failed: {exc}") from exc
            finally:
                storage._lock.release()

    def transaction(self) -> "SqliteStorage._Tx":
        """One durable transaction; the canister's writes inside it join it (as savepoints)."""
        return SqliteStorage._Tx(self)

    _transaction = transaction

    def _query(self, sql: str, args: tuple = ()) -> list[tuple]:
        with self._lock:
            try:
                return self._conn.execute(sql, args).fetchall()
            except sqlite3.Error as exc:
                raise StorageError(f"database read failed: {exc}") from exc

    # --- meta ------------------------------------------------------------------------------------

    def get_meta(self, key: str) -> bytes | None:
        rows = self._query("SELECT value FROM meta WHERE key = ?", (key,))
        return bytes(rows[0][0]) if rows else None

    def set_meta(self, key: str, value: bytes) -> None:
        with self._transaction() as conn:
            conn.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?)"
                " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (key, value),
            )

    def set_meta_if_absent(self, key: str, value: bytes) -> bool:
        with self._transaction() as conn:
            cur = conn.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO NOTHING",
                (key, value),
            )
            return cur.rowcount == 1

    # --- anchors ---------------------------------------------------------------------------------

    def create_anchor(
        self, range_lo: int, range_hi: int, make: Callable[[int], AnchorRecord]
    ) -> AnchorRecord | None:
        with self._transaction() as conn:
            (highest,) = conn.execute(
                "SELECT MAX(number) FROM anchors WHERE number >= ? AND number < ?",
                (range_lo, range_hi),
            ).fetchone()
            number = range_lo if highest is None else highest + 1
            if number >= range_hi:
                return None
            record = make(number)
            if record.number != number:
                raise StorageError(f"anchor factory returned number {record.number}, expected {number}")
            conn.execute("INSERT INTO anchors (number, data) VALUES (?, ?)", (number, record.data))
            self._insert_indexes(conn, record)
            self._bump_count(conn, 1)
            return record

    def read_anchor(self, number: int) -> AnchorRecord | None:
        if not 0 <= number < 2**63:
            return None
        rows = self._query("SELECT data FROM anchors WHERE number = ?", (number,))
        if not rows:
            return None
        row = rows[0]
        keys = self._query("SELECT pubkey FROM device_keys WHERE anchor = ?", (number,))
        creds = self._query("SELECT credential_id FROM credential_ids WHERE anchor = ?", (number,))
        phrases = self._query("SELECT principal FROM recovery_phrase_principals WHERE anchor = ?", (number,))
        return AnchorRecord(
            number=number,
            data=bytes(row[0]),
            device_keys=tuple(bytes(k[0]) for k in keys),
            credential_ids=tuple(bytes(c[0]) for c in creds),
            recovery_phrase_principals=tuple(bytes(p[0]) for p in phrases),
        )

    def write_anchor(self, record: AnchorRecord) -> None:
        with self._transaction() as conn:
            cur = conn.execute(
                "UPDATE anchors SET data = ? WHERE number = ?", (record.data, record.number)
            )
            if cur.rowcount != 1:
                raise StorageError(f"anchor {record.number} does not exist")
            keys = {bytes(r[0]) for r in conn.execute(
                "SELECT pubkey FROM device_keys WHERE anchor = ?", (record.number,))}
            creds = {bytes(r[0]) for r in conn.execute(
                "SELECT credential_id FROM credential_ids WHERE anchor = ?", (record.number,))}
            phrases = {bytes(r[0]) for r in conn.execute(
                "SELECT principal FROM recovery_phrase_principals WHERE anchor = ?", (record.number,))}
            if (keys != set(record.device_keys) or creds != set(record.credential_ids)
                    or phrases != set(record.recovery_phrase_principals)):
                conn.execute("DELETE FROM device_keys WHERE anchor = ?", (record.number,))
                conn.execute("DELETE FROM credential_ids WHERE anchor = ?", (record.number,))
                conn.execute("DELETE FROM recovery_phrase_principals WHERE anchor = ?", (record.number,))
                self._insert_indexes(conn, record)

    @staticmethod
    def _insert_indexes(conn: sqlite3.Connection, record: AnchorRecord) -> None:
        conn.executemany(
            "INSERT OR IGNORE INTO device_keys (pubkey, anchor) VALUES (?, ?)",
            [(k, record.number) for k in record.device_keys],
        )
        conn.executemany(
            "INSERT OR IGNORE INTO credential_ids (credential_id, anchor) VALUES (?, ?)",
            [(c, record.number) for c in record.credential_ids],
        )
        conn.executemany(
            "INSERT OR IGNORE INTO recovery_phrase_principals (principal, anchor) VALUES (?, ?)",
            [(p, record.number) for p in record.recovery_phrase_principals],
        )

    @staticmethod
    def _bump_count(conn: sqlite3.Connection, delta: int) -> None:
        row = conn.execute("SELECT value FROM meta WHERE key = 'anchor_count'").fetchone()
        count = int(bytes(row[0]).decode()) if row else 0
        conn.execute(
            "INSERT INTO meta (key, value) VALUES ('anchor_count', ?)"
            " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (str(count + delta).encode(),),
        )

    def anchor_with_device_key(self, pubkey: bytes) -> int | None:
        rows = self._query(
            "SELECT anchor FROM device_keys WHERE pubkey = ? ORDER BY anchor LIMIT 1", (pubkey,)
        )
        return rows[0][0] if rows else None

    def anchor_with_credential_id(self, credential_id: bytes) -> int | None:
        rows = self._query(
            "SELECT anchor FROM credential_ids WHERE credential_id = ? ORDER BY anchor LIMIT 1",
            (credential_id,),
        )
        return rows[0][0] if rows else None

    def anchor_with_recovery_phrase_principal(self, principal: bytes) -> int | None:
        rows = self._query(
            "SELECT anchor FROM recovery_phrase_principals WHERE principal = ? ORDER BY anchor LIMIT 1",
            (principal,),
        )
        return rows[0][0] if rows else None

    def anchor_count(self) -> int:
        value = self.get_meta("anchor_count")
        return int(value.decode()) if value else 0

    # --- ingress history -------------------------------------------------------------------------

    def save_ingress(self, row: IngressRow) -> None:
        with self._transaction() as conn:
            conn.execute(
                "INSERT INTO ingress (request_id, sender, canister_id, expiry_ns, status, reply,"
                " reject_code, reject_message, error_code) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT(request_id) DO UPDATE SET status = excluded.status, reply = excluded.reply",
                row,
            )

    def prune_ingress_replies(self, request_ids: list[bytes]) -> None:
        with self._transaction() as conn:
            conn.executemany(
                "UPDATE ingress SET status = 'done', reply = NULL, reject_message = '' WHERE request_id = ?",
                [(rid,) for rid in request_ids],
            )

    def load_ingress(self, now_ns: int, limit: int) -> list[IngressRow]:
        rows = self._query(
            "SELECT request_id, sender, canister_id, expiry_ns, status, reply, reject_code,"
            " reject_message, error_code FROM ingress WHERE expiry_ns >= ? ORDER BY rowid DESC LIMIT ?",
            (now_ns, limit),
        )
        return [(bytes(r[0]), bytes(r[1]), bytes(r[2]), r[3], r[4], None if r[5] is None else bytes(r[5]), *r[6:])
                for r in reversed(rows)]

    def purge_ingress(self, now_ns: int) -> int:
        with self._transaction() as conn:
            return conn.execute("DELETE FROM ingress WHERE expiry_ns < ?", (now_ns,)).rowcount

    def close(self) -> None:
        with self._lock:
            self._conn.close()


def _create_private(path: Path) -> None:
    """Make the database's folder and file, readable by their owner only."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    for companion in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        if companion.exists() and companion.stat().st_mode & 0o077:
            os.chmod(companion, 0o600)
