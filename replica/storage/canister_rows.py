"""The hosted Wasm canisters' tables (schema versions 3 to 5; issue 12 item 6, issue 13).

    canisters        one row per canister: controllers, settings, cycles, status, version, module
                     (bytes and hash), certified data, global timer, mutable globals, the sizes of
                     main and stable memory, history, creation time
    canister_pages   (canister, memory, page) -> 64 KiB of main (0) or stable (1) memory; a page
                     that is absent is all zeros
    canister_chunks  (canister, SHA-256) -> one chunk of the canister's chunk store
    canister_logs    (canister, index) -> time and text of one log record (v4), the newest
                     `replica.wasm.logs.MAX_RECORDS` kept
    canister_names   a project's name -> its canister id (v5), as dfx's canister id store: the
                     id stays the same across restarts; with the module hash and init argument
                     hash of the name's last successful deploy (`replica.deploy`)

Every method joins the transaction the replica holds around the current call (nested
transactions are savepoints), so a canister's pages commit together with the call's ingress
record.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

MAIN_MEMORY, STABLE_MEMORY = 0, 1


def create_v3(conn: sqlite3.Connection) -> None:
    conn.execute(
        "CREATE TABLE IF NOT EXISTS canisters (id BLOB PRIMARY KEY, controllers BLOB NOT NULL, settings BLOB NOT NULL,"
        " cycles TEXT NOT NULL, status INTEGER NOT NULL, version INTEGER NOT NULL, module BLOB,"
        " module_hash BLOB, certified_data BLOB NOT NULL, global_timer INTEGER NOT NULL,"
        " globals TEXT NOT NULL, heap_bytes INTEGER NOT NULL, stable_bytes INTEGER NOT NULL,"
        " history BLOB NOT NULL, created_ns INTEGER NOT NULL)"
    )
    conn.execute(
        "CREATE TABLE IF NOT EXISTS canister_pages (canister_id BLOB NOT NULL, memory INTEGER NOT NULL,"
        " page INTEGER NOT NULL, data BLOB NOT NULL, PRIMARY KEY (canister_id, memory, page)) WITHOUT ROWID"
    )
    conn.execute(
        "CREATE TABLE IF NOT EXISTS canister_chunks (canister_id BLOB NOT NULL, hash BLOB NOT NULL, data BLOB NOT NULL,"
        " PRIMARY KEY (canister_id, hash))"
    )


def create_v4(conn: sqlite3.Connection) -> None:
    conn.execute(
        "CREATE TABLE IF NOT EXISTS canister_logs (canister_id BLOB NOT NULL, idx INTEGER NOT NULL,"
        " time_ns INTEGER NOT NULL, content TEXT NOT NULL, PRIMARY KEY (canister_id, idx)) WITHOUT ROWID"
    )


def create_v5(conn: sqlite3.Connection) -> None:
    conn.execute(
        "CREATE TABLE IF NOT EXISTS canister_names (name TEXT PRIMARY KEY, canister_id BLOB NOT NULL UNIQUE,"
        " module_hash BLOB, arg_hash BLOB, deployed_ns INTEGER NOT NULL DEFAULT 0)"
    )


@dataclass(frozen=True)
class NamedCanister:
    name: str
    canister_id: bytes
    module_hash: bytes | None  # of the last successful install or upgrade under this name
    arg_hash: bytes | None  # SHA-256 of that deploy's init argument
    deployed_ns: int


@dataclass(frozen=True)
class CanisterRow:
    canister_id: bytes
    controllers: bytes  # CBOR list of principals
    settings: bytes  # CBOR map
    cycles: int
    status: int
    version: int
    module: bytes | None
    module_hash: bytes | None
    certified_data: bytes
    global_timer: int
    globals: str  # JSON list
    heap_bytes: int
    stable_bytes: int
    history: bytes  # CBOR
    created_ns: int


_COLUMNS = ("id, controllers, settings, cycles, status, version, module, module_hash, certified_data,"
            " global_timer, globals, heap_bytes, stable_bytes, history, created_ns")


class CanisterTables:
    """Mixed into `SqliteStorage`: the SQL of the Wasm canisters' state."""

    def save_canister(self, row: CanisterRow, *, with_module: bool = True) -> None:
        values = (row.canister_id, row.controllers, row.settings, str(row.cycles), row.status, row.version,
                  row.module, row.module_hash, row.certified_data, row.global_timer, row.globals,
                  row.heap_bytes, row.stable_bytes, row.history, row.created_ns)
        with self.transaction() as conn:
            if with_module:
                conn.execute(f"INSERT OR REPLACE INTO canisters ({_COLUMNS}) VALUES ({', '.join('?' * 15)})", values)
                return
            # The per-update write: everything but the module bytes (unchanged by an update).
            cur = conn.execute(
                "UPDATE canisters SET controllers = ?, settings = ?, cycles = ?, status = ?, version = ?,"
                " certified_data = ?, global_timer = ?, globals = ?, heap_bytes = ?, stable_bytes = ?,"
                " history = ? WHERE id = ?",
                (row.controllers, row.settings, str(row.cycles), row.status, row.version, row.certified_data,
                 row.global_timer, row.globals, row.heap_bytes, row.stable_bytes, row.history, row.canister_id))
            if cur.rowcount != 1:
                conn.execute(f"INSERT INTO canisters ({_COLUMNS}) VALUES ({', '.join('?' * 15)})", values)

    def write_pages(self, canister_id: bytes, memory: int, pages: list[tuple[int, bytes]], *, drop_all: bool = False) -> None:
        with self.transaction() as conn:
            if drop_all:
                conn.execute("DELETE FROM canister_pages WHERE canister_id = ? AND memory = ?", (canister_id, memory))
            conn.executemany(
                "INSERT OR REPLACE INTO canister_pages (canister_id, memory, page, data) VALUES (?, ?, ?, ?)",
                [(canister_id, memory, index, data) for index, data in pages])

    def delete_canister(self, canister_id: bytes) -> None:
        with self.transaction() as conn:
            conn.execute("DELETE FROM canister_pages WHERE canister_id = ?", (canister_id,))
            conn.execute("DELETE FROM canister_chunks WHERE canister_id = ?", (canister_id,))
            conn.execute("DELETE FROM canister_logs WHERE canister_id = ?", (canister_id,))
            conn.execute("DELETE FROM canisters WHERE id = ?", (canister_id,))

    def load_canisters(self) -> list[CanisterRow]:
        rows = self._query(f"SELECT {_COLUMNS} FROM canisters ORDER BY id")
        return [CanisterRow(bytes(r[0]), bytes(r[1]), bytes(r[2]), int(r[3]), r[4], r[5],
                            None if r[6] is None else bytes(r[6]), None if r[7] is None else bytes(r[7]),
                            bytes(r[8]), r[9], r[10], r[11], r[12], bytes(r[13]), r[14]) for r in rows]

    def load_pages(self, canister_id: bytes, memory: int) -> list[tuple[int, bytes]]:
        rows = self._query("SELECT page, data FROM canister_pages WHERE canister_id = ? AND memory = ? ORDER BY page",
                           (canister_id, memory))
        return [(r[0], bytes(r[1])) for r in rows]

    def put_chunk(self, canister_id: bytes, digest: bytes, data: bytes) -> None:
        with self.transaction() as conn:
            conn.execute("INSERT OR REPLACE INTO canister_chunks (canister_id, hash, data) VALUES (?, ?, ?)",
                         (canister_id, digest, data))

    def clear_chunks(self, canister_id: bytes) -> None:
        with self.transaction() as conn:
            conn.execute("DELETE FROM canister_chunks WHERE canister_id = ?", (canister_id,))

    def load_chunks(self, canister_id: bytes) -> list[tuple[bytes, bytes]]:
        rows = self._query("SELECT hash, data FROM canister_chunks WHERE canister_id = ? ORDER BY rowid", (canister_id,))
        return [(bytes(r[0]), bytes(r[1])) for r in rows]

    def append_logs(self, canister_id: bytes, records: list[tuple[int, int, str]], *, keep: int) -> None:
        """Add (index, time, text) records; only the newest `keep` stay."""
        with self.transaction() as conn:
            conn.executemany("INSERT OR REPLACE INTO canister_logs (canister_id, idx, time_ns, content)"
                             " VALUES (?, ?, ?, ?)", [(canister_id, *record) for record in records])
            if records:
                conn.execute("DELETE FROM canister_logs WHERE canister_id = ? AND idx <= ?",
                             (canister_id, records[-1][0] - keep))

    def load_logs(self, canister_id: bytes) -> list[tuple[int, int, str]]:
        rows = self._query("SELECT idx, time_ns, content FROM canister_logs WHERE canister_id = ? ORDER BY idx",
                           (canister_id,))
        return [(r[0], r[1], r[2]) for r in rows]

    # -- names (v5) --------------------------------------------------------------------------------

    def named_canisters(self) -> dict[str, NamedCanister]:
        rows = self._query("SELECT name, canister_id, module_hash, arg_hash, deployed_ns FROM canister_names ORDER BY name")
        return {r[0]: NamedCanister(r[0], bytes(r[1]), None if r[2] is None else bytes(r[2]),
                                    None if r[3] is None else bytes(r[3]), r[4]) for r in rows}

    def name_canister(self, name: str, canister_id: bytes) -> None:
        """Remember `name` -> `canister_id` (a new name, or a name whose canister was re-created)."""
        with self.transaction() as conn:
            conn.execute("INSERT INTO canister_names (name, canister_id) VALUES (?, ?) ON CONFLICT(name) DO UPDATE"
                         " SET canister_id = excluded.canister_id, module_hash = NULL, arg_hash = NULL",
                         (name, canister_id))

    def record_deploy(self, name: str, module_hash: bytes, arg_hash: bytes, time_ns: int) -> None:
        with self.transaction() as conn:
            conn.execute("UPDATE canister_names SET module_hash = ?, arg_hash = ?, deployed_ns = ? WHERE name = ?",
                         (module_hash, arg_hash, time_ns, name))
