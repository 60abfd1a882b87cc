"""Durable storage of the replica's canister state (SQLite by default; PostgreSQL later).

`open_storage(path)` creates a new database or migrates an old one of ours, and refuses a file of
an incompatible layout or version without modifying it.
"""

from __future__ import annotations

import os

from replica.storage.base import AnchorRecord, IncompatibleStorageError, Storage, StorageError
from replica.storage.sqlite import SCHEMA_VERSION, SqliteStorage


def open_storage(path: str | os.PathLike[str]) -> Storage:
    """Open (create or migrate) the SQLite database at `path`."""
    return SqliteStorage(path)


__all__ = [
    "AnchorRecord",
    "IncompatibleStorageError",
    "SCHEMA_VERSION",
    "SqliteStorage",
    "Storage",
    "StorageError",
    "open_storage",
]
