"""Deploy a `Project` (replica.project) into a replica at start, as `dfx deploy` does on a local
network (issue 13 items 1 and 2).

    deployment = deploy(replica, config.project)   # before the server accepts connections
    deployment.canisters                           # name -> canister id text
    deployment.frontends                           # canister id text -> the folder it serves
    print(*deployment.startup_lines(config.port), sep="\\n")

Each name gets a canister on its first start, created through the management canister's own
logic (`provisional_create_canister_with_cycles`, `install_code` with Candid at the types of its
`ic.did`), called in-process as the deploy identity: an Ed25519 key kept beside the database
(`deploy-identity.pem`, PKCS#8 PEM as dfx keeps identities, so `dfx identity import` takes it),
controller of every canister it creates together with the project's `controllers`. The id is
remembered by name in the database (`canister_names`), so it stays the same across restarts; a
canister deleted since is created again at the same id.

On a later start: a module whose hash differs from the running one upgrades it (with
`wasm_memory_persistence = opt variant { keep }` when the running module uses enhanced orthogonal
persistence, as the IC requires), the same module does nothing, an empty canister (a failed first
install) is installed. Each create, install and upgrade is one storage transaction; a refused one
writes nothing: a failed upgrade leaves the previous module running, a failed first install leaves
the canister empty, and the start goes on (the line says why). A frontend's name gets an empty
canister the same way, so it has an id to be served at.

Then `.env` (dfx's block between its markers, the rest of the file kept) and `canister_ids.json`
(dfx's `{name: {"local": id}}`, other names and networks kept) are written beside the project file
(or where `--env-file` says).
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field, replace
from pathlib import Path

from replica.project import CanisterSpec, FrontendSpec, Project, env_name

IDENTITY_FILE = "deploy-identity.pem"
ENV_BEGIN = "# DFX CANISTER ENVIRONMENT VARIABLES"
ENV_END = "# END DFX CANISTER ENVIRONMENT VARIABLES"
CREATED, INSTALLED, UPGRADED, UNCHANGED, FAILED = "created", "installed", "upgraded", "unchanged", "failed"


class DeployFailed(Exception):
    """A management call refused; the message is its reject message."""


# -- the deploy identity -----------------------------------------------------------------------


@dataclass(frozen=True)
class DeployIdentity:
    der: bytes  # the Ed25519 public key, DER (SubjectPublicKeyInfo)
    path: Path

    @property
    def principal(self) -> bytes:
        from ic.principal import Principal

        return Principal.self_authenticating(self.der).raw

    @property
    def text(self) -> str:
        from ic.principal import Principal

        return Principal.from_bytes(self.principal).to_text()


def load_or_create_identity(state_dir: Path) -> DeployIdentity:
    """The Ed25519 key in `state_dir/deploy-identity.pem`, made (owner-only) on first use."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import (Encoding, NoEncryption, PrivateFormat, PublicFormat,
                                                              load_pem_private_key)

    path = Path(state_dir) / IDENTITY_FILE
    if not path.exists():
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        pem = Ed25519PrivateKey.generate().private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another replica made it first: use that one
            pass
        else:
            with os.fdopen(fd, "wb") as out:
                out.write(pem)
                out.flush()
                os.fsync(out.fileno())
    try:
        key = load_pem_private_key(path.read_bytes(), password=None)
    except (ValueError, TypeError) as exc:
        raise DeployIdentityError(f"the deploy identity {path} is not an unencrypted PEM private key ({exc});"
                                  " move it away to make a new one (canisters it controls keep their controllers)") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise DeployIdentityError(f"the deploy identity {path} is not an Ed25519 key; move it away to make a new one")
    return DeployIdentity(key.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo), path)


class DeployIdentityError(Exception):
    """The deploy identity's key file is unusable (start-up cannot deploy)."""


# -- what a deploy did -------------------------------------------------------------------------


@dataclass(frozen=True)
class Result:
    name: str
    kind: str  # "canister" | "frontend"
    canister_id: str | None  # None: not even created
    action: str  # created | installed | upgraded | unchanged | failed
    detail: str = ""  # what changed, or why it failed


