"""The II's accounts per app (schema version 7; the real II's "multiple accounts").

    accounts          one row per account of an anchor for an origin, in list order (rowid):
                      `number` NULL is the unreserved default account's row (stored once another
                      account exists), `seed_anchor` marks a reserved default account
    account_defaults  (anchor, origin) -> the account number chosen as default there

Account numbers come from one counter for all anchors (meta `ii.account_counter`), as the real
II's; numbers are never reused. Every method joins the transaction the replica holds around the
current call.
"""

from __future__ import annotations

import sqlite3

from replica.storage.base import AccountRow

COUNTER_KEY = "ii.account_counter"


def create_v7(conn: sqlite3.Connection) -> None:
    conn.execute(
        "CREATE TABLE IF NOT EXISTS accounts (id INTEGER PRIMARY KEY AUTOINCREMENT,"
        " anchor INTEGER NOT NULL REFERENCES anchors(number), origin TEXT NOT NULL, number INTEGER UNIQUE,"
        " name TEXT, seed_anchor INTEGER, last_used INTEGER)"
    )
    conn.execute("CREATE INDEX IF NOT EXISTS accounts_by_anchor ON accounts(anchor, origin)")
    conn.execute(
        "CREATE UNIQUE INDEX IF NOT EXISTS accounts_one_default ON accounts(anchor, origin) WHERE number IS NULL"
    )
    conn.execute(
        "CREATE TABLE IF NOT EXISTS account_defaults (anchor INTEGER NOT NULL REFERENCES anchors(number),"
        " origin TEXT NOT NULL, number INTEGER NOT NULL, PRIMARY KEY (anchor, origin)) WITHOUT ROWID"
    )


class AccountTables:
    """Mixed into `SqliteStorage`: the SQL of the anchors' accounts."""

    def account_rows(self, anchor: int, origin: str) -> list[AccountRow]:
        rows = self._query(
            "SELECT number, name, seed_anchor, last_used FROM accounts WHERE anchor = ? AND origin = ? ORDER BY id",
            (anchor, origin),
        )
        return [AccountRow(*row) for row in rows]

    def anchor_account_count(self, anchor: int) -> int:
        rows = self._query("SELECT COUNT(*) FROM accounts WHERE anchor = ? AND number IS NOT NULL", (anchor,))
        return rows[0][0]

    def insert_account(self, anchor: int, origin: str, name: str, *, reserve_default: bool) -> int:
        with self.transaction() as conn:
            row = conn.execute("SELECT value FROM meta WHERE key = ?", (COUNTER_KEY,)).fetchone()
            number = (int(bytes(row[0]).decode()) if row else 0) + 1
            conn.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (COUNTER_KEY, str(number).encode()),
            )
            (stored,) = conn.execute(
                "SELECT COUNT(*) FROM accounts WHERE anchor = ? AND origin = ?", (anchor, origin)).fetchone()
            if reserve_default:
                cur = conn.execute(
                    "UPDATE accounts SET number = ?, name = ?, seed_anchor = ? WHERE anchor = ? AND origin = ?"
                    " AND number IS NULL", (number, name, anchor, anchor, origin))
                if cur.rowcount == 0:
                    conn.execute(
                        "INSERT INTO accounts (anchor, origin, number, name, seed_anchor) VALUES (?, ?, ?, ?, ?)",
                        (anchor, origin, number, name, anchor))
                conn.execute(
                    "INSERT INTO account_defaults (anchor, origin, number) VALUES (?, ?, ?)"
                    " ON CONFLICT(anchor, origin) DO UPDATE SET number = excluded.number", (anchor, origin, number))
                return number
            if stored == 0:
                conn.execute("INSERT INTO accounts (anchor, origin) VALUES (?, ?)", (anchor, origin))
            conn.execute(
                "INSERT INTO accounts (anchor, origin, number, name) VALUES (?, ?, ?, ?)", (anchor, origin, number, name))
            return number

    def rename_account(self, anchor: int, origin: str, number: int, name: str) -> bool:
        with self.transaction() as conn:
            cur = conn.execute(
                "UPDATE accounts SET name = ? WHERE anchor = ? AND origin = ? AND number = ?",
                (name, anchor, origin, number))
            return cur.rowcount == 1

    def set_account_last_used(self, anchor: int, origin: str, number: int | None, now_ns: int) -> None:
        with self.transaction() as conn:
            conn.execute(
                "UPDATE accounts SET last_used = ? WHERE anchor = ? AND origin = ? AND number IS ?",
                (now_ns, anchor, origin, number))

    def default_account(self, anchor: int, origin: str) -> int | None:
        rows = self._query("SELECT number FROM account_defaults WHERE anchor = ? AND origin = ?", (anchor, origin))
        return rows[0][0] if rows else None

    def set_default_account(self, anchor: int, origin: str, number: int | None) -> None:
        with self.transaction() as conn:
            if number is None:
                conn.execute("DELETE FROM account_defaults WHERE anchor = ? AND origin = ?", (anchor, origin))
            else:
                conn.execute(
                    "INSERT INTO account_defaults (anchor, origin, number) VALUES (?, ?, ?)"
                    " ON CONFLICT(anchor, origin) DO UPDATE SET number = excluded.number", (anchor, origin, number))
