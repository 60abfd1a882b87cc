"""kill -9 durability: every registration acknowledged before the kill survives it.

A child process registers anchors through the canister on a real SQLite file and prints each
acknowledged anchor with its device key; the parent SIGKILLs it mid-stream, reopens the database
and checks every acknowledged registration (and device addition) is there.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from replica.canisters.internet_identity.anchors import Anchor
from replica.storage import open_storage

REPO = Path(__file__).resolve().parents[3]

CHILD = textwrap.dedent(
    """
    import sys
    from tests.unit.replica.test_ii_support import Env, device, new_key, principal_of
    env = Env(sys.argv[1])
    print("ready", flush=True)
    while True:
        number, key = env.register()
        second = new_key()
        env.update(principal_of(key), "add", number, device(second, "second"))
        print(number, key.hex(), second.hex(), flush=True)
    """
)


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX signals")
def test_acknowledged_registrations_survive_kill_9(tmp_path):
    db = tmp_path / "ii.db"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in [str(REPO), os.environ.get("PYTHONPATH")] if p)}
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(db)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True,
    )
    acknowledged: list[tuple[int, bytes, bytes]] = []
    try:
        assert child.stdout.readline().strip() == "ready", child.stderr.read()
        deadline = time.monotonic() + 60
        while len(acknowledged) < 40 and time.monotonic() < deadline:
            line = child.stdout.readline()
            assert line, child.stderr.read()
            number, key, second = line.split()
            acknowledged.append((int(number), bytes.fromhex(key), bytes.fromhex(second)))
        os.kill(child.pid, signal.SIGKILL)
        # lines the child wrote before dying are acknowledgements too
        for line in child.stdout.read().splitlines():
            parts = line.split()
            if len(parts) == 3:
                acknowledged.append((int(parts[0]), bytes.fromhex(parts[1]), bytes.fromhex(parts[2])))
    finally:
        if child.poll() is None:
            child.kill()
        child.wait()
    assert child.returncode == -signal.SIGKILL
    assert len(acknowledged) >= 40

    storage = open_storage(db)
    try:
        for number, key, second in acknowledged:
            record = storage.read_anchor(number)
            assert record is not None, f"anchor {number} was acknowledged but is lost"
            anchor = Anchor.from_record(record)
            assert {d.pubkey for d in anchor.devices} == {key, second}
            assert storage.anchor_with_device_key(second) == number
        assert storage.anchor_count() >= len(acknowledged)
    finally:
        storage.close()
