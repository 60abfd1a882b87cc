"""Serve one replica's `/api/` on loopback for the interop test (serve.py without the static site).

Usage: python tests/interop/run_replica.py PORT DB_PATH [--no-ii]
Prints the canister lines, then "listening on http://127.0.0.1:PORT".
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))


def main() -> None:
    import uvicorn

    from replica.config import Config
    from replica.replica import Replica

    port, db_path = int(sys.argv[1]), Path(sys.argv[2])
    with_ii = "--no-ii" not in sys.argv
    config = Config(port=port, db_path=db_path).with_flavor("test")
    replica = Replica(config, with_internet_identity=with_ii)
    for line in replica.startup_lines():
        print(line, flush=True)
    print(f"listening on http://127.0.0.1:{port}", flush=True)
    try:
        uvicorn.run(replica.api, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    finally:
        replica.close()


if __name__ == "__main__":
    main()
