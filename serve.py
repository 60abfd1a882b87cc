#!/usr/bin/env python3
"""Run the local Internet Identity replica: the II frontend plus the IC HTTP interface.

CLI glue only: flags and environment -> `replica.config.Config` -> `replica.app` -> uvicorn.
"""

from __future__ import annotations

import argparse
import asyncio
import errno
import os
import socket
import sys
from dataclasses import replace
from pathlib import Path

from replica.config import FLAVORS, Config, default_db_path

ENV_FLAGS = {
    "fetch_root_key": "II_FETCH_ROOT_KEY",
    "dummy_captcha": "II_DUMMY_CAPTCHA",
    "dummy_auth": "II_DUMMY_AUTH",
    "dummy_auth_prompt_for_index": "II_DUMMY_AUTH_PROMPT_FOR_INDEX",
    "dev_csp": "II_DEV_CSP",
}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="serve.py",
        description="Serve Internet Identity (frontend + II canister) behind a local IC replica.",
        epilog="Environment: II_FETCH_ROOT_KEY, II_DUMMY_CAPTCHA, II_DUMMY_AUTH, "
               "II_DUMMY_AUTH_PROMPT_FOR_INDEX, II_DEV_CSP "
               "(value 1 enables) do what the flags of the same name do.")
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to listen on (default: %(default)s; loopback only by default)")
    parser.add_argument("--port", type=int, default=4943, help="port to listen on (default: %(default)s)")
    parser.add_argument("--db", type=Path, default=None,
                        help="SQLite database file of the replica's state (default: "
                             "~/.local/share/internet-identity-py/replica.sqlite3, or "
                             "replica-dummy-auth.sqlite3 there with dummy auth); the root key "
                             "is kept beside it")
    parser.add_argument("--flavor", choices=tuple(FLAVORS), default="production",
                        help="production: no test features; test: --fetch-root-key and "
                             "--dummy-captcha; dev: all four flags below (default: %(default)s)")
    parser.add_argument("--fetch-root-key", action="store_true",
                        help="the frontend fetches the root key from this replica instead of "
                             "trusting the mainnet key (needed for any local replica)")
    parser.add_argument("--dummy-captcha", action="store_true",
                        help="the captcha answer is always 'a' (for automated tests)")
    parser.add_argument("--dummy-auth", action="store_true",
                        help="no WebAuthn prompt: each identity gets a known key (for dapp "
                             "developers' automated tests; never in production)")
    parser.add_argument("--dummy-auth-prompt-for-index", action="store_true",
                        help="dummy auth (implies --dummy-auth) that asks for an index when an "
                             "identity is created or signed in to with its dummy passkey: index n "
                             "is always the same key, so 'user 1' and 'user 2' are distinct, "
                             "stable identities for a dapp's test suite (the II's "
                             "dummy_auth = opt opt record { prompt_for_index = true })")
    parser.add_argument("--dev-csp", action="store_true",
                        help="relax the page's Content-Security-Policy for plain-http development")
    parser.add_argument("--accept-dummy-auth-db", action="store_true",
                        help="serve a database that has been served with dummy auth even though "
                             "dummy auth is off now (its identities' keys may be public: test "
                             "data only)")
    parser.add_argument("--whoami-alternative-origin", action="append", default=[], metavar="ORIGIN",
                        help="an origin the whoami demo canister lists in its "
                             "/.well-known/ii-alternative-origins, so dapps there may use it as "
                             "derivationOrigin (repeatable; at most 10)")
    add_project_flags(parser)
    add_server_flags(parser)
    return parser.parse_args(argv)


def add_project_flags(parser: argparse.ArgumentParser) -> None:
    """Your own canisters and frontends, deployed at start (replica.project, replica.deploy)."""
    group = parser.add_argument_group(
        "your project (deployed at start; ids kept by name in the database)",
        "A canister is created on first start, upgraded when its module changed, left alone when "
        "not. Its ids go to .env (CANISTER_ID_<NAME>, as dfx writes them) and canister_ids.json, "
        "beside the project file or in the current folder.")
    group.add_argument("--canister", action="append", default=[], metavar="NAME=PATH.wasm[:ARG]",
                       help="deploy a Wasm module (repeatable); ARG is its init argument: Candid text "
                            "such as '(record { x = 1 })' (read at the module's candid:service types), "
                            "hex:<Candid bytes>, or a file holding either or the binary bytes")
    group.add_argument("--frontend", action="append", default=[], metavar="NAME=DIR",
                       help="serve a built frontend (a folder with index.html) at its own canister's "
                            "origin (repeatable)")
    group.add_argument("--project", type=Path, default=None, metavar="FILE",
                       help="a TOML project file: [canisters.NAME] wasm = \"...\", init_arg = \"...\" "
                            "(or init_arg_file), controllers = [...]; [frontends.NAME] dir = \"...\"; "
                            "paths relative to the file; may be combined with the flags above")
    group.add_argument("--env-file", type=Path, default=None, metavar="PATH",
                       help="where to write .env (canister_ids.json goes beside it); default: beside "
                            "the project file, or in the current folder")