@dataclass(frozen=True)
class Deployment:
    results: tuple[Result, ...] = ()
    deployer: str | None = None  # the deploy identity's principal
    identity_file: Path | None = None
    frontend_dirs: dict[str, Path] = field(default_factory=dict)  # name -> folder
    files: tuple[str, ...] = ()  # lines about the written .env / canister_ids.json
    ii_canister_id: str | None = None

    @property
    def canisters(self) -> dict[str, str]:
        """Every deployed name (canisters and frontends) -> its canister id."""
        return {r.name: r.canister_id for r in self.results if r.canister_id is not None}

    @property
    def frontends(self) -> dict[str, Path]:
        """Canister id -> the folder it serves, for each frontend."""
        return {r.canister_id: self.frontend_dirs[r.name] for r in self.results
                if r.kind == "frontend" and r.canister_id is not None}

    @property
    def canister_env(self) -> dict[str, str]:
        """icp-cli's canister environment (`PUBLIC_CANISTER_ID:<name>`), for the frontends' `ic_env`
        cookie (`replica.app.App(canister_env=...)`)."""
        named = {"internet_identity": self.ii_canister_id} if self.ii_canister_id else {}
        return {f"PUBLIC_CANISTER_ID:{name}": cid for name, cid in {**named, **self.canisters}.items()}

    @property
    def failed(self) -> list[Result]:
        return [r for r in self.results if r.action == FAILED]

    def startup_lines(self, port: int) -> list[str]:
        lines = []
        if self.deployer is not None:
            lines.append(f"deploy identity: {self.deployer} (controller of the project's canisters; key"
                         f" {self.identity_file})")
        for r in self.results:
            what = f"{r.action}: {r.detail}" if r.detail else r.action
            if r.action == FAILED:
                what = f"FAILED: {r.detail}"
            lines.append(f"{r.name} {r.kind}: {r.canister_id or '(no canister)'} ({what})")
            if r.kind == "frontend" and r.canister_id is not None:
                lines.append(f"  http://{r.canister_id}.localhost:{port}/")
                lines.append(f"  http://localhost:{port}/?canisterId={r.canister_id}")
        return lines + list(self.files)


# -- deploying ---------------------------------------------------------------------------------


def deploy(replica, project: Project | None, *, identity: DeployIdentity | None = None) -> Deployment:
    """Create, install or upgrade the project's canisters in `replica` (never raises for a refused
    deploy: each result says what happened), then write `.env` and `canister_ids.json`."""
    ii = replica.config.ii_canister_id
    if project is None:
        return Deployment(ii_canister_id=ii)
    results: list[Result] = []
    deployer = None
    if project.canisters or project.frontends:
        identity = identity or load_or_create_identity(replica.config.state_dir)
        deployer = _Deployer(replica, identity)
        results = [deployer.canister(spec) for spec in project.canisters]
        results += [deployer.frontend(spec) for spec in project.frontends]
    deployment = Deployment(tuple(results), identity.text if deployer else None,
                            identity.path if deployer else None, {f.name: f.dir for f in project.frontends},
                            ii_canister_id=ii)
    if project.env_file is None:
        return deployment
    files = write_files(project, deployment, ii_canister_id=ii, root_key=replica.root_key)
    return replace(deployment, files=tuple(files))


