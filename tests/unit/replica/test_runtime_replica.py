"""`Replica` built from a `Config`: canisters, start-up lines, persisted keys, closing."""

from __future__ import annotations

from replica.config import Config
from replica.http.testing import AsgiClient
from replica.replica import Replica


def test_replica_hosts_ii_and_whoami(tmp_path):
    replica = Replica(Config(db_path=tmp_path / "db.sqlite3").with_flavor("test"))
    try:
        assert replica.startup_lines() == [
            "internet_identity canister: rdmx6-jaaaa-aaaaa-aaadq-cai",
            "whoami canister: qoctq-giaaa-aaaaa-aaaea-cai",
        ]
        assert set(replica.canisters) == {"internet_identity", "whoami"}
        status = AsgiClient(replica.api).get("/api/v2/status").cbor()
        assert status["root_key"] == replica.root_key
    finally:
        replica.close()
    replica.close()  # idempotent


def test_root_key_survives_a_restart(tmp_path):
    config = Config(db_path=tmp_path / "db.sqlite3")
    first = Replica(config, with_internet_identity=False)
    key = first.root_key
    first.close()
    second = Replica(config, with_internet_identity=False)
    assert second.root_key == key
    second.close()
    other = Replica(Config(db_path=tmp_path / "elsewhere" / "db.sqlite3"), with_internet_identity=False)
    assert other.root_key != key
    other.close()


def test_alternative_origins_come_from_the_config(tmp_path):
    replica = Replica(
        Config(db_path=tmp_path / "db.sqlite3", alternative_origins=("https://x.example",)),
        with_internet_identity=False,
    )
    res = replica.canisters["whoami"].http_request({"method": "GET", "url": "/.well-known/ii-alternative-origins"})
    assert b"https://x.example" in res["body"]
    replica.close()