def build_config(args: argparse.Namespace, environ: dict[str, str]) -> Config:
    if not 0 < args.port < 65536:
        raise SystemExit(f"serve.py: error: --port must be between 1 and 65535, not {args.port}")
    config = Config(host=args.host, port=args.port).with_flavor(args.flavor)
    if args.db is not None:
        config = replace(config, db_path=args.db.expanduser().resolve())
    if args.whoami_alternative_origin:
        config = replace(config, alternative_origins=tuple(args.whoami_alternative_origin))
    enabled = {name: True for name, var in ENV_FLAGS.items()
               if getattr(args, name) or environ.get(var) == "1"}
    if enabled.get("dummy_auth_prompt_for_index"):
        enabled["dummy_auth"] = True
    config = replace(config, accept_dummy_auth_db=args.accept_dummy_auth_db, **enabled)
    if args.db is None:
        config = replace(config, db_path=default_db_path(dummy_auth=config.dummy_auth))
    return replace(config, project=project_from_args(args))


def project_from_args(args: argparse.Namespace):
    """The project the flags name (checked now, before the port is bound), or None."""
    from replica.project import ProjectError, build_project as build

    try:
        return build(canisters=args.canister, frontends=args.frontend, project_file=args.project,
                     env_file=args.env_file)
    except ProjectError as exc:
        raise SystemExit(f"serve.py: error: {exc}") from None


def bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise SystemExit(f"serve.py: port {port} on {host} is already in use "
                             f"(another replica running? choose one with --port)") from None
        raise SystemExit(f"serve.py: cannot listen on {host}:{port}: {exc.strerror}") from None
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def _positive(kind: type):
    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a positive number, not {text!r}") from None
        if not value > 0:
            raise argparse.ArgumentTypeError(f"expected a positive number, not {text!r}")
        return value
    return parse


def add_server_flags(parser: argparse.ArgumentParser) -> None:
    """The HTTP server's limits (replica.http.server); defaults from `Config`."""
    defaults = Config()
    group = parser.add_argument_group("connection limits")
    group.add_argument("--max-connections", type=_positive(int), default=None, metavar="N",
                       help="connections served at once; past it a new one takes the place of the "
                            "oldest idle one, else is answered 503 (default: from the open-files "
                            "limit, ulimit -n; environment: II_MAX_CONNECTIONS)")
    for flag, field, what in (("--header-timeout", "header_timeout", "a request's headers"),
                              ("--body-timeout", "body_timeout", "a request's body"),
                              ("--keep-alive-timeout", "keep_alive_timeout",
                               "an idle keep-alive connection before it is closed"),
                              ("--send-timeout", "send_timeout",
                               "a client that reads nothing of a response before it is cut off")):
        group.add_argument(flag, type=_positive(float), default=getattr(defaults, field), metavar="SECONDS",
                           help=f"seconds allowed for {what} (default: %(default)s)")


def apply_server_flags(args: argparse.Namespace, environ: dict[str, str], config: Config) -> Config:
    maximum = args.max_connections
    if maximum is None and environ.get("II_MAX_CONNECTIONS"):
        try:
            maximum = _positive(int)(environ["II_MAX_CONNECTIONS"])
        except argparse.ArgumentTypeError as exc:
            raise SystemExit(f"serve.py: error: II_MAX_CONNECTIONS: {exc}") from None
    return replace(config, max_connections=maximum, header_timeout=args.header_timeout,
                   body_timeout=args.body_timeout, keep_alive_timeout=args.keep_alive_timeout,
                   send_timeout=args.send_timeout)


def startup_banner(config: Config, canister_lines: list[str]) -> str:
    ii = config.ii_canister_id
    lines = [*canister_lines,
             f"flavor: {config.flavor} (fetch_root_key={config.fetch_root_key}, "
             f"dummy_captcha={config.dummy_captcha}, dummy_auth={config.dummy_auth}"
             f"{' (prompt for index)' if config.dummy_auth and config.dummy_auth_prompt_for_index else ''}, "
             f"dev_csp={config.dev_csp})",
             f"database: {config.db_path}",
             "Open Internet Identity at (each name has its own passkeys; dapps get the same principals):",
             *(f"  {origin}/" for origin in config.ii_origins()),
             f"  http://localhost:{config.port}/?canisterId={ii}",
             f"IC HTTP interface: http://localhost:{config.port}/api/v2/status"]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    config = apply_server_flags(args, dict(os.environ), build_config(args, dict(os.environ)))
    sock = bind(config.host, config.port)
    import uvicorn

    from replica.app import create_app

    from replica.deploy import DeployIdentityError
    from replica.storage import StorageError

    try:
        app, canister_lines = create_app(config)
    except (StorageError, DeployIdentityError) as exc:
        raise SystemExit(f"serve.py: {exc}") from None
    from replica.http.server import ConnectionGate, ServerLimits

    limits = ServerLimits.for_config(config)  # after create_app: counts the files it keeps open
    gate = ConnectionGate(limits)
    print(startup_banner(config, canister_lines), flush=True)
    print(f"connections: at most {limits.max_connections} at once; deadlines: headers "
          f"{limits.header_timeout:g} s, body {limits.body_timeout:g} s, idle keep-alive "
          f"{limits.keep_alive_timeout:g} s, stalled download {limits.send_timeout:g} s", flush=True)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on",
                                           http=gate.protocol_class(),
                                           timeout_keep_alive=limits.keep_alive_timeout,
                                           timeout_graceful_shutdown=10))
    try:
        asyncio.run(server.serve(sockets=[gate.listener(sock)]))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())
