"""Keep identities made with dummy auth away from a replica that trusts passkeys (issue 11).

With dummy auth (`--dummy-auth`, `--flavor dev`) an identity's key is derived from its credential
id, which anyone can read from the canister: such an identity belongs to whoever asks. The database
remembers that it has been served with dummy auth (meta `dummy_auth_since`, set at the first such
start and never cleared), and a replica without dummy auth refuses to open it unless told
explicitly (`--accept-dummy-auth-db`), so a test database never silently becomes a real one.
By default the two kinds do not even meet: dummy auth has a default database file of its own
(`replica.config.default_db_path`).
"""

from __future__ import annotations

import datetime

from replica.storage.base import Storage, StorageError

META_KEY = "dummy_auth_since"


class DummyAuthDatabaseError(StorageError):
    """A database that was served with dummy auth, opened by a replica without it."""


def check_dummy_auth(storage: Storage, config) -> None:
    """Record dummy-auth use, or refuse a dummy-auth database when dummy auth is off."""
    if config.dummy_auth:
        stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        storage.set_meta_if_absent(META_KEY, stamp.encode())
        return
    since = storage.get_meta(META_KEY)
    if since is None or config.accept_dummy_auth_db:
        return
    raise DummyAuthDatabaseError(
        f"refusing to serve database {config.db_path} without dummy auth: it has been served with "
        f"dummy auth (--dummy-auth or --flavor dev) since {since.decode(errors='replace')}, so its "
        "identities may have keys that anyone can derive from public data. Start it with "
        "--dummy-auth again, choose another database with --db, or pass --accept-dummy-auth-db "
        "to serve it anyway (for test data only). The file was not modified."
    )
