"""`dummy_auth : opt opt DummyAuthConfig` of the II canister (issue 16 item 8): set by the init
argument as the real II does it (null keeps, `opt null` clears, `opt opt c` sets), kept across
starts, answered by `config()`; the replica sets it from `--dummy-auth[-prompt-for-index]`."""

from __future__ import annotations

from replica.canisters.internet_identity import wire
from replica.config import Config
from tests.unit.replica.test_ii_support import Env, anonymous

ON = {"prompt_for_index": True}


def dummy_auth(env) -> object:
    return env.query(anonymous(), "config")["dummy_auth"]


def test_set_kept_and_cleared(tmp_path):
    db = tmp_path / "ii.db"
    e = Env(db, init={"dummy_auth": [[ON]]})
    assert dummy_auth(e) == [[ON]]
    e.storage.close()
    e = Env(db)  # no init argument: kept
    assert dummy_auth(e) == [[ON]]
    e.storage.close()
    e = Env(db, init={"dummy_auth": None})  # outer null: kept
    assert dummy_auth(e) == [[ON]]
    e.storage.close()
    e = Env(db, init={"dummy_auth": [None]})  # opt null: cleared
    assert wire.unopt(dummy_auth(e)) is None and dummy_auth(e) is not None  # `opt null`, as the real II
    e.storage.close()


def test_a_fresh_canister_answers_opt_null(tmp_path):
    e = Env(tmp_path / "ii.db")
    assert dummy_auth(e) is not None and wire.unopt(dummy_auth(e)) is None


def test_the_replica_configures_it_from_its_flags():
    assert Config().ii_init() == {"dummy_auth": [None]}
    assert Config(dummy_auth=True).ii_init() == {"dummy_auth": [[{"prompt_for_index": False}]]}
    assert Config(dummy_auth=True, dummy_auth_prompt_for_index=True).ii_init() == {"dummy_auth": [[ON]]}
    assert Config(dummy_auth_prompt_for_index=True).ii_init() == {"dummy_auth": [None]}  # needs dummy auth


def test_a_served_replica_answers_what_it_was_started_with(tmp_path):
    from replica.http.testing import make_replica

    for flags, expected in (({"dummy_auth": True, "dummy_auth_prompt_for_index": True}, ON),
                            ({"dummy_auth": True}, {"prompt_for_index": False})):
        replica = make_replica(tmp_path, with_internet_identity=True, **flags)
        try:
            canister = replica.canisters["internet_identity"]
            assert canister._config(None)[0]["dummy_auth"] == [[expected]]
        finally:
            replica.close()
