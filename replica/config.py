"""Runtime configuration of the replica, built by `serve.py` from flags and environment."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from replica.project import Project

II_CANISTER_ID = "rdmx6-jaaaa-aaaaa-aaadq-cai"
# icp-cli's local network serves the II frontend from its own canister at its mainnet id, also
# under a friendly name (icp-cli: crates/icp-canister-interfaces/src/internet_identity.rs and
# crates/icp/src/network/custom_domains.rs). Here the II canister serves its page itself, so both
# names are aliases of II's origin: `http://uqzsh-....localhost:<port>` and `http://id.ai.localhost:<port>`.
II_FRONTEND_CANISTER_ID = "uqzsh-gqaaa-aaaaq-qaada-cai"
II_FRIENDLY_HOST = "id.ai.localhost"
WHOAMI_CANISTER_ID = "qoctq-giaaa-aaaaa-aaaea-cai"

FLAVORS: dict[str, dict[str, bool]] = {
    "production": {},
    "test": {"fetch_root_key": True, "dummy_captcha": True},
    "dev": {"fetch_root_key": True, "dummy_captcha": True, "dummy_auth": True, "dev_csp": True},
}


def default_db_path(*, dummy_auth: bool = False) -> Path:
    """The default database: identities made with dummy auth live apart from real ones."""
    return default_data_dir() / ("replica-dummy-auth.sqlite3" if dummy_auth else "replica.sqlite3")


def default_data_dir() -> Path:
    """Where the database and the root key live unless `--db` says otherwise."""
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(Path.home(), ".local", "share")
    return Path(base) / "internet-identity-py"


@dataclass(frozen=True)
class Config:
    host: str = "127.0.0.1"
    port: int = 4943
    db_path: Path = field(default_factory=default_db_path)
    flavor: str = "production"
    fetch_root_key: bool = False
    dummy_captcha: bool = False
    dummy_auth: bool = False
    # With dummy auth, ask for an index when an identity is created or signed in to with its
    # (dummy) passkey: index n is always the same key, so "user 1", "user 2" are stable identities
    # (the II's `DummyAuthConfig.prompt_for_index`). Implies `dummy_auth`.
    dummy_auth_prompt_for_index: bool = False
    dev_csp: bool = False
    ii_canister_id: str = II_CANISTER_ID
    # Another canister id whose origin serves the II frontend (icp-cli's frontend canister).
    ii_frontend_canister_id: str = II_FRONTEND_CANISTER_ID
    whoami_canister_id: str = WHOAMI_CANISTER_ID
    static_root: Path = Path(__file__).resolve().parent.parent
    # Extra origins whoami's /.well-known/ii-alternative-origins lists (tests change it).
    alternative_origins: tuple[str, ...] = ()
    # The HTTP server's deadlines, in seconds (replica.http.server): a request's headers, its
    # body, an idle keep-alive connection, a client that reads nothing of a response.
    header_timeout: float = 10.0
    body_timeout: float = 30.0
    keep_alive_timeout: float = 5.0
    send_timeout: float = 60.0
    # Connections served at once; None: derived from the file-descriptor limit (RLIMIT_NOFILE).
    max_connections: int | None = None
    # Serve a database that has been served with dummy auth even though dummy auth is now off.
    accept_dummy_auth_db: bool = False
    # Bounds of the ingress history (replica.certification.request_status).
    ingress_max_entries: int = 50_000
    ingress_max_reply_bytes: int = 32 * 1024 * 1024
    # The developer's canisters and frontends deployed at start (replica.project, replica.deploy):
    # `--canister`, `--frontend`, `--project`, `--env-file`; None: nothing to deploy.
    project: "Project | None" = None

    def ii_origins(self) -> tuple[str, ...]:
        """Every origin the II frontend answers at (the page config's `canisterId` is the same on
        all): the II canister's own, icp-cli's friendly name and its frontend canister's."""
        return (f"http://{self.ii_canister_id}.localhost:{self.port}",
                f"http://{II_FRIENDLY_HOST}:{self.port}",
                f"http://{self.ii_frontend_canister_id}.localhost:{self.port}")

    def ii_init(self) -> dict:
        """The II canister's init argument for this configuration (`InternetIdentityInit` as
        decoded): `dummy_auth = opt opt record { prompt_for_index }` when dummy auth is on, else
        `opt null` (cleared), so `config()` tells the truth about this start."""
        dummy = {"prompt_for_index": self.dummy_auth_prompt_for_index} if self.dummy_auth else None
        return {"dummy_auth": [None if dummy is None else [dummy]]}

    @property
    def state_dir(self) -> Path:
        """Directory beside the database that holds the persisted root key."""
        return self.db_path.parent

    def with_flavor(self, flavor: str) -> "Config":
        return replace(self, flavor=flavor, **FLAVORS[flavor])
