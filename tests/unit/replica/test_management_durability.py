"""Wasm canisters survive a restart (the replica closed, a new one opened on the same file), and an
update writes the pages it dirtied, not the heap."""

from __future__ import annotations

import time

from replica.http.testing import Clock, make_replica
from tests.unit.replica.test_management_client import EMPTY, Ic, candid, motoko, nat, uncandid  # noqa: F401
from replica.http.testing import Ed25519Identity

OWNER = Ed25519Identity(b"\x03" * 32)


def test_state_counter_stable_memory_chunks_and_settings_survive_a_restart(tmp_path, motoko):
    first = make_replica(tmp_path, clock=Clock())
    ic = Ic(first)
    counter = ic.create(OWNER)
    assert ic.install(OWNER, counter, motoko("counter")).replied
    for expected in (1, 2, 3):
        assert nat(ic.call(OWNER, counter, "inc", EMPTY)) == expected
    store = ic.create(OWNER)
    assert ic.install(OWNER, store, motoko("stable")).replied
    assert ic.call(OWNER, store, "put", candid("(blob)", b"on disk")).replied
    ic.ok(OWNER, "upload_chunk", {"canister_id": store, "chunk": b"chunk"})
    ic.ok(OWNER, "stop_canister", {"canister_id": store})
    status_before = ic.ok(OWNER, "canister_status", {"canister_id": counter})
    first.close()

    second = make_replica(tmp_path, clock=Clock())
    try:
        ic = Ic(second)
        assert nat(ic.query(OWNER, counter, "get", EMPTY)) == 3
        assert nat(ic.call(OWNER, counter, "inc", EMPTY)) == 4  # Motoko's heap and globals came back whole
        status = ic.ok(OWNER, "canister_status", {"canister_id": counter})
        assert status["module_hash"] == status_before["module_hash"]
        assert status["settings"] == status_before["settings"]
        assert ic.ok(OWNER, "canister_status", {"canister_id": store})["status"] == {"stopped": None}
        ic.ok(OWNER, "start_canister", {"canister_id": store})
        assert uncandid("(blob)", ic.query(OWNER, store, "load", EMPTY).reply)[0] == b"on disk"
        assert len(ic.ok(OWNER, "stored_chunks", {"canister_id": store})) == 1
        fresh = ic.create(OWNER)
        assert fresh not in (counter, store)  # ids are not handed out twice
        upgrade = {"upgrade": [{"skip_pre_upgrade": None, "wasm_memory_persistence": [{"keep": None}]}]}
        assert ic.install(OWNER, store, motoko("stable"), mode=upgrade).replied
        assert uncandid("(nat, nat)", ic.query(OWNER, store, "stats", EMPTY).reply) == [1, 1]
    finally:
        second.close()


def test_a_deleted_canister_stays_deleted(tmp_path, motoko):
    first = make_replica(tmp_path)
    ic = Ic(first)
    cid = ic.create(OWNER)
    ic.ok(OWNER, "stop_canister", {"canister_id": cid})
    ic.ok(OWNER, "delete_canister", {"canister_id": cid})
    first.close()
    second = make_replica(tmp_path)
    try:
        assert Ic(second).mgmt(OWNER, "canister_status", {"canister_id": cid}).error_code == "IC0301"
    finally:
        second.close()


def test_an_update_writes_only_the_pages_it_dirtied(tmp_path, motoko):
    replica = make_replica(tmp_path)
    try:
        ic = Ic(replica)
        cid = ic.create(OWNER)
        assert ic.install(OWNER, cid, motoko("counter")).replied
        heap = replica.host.get(cid).engine._live.span()[1]
        assert heap >= 64 * 1024
        written = []
        original = replica.storage.write_pages
        replica.storage.write_pages = lambda c, m, pages, **kw: (written.append(len(pages)), original(c, m, pages, **kw))
        assert nat(ic.call(OWNER, cid, "inc", EMPTY)) == 1
        print(f"Motoko counter: heap {heap // 1024} KiB, one inc wrote {sum(written)} pages")
        assert 0 < sum(written) < heap // (64 * 1024)
        written.clear()
        assert ic.query(OWNER, cid, "get", EMPTY).replied
        assert written == []  # a query writes nothing
    finally:
        replica.close()


def test_figures_persistence_cost_against_heap_size(tmp_path):
    """Prints what `persist` costs after an update that dirtied one page, for 1 MB and 64 MB heaps."""
    import wasmtime

    from replica.canisters.management.host import WasmHost
    from replica.storage import open_storage

    storage = open_storage(tmp_path / "bench.sqlite3")
    host = WasmHost(storage, data_certificate=lambda c, t: None)
    lines = []
    for mib in (1, 64):
        pages = mib * 16
        wat = (f'(module (import "ic0" "msg_reply" (func $reply)) (memory {pages})'
               ' (func (export "canister_update touch") (i32.store (i32.const 128) (i32.add (i32.load (i32.const 128))'
               ' (i32.const 1))) (call $reply)))')
        cid = (1000 + mib).to_bytes(8, "big") + b"\x01\x01"
        hosted = host.create(cid, controllers=[OWNER.principal], settings={}, cycles=0, time_ns=1, by=OWNER.principal)
        assert hosted.engine.install(wasmtime.wat2wasm(wat), EMPTY, OWNER.principal, 1).replied
        with storage.transaction():
            host.persist(hosted, full=True)
        runs, engine_runs = [], []
        for _ in range(5):
            start = time.perf_counter()
            assert hosted.engine.update("touch", EMPTY, OWNER.principal, 2).replied
            engine_runs.append(time.perf_counter() - start)
            start = time.perf_counter()
            with storage.transaction():
                written = host.persist(hosted)
            runs.append(time.perf_counter() - start)
            assert written == 1
        lines.append(f"{mib} MiB heap: persist after a one-page update {min(runs) * 1000:.2f} ms (1 page written,"
                     f" commit included); the engine's update itself {min(engine_runs) * 1000:.2f} ms")
    storage.close()
    print("\n".join(lines))


def test_the_canister_log_keeps_prints_and_traps_across_a_restart(tmp_path, motoko):
    def logs(ic, canister):
        answer = ic.query(OWNER, b"", "fetch_canister_logs",
                          ic.encode_args("fetch_canister_logs", {"canister_id": canister}), ecid=canister)
        return [(r["idx"], r["content"].decode())
                for r in ic.decode_reply("fetch_canister_logs", answer.reply)["canister_log_records"]]

    first = make_replica(tmp_path, clock=Clock())
    ic = Ic(first)
    counter = ic.create(OWNER)
    assert ic.install(OWNER, counter, motoko("counter")).replied
    assert nat(ic.call(OWNER, counter, "inc", EMPTY)) == 1
    assert ic.call(OWNER, counter, "failAfterWrite", EMPTY).reject_code == 5
    before = logs(ic, counter)
    assert before[-1][1].startswith("[TRAP]: deliberate failure")
    assert [idx for idx, _ in before] == list(range(len(before)))
    first.close()

    second = make_replica(tmp_path, clock=Clock())
    try:
        ic = Ic(second)
        assert logs(ic, counter) == before
        assert nat(ic.call(OWNER, counter, "inc", EMPTY)) == 2
        after = logs(ic, counter)
        assert after[:len(before)] == before and after[-1] == (len(before), "count is 2")
    finally:
        second.close()
