#!/usr/bin/env python3
"""II lookups with 10^3, 10^5 and 10^6 identities in the SQLite file (issue 4's scaling figure).

One identity is registered through the canister; the others are copies of its stored record
under other numbers and keys, inserted in bulk (registering a million through the canister would
mean a million fsyncs). Then `get_anchor_credentials` (by number) and `lookup_device_key` (by
credential id) are called through the canister, Candid included, at random identities.
Prints p50/p99 per size and the ratio to the smallest; asserts nothing. Aim: 10^6 within 2x of 10^3.
"""

from __future__ import annotations

import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.unit.replica.test_ii_support import Env, anonymous  # noqa: E402

SIZES = (1_000, 100_000, 1_000_000)
SAMPLES = 2_000


def fill(env: Env, count: int) -> None:
    number, _ = env.register()
    (data,) = env.storage._query("SELECT data FROM anchors WHERE number = ?", (number,))[0]
    env.storage.close()
    conn = sqlite3.connect(env.path)
    with conn:
        batch = []
        for offset in range(1, count):
            n = number + offset
            batch.append((n, data))
            if len(batch) == 50_000:
                conn.executemany("INSERT INTO anchors (number, data) VALUES (?, ?)", batch)
                batch.clear()
        conn.executemany("INSERT INTO anchors (number, data) VALUES (?, ?)", batch)
        conn.executemany("INSERT INTO credential_ids (credential_id, anchor) VALUES (?, ?)",
                         ((n.to_bytes(8, "big") * 4, n) for n in range(number + 1, number + count)))
        conn.execute("UPDATE meta SET value = ? WHERE key = 'anchor_count'", (str(count).encode(),))
    conn.close()


def timed(call) -> float:
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


def measure(count: int, tmp: Path) -> dict[str, tuple[float, float]]:
    env = Env(tmp / f"ii-{count}.sqlite3")
    fill(env, count)
    env = Env(env.path)  # reopen, as a restarted replica would
    first = 10_000
    rng = random.Random(7)
    figures = {}
    for name, call in (
        ("get_anchor_credentials", lambda n: env.query(anonymous(), "get_anchor_credentials", n)),
        ("lookup_device_key", lambda n: env.query(anonymous(), "lookup_device_key", n.to_bytes(8, "big") * 4)),
    ):
        samples = sorted(timed(lambda: call(rng.randrange(first + 1, first + count))) for _ in range(SAMPLES))
        figures[name] = (statistics.median(samples) * 1e6, samples[int(len(samples) * 0.99)] * 1e6)
    env.storage.close()
    return figures


def main() -> None:
    sizes = SIZES if "--quick" not in sys.argv else (1_000, 100_000)
    with tempfile.TemporaryDirectory(prefix="ii-bench-lookup-", dir=os.environ.get("TMPDIR")) as tmp:
        results = {count: measure(count, Path(tmp)) for count in sizes}
    print(f"II lookups through the canister (Candid included), {SAMPLES} random identities per size")
    print(f"{'identities':>12}{'method':>26}{'p50 us':>10}{'p99 us':>10}{'p50 vs 10^3':>13}")
    for count, figures in results.items():
        for method, (p50, p99) in figures.items():
            base = results[sizes[0]][method][0]
            print(f"{count:>12,}{method:>26}{p50:10.0f}{p99:10.0f}{p50 / base:12.2f}x")
    print("aim: at 10^6 within 2x of 10^3")


if __name__ == "__main__":
    main()