class _Deployer:
    def __init__(self, replica, identity: DeployIdentity):
        from replica.canisters.management.canister import DID_TEXT
        from replica.runtime.dispatch import parse_methods

        self.replica = replica
        self.storage = replica.storage
        self.identity = identity
        self.methods = parse_methods(DID_TEXT)
        self.names = self.storage.named_canisters()

    # -- the management canister, in-process ------------------------------------------------------

    def call(self, method: str, value) -> object:
        from ic import candid

        signature = self.methods[method]
        arg = candid.encode(signature.arg_types, [value])
        outcome = self.replica.runtime.execute(b"", method, arg, self.identity.principal, as_query=False,
                                               time_ns=self.replica.clock())
        if not outcome.replied:
            raise DeployFailed(outcome.reject_message)
        values = candid.decode(outcome.reply, signature.result_types)
        return values[0] if values else None

    # -- one name ---------------------------------------------------------------------------------

    def _ensure(self, name: str, controllers: tuple[str, ...]) -> tuple[bytes, bool]:
        """The canister of `name` (created now, or again at its id if it was deleted) and
        whether it was created now."""
        named = self.names.get(name)
        if named is not None and self.replica.host.get(named.canister_id) is not None:
            self._add_controllers(named.canister_id, controllers)
            return named.canister_id, False
        owners = [self.identity.principal] + [p for p in map(_raw_principal, controllers) if p != self.identity.principal]
        args = {"amount": None, "settings": [{"controllers": [owners]}], "sender_canister_version": None,
                "specified_id": [named.canister_id] if named is not None else None}
        with self.storage.transaction():
            cid = bytes(_raw(self.call("provisional_create_canister_with_cycles", args)["canister_id"]))
            self.storage.name_canister(name, cid)
        return cid, True

    def _add_controllers(self, cid: bytes, controllers: tuple[str, ...]) -> None:
        """Add the project's controllers the canister lacks (never removes one)."""
        hosted = self.replica.host.get(cid)
        missing = [p for p in map(_raw_principal, controllers) if p not in hosted.controllers]
        if not missing:
            return
        if not hosted.is_controller(self.identity.principal):
            raise DeployFailed(f"the deploy identity {self.identity.text} is no longer a controller of"
                               f" {hosted.text}, so it cannot add the project's controllers")
        with self.storage.transaction():
            self.call("update_settings", {"canister_id": cid, "sender_canister_version": None,
                                          "settings": {"controllers": [list(hosted.controllers) + missing]}})

    def _known(self, name: str) -> bytes | None:
        """The canister `name` has now, if any (after a failure, to say what is left)."""
        named = self.storage.named_canisters().get(name)
        return named.canister_id if named is not None and self.replica.host.get(named.canister_id) else None

    def canister(self, spec: CanisterSpec) -> Result:
        try:
            cid, created = self._ensure(spec.name, spec.controllers)
            return self._code(spec, cid, created)
        except DeployFailed as exc:
            cid = self._known(spec.name)
            return Result(spec.name, "canister", _text(cid), FAILED, self._failure(cid, str(exc)))

    def _failure(self, cid: bytes | None, reason: str) -> str:
        reason = " ".join(reason.split())
        if cid is None:
            return f"{reason}; no canister was created"
        hosted = self.replica.host.get(cid)
        if hosted is not None and hosted.module_hash is not None:
            return f"{reason}; the previous module keeps running ({hosted.module_hash.hex()[:12]}...)"
        return f"{reason}; the canister stays empty"

    def _code(self, spec: CanisterSpec, cid: bytes, created: bool) -> Result:
        from replica.wasm.module import decompress
        from replica.wasm.traps import InvalidModule

        try:
            module = spec.wasm.read_bytes()
            new_hash = hashlib.sha256(decompress(module)).digest()
        except (OSError, InvalidModule) as exc:
            raise DeployFailed(f"cannot read {spec.wasm}: {getattr(exc, 'strerror', None) or exc}") from None
        hosted = self.replica.host.get(cid)
        text = hosted.text
        if hosted.module_hash == new_hash:
            named = self.names.get(spec.name)
            note = ""
            if named is not None and named.arg_hash not in (None, spec.init_arg_hash):
                note = "same module; the init argument changed, but an unchanged module is not reinstalled"
            return Result(spec.name, "canister", text, UNCHANGED, note)
        if not hosted.is_controller(self.identity.principal):
            raise DeployFailed(f"the deploy identity {self.identity.text} ({self.identity.path}) is not a controller"
                               f" of {text}; add it back as a controller (dfx canister update-settings"
                               f" --add-controller {self.identity.text}), or restore the key it had")
        if hosted.module_hash is None:
            mode, action = {"install": None}, CREATED if created else INSTALLED
            detail = f"module {new_hash.hex()[:12]}... installed"
        else:
            keep = hosted.engine.module.enhanced_orthogonal_persistence
            mode = {"upgrade": [{"skip_pre_upgrade": None,
                                 "wasm_memory_persistence": [{"keep": None}] if keep else None}]}
            action = UPGRADED
            detail = (f"module {hosted.module_hash.hex()[:12]}... -> {new_hash.hex()[:12]}..."
                      + (", main memory kept (enhanced orthogonal persistence)" if keep else ""))
        with self.storage.transaction():
            self.call("install_code", {"mode": mode, "canister_id": cid, "wasm_module": module,
                                       "arg": spec.init_arg, "sender_canister_version": None})
            self.storage.record_deploy(spec.name, new_hash, spec.init_arg_hash, self.replica.clock())
        return Result(spec.name, "canister", text, action, detail)

    def frontend(self, spec: FrontendSpec) -> Result:
        try:
            cid, created = self._ensure(spec.name, ())
        except DeployFailed as exc:
            cid = self._known(spec.name)
            return Result(spec.name, "frontend", _text(cid), FAILED, " ".join(str(exc).split()))
        return Result(spec.name, "frontend", _text(cid), CREATED if created else UNCHANGED,
                      f"serves {spec.dir}")


def _raw(p) -> bytes:
    return bytes(getattr(p, "raw", p))


def _raw_principal(text: str) -> bytes:
    from ic.principal import Principal

    return Principal.from_text(text).raw


def _text(cid: bytes | None) -> str | None:
    from ic.principal import Principal

    return None if cid is None else Principal.from_bytes(cid).to_text()


# -- .env and canister_ids.json ----------------------------------------------------------------


def env_block(deployment: Deployment, *, ii_canister_id: str, root_key: bytes) -> list[str]:
    """Our lines of `.env`, between dfx's markers, in dfx's spelling (values in single quotes)."""
    lines = [ENV_BEGIN, "DFX_NETWORK='local'", f"CANISTER_ID_INTERNET_IDENTITY='{ii_canister_id}'"]
    lines += [f"CANISTER_ID_{env_name(name)}='{cid}'" for name, cid in deployment.canisters.items()]
    lines += [f"II_CANISTER_ID='{ii_canister_id}'", f"IC_ROOT_KEY='{root_key.hex()}'", ENV_END]
    return lines


def merge_env(existing: str, block: list[str]) -> str:
    """`existing` with its dfx block replaced by `block` (appended when it has none); every
    other line is kept as it was."""
    lines = existing.splitlines()
    try:
        begin = lines.index(ENV_BEGIN)
    except ValueError:
        begin = None
    if begin is not None:
        try:
            end = lines.index(ENV_END, begin)
        except ValueError:  # a block that lost its end marker: keep what follows, start a new block
            lines, begin = lines[:begin] + lines[begin + 1:], None
        else:
            return "\n".join(lines[:begin] + block + lines[end + 1:]) + "\n"
    kept = "\n".join(lines)
    return (kept + "\n" if kept else "") + "\n".join(block) + "\n"


def merge_ids(existing: dict, deployment: Deployment, *, ii_canister_id: str) -> dict:
    """dfx's `canister_ids.json`: `{name: {network: id}}`, our names' `local` ids set."""
    out = dict(existing)
    for name, cid in {"internet_identity": ii_canister_id, **deployment.canisters}.items():
        entry = out.get(name)
        out[name] = {**(entry if isinstance(entry, dict) else {}), "local": cid}
    return out


def write_files(project: Project, deployment: Deployment, *, ii_canister_id: str, root_key: bytes) -> list[str]:
    """Write `.env` and `canister_ids.json`; the lines that say what was written (or why not)."""
    env_path, ids_path = project.env_file, project.ids_file
    try:
        existing = env_path.read_text(encoding="utf-8") if env_path.exists() else ""
        _write_if_changed(env_path, merge_env(existing, env_block(deployment, ii_canister_id=ii_canister_id,
                                                                  root_key=root_key)))
    except (OSError, UnicodeDecodeError) as exc:
        return [f"could not write {env_path}: {getattr(exc, 'strerror', None) or exc}"]
    try:
        current = json.loads(ids_path.read_text(encoding="utf-8")) if ids_path.exists() else {}
    except (OSError, ValueError) as exc:
        return [f"wrote {env_path}; left {ids_path} alone: it is not readable JSON ({exc})"]
    if not isinstance(current, dict):
        return [f"wrote {env_path}; left {ids_path} alone: it is not a JSON object"]
    try:
        _write_if_changed(ids_path, json.dumps(merge_ids(current, deployment, ii_canister_id=ii_canister_id),
                                               indent=2) + "\n")
    except OSError as exc:
        return [f"wrote {env_path}; could not write {ids_path}: {exc.strerror}"]
    return [f"canister ids written to {env_path} and {ids_path}"]


def _write_if_changed(path: Path, text: str) -> None:
    """Replace `path` atomically (its mode kept), and not at all when it already says `text`
    (a bundler watching it is not woken for nothing)."""
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        if path.exists():
            os.chmod(tmp, path.stat().st_mode & 0o7777)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


__all__ = ["Deployment", "DeployIdentity", "DeployIdentityError", "Result", "deploy", "load_or_create_identity"]
