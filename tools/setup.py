#!/usr/bin/env python3
"""One idempotent setup step behind both README commands (`make run`, `make test`).

Each step records a fingerprint of its inputs and is skipped when nothing changed, so a second run
takes about a second:

1. `.venv`: a virtualenv with the exact pins of `pyproject.toml` (runtime + test extras).
2. `node_modules`: `npm ci` from `package-lock.json` (and `tests/interop/` when it exists).
3. `static/vendor/`: the browser runtime, generated, never committed:
   - Pyodide and PyScript copied from the pinned npm packages into versioned folders;
   - the pure-Python cbor2 wheel (the same pin as the server's) that PyScript unpacks in the page,
     and segno's, which the page loads when it first shows a QR code;
   - the BLS12-381 verifier from `@noble/curves`, bundled by esbuild into one ESM file;
   - brotli and gzip copies of the big files, which the server sends when the browser accepts them.
4. `examples/notes/build/`: the notes example dapp, its Motoko backend compiled by the pinned npm
   `motoko` (`notes.wasm`, `notes.did`) and its frontend bundled by esbuild (`dist/`).
5. `--browsers`: the Debian packages the browser tests drive, when missing: Chromium, Firefox ESR,
   WebKitGTK's WebDriver (Safari's engine) and Xvfb.

Only the standard library is used here: this runs before the virtualenv exists.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"
VENV_PY = VENV / "bin" / "python"
VENDOR = ROOT / "static" / "vendor"
BLS_ENTRY = ROOT / "static" / "src" / "bls_verify.js"
DEMO = ROOT / "static" / "demo"
NOTES = ROOT / "examples" / "notes"
STAMP_DIR = ROOT / ".setup-stamps"
CHROMIUM = Path("/usr/bin/chromium")

# Files of the Pyodide npm package that the page needs (no packages are loaded from its lock file).
PYODIDE_FILES = ("pyodide.mjs", "pyodide.asm.mjs", "pyodide.asm.wasm", "python_stdlib.zip",
                 "pyodide-lock.json")
COMPRESSIBLE = (".wasm", ".mjs", ".js", ".json", ".css", ".whl", ".html", ".toml")
COMPRESS_MIN_BYTES = 1024


def log(message: str) -> None:
    print(f"setup: {message}", flush=True)


def run(*cmd: str | Path, cwd: Path = ROOT) -> None:
    subprocess.run([str(c) for c in cmd], cwd=cwd, check=True)


def fingerprint(*parts: object) -> str:
    h = hashlib.sha256()
    for part in parts:
        if isinstance(part, Path):
            h.update(part.read_bytes() if part.exists() else b"<missing>")
        else:
            h.update(repr(part).encode())
        h.update(b"\0")
    return h.hexdigest()


class Step:
    """A step that runs only when the fingerprint of its inputs changed since it last succeeded."""

    def __init__(self, name: str, fp: str, outputs: tuple[Path, ...]):
        self.name, self.fp, self.outputs = name, fp, outputs
        self.stamp = STAMP_DIR / f"{name}.sha256"

    def up_to_date(self) -> bool:
        return (self.stamp.exists() and self.stamp.read_text() == self.fp
                and all(p.exists() for p in self.outputs))

    def done(self) -> None:
        STAMP_DIR.mkdir(exist_ok=True)
        self.stamp.write_text(self.fp)


def python_requirements() -> list[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return list(project["dependencies"]) + list(project["optional-dependencies"]["test"])


def pinned(requirements: list[str], name: str) -> str:
    for req in requirements:
        if req.lower().startswith(name + "=="):
            return req.split("==", 1)[1]
    raise SystemExit(f"setup: pyproject.toml must pin {name} exactly (found none)")


def setup_venv() -> None:
    reqs = python_requirements()
    step = Step("venv", fingerprint(reqs, sys.version_info[:2]), (VENV_PY,))
    if step.up_to_date():
        return
    if not VENV_PY.exists():
        log("creating .venv")
        run(sys.executable, "-m", "venv", VENV)
    log("installing Python packages (exact pins from pyproject.toml)")
    run(VENV_PY, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *reqs)
    step.done()


def npm_ci(folder: Path) -> None:
    lock = folder / "package-lock.json"
    if not lock.exists():
        return
    name = "npm-" + ("root" if folder == ROOT else folder.relative_to(ROOT).as_posix().replace("/", "-"))
    step = Step(name, fingerprint(lock, folder / "package.json"), (folder / "node_modules",))
    if step.up_to_date():
        return
    if shutil.which("npm") is None:
        raise SystemExit("setup: npm is missing; install Node.js 20+ (Debian: apt-get install nodejs npm)")
    log(f"npm ci in {folder.relative_to(ROOT) if folder != ROOT else '.'}")
    run("npm", "ci", "--no-audit", "--no-fund", "--loglevel=error", cwd=folder)
    step.done()


def npm_version(package: str) -> str:
    return json.loads((ROOT / "node_modules" / package / "package.json").read_text())["version"]


def vendor_paths() -> dict[str, Path]:
    """The versioned vendor folders; index.html and pyscript.toml name the same ones (a test checks)."""
    return {
        "pyodide": VENDOR / f"pyodide-{npm_version('pyodide')}",
        "pyscript": VENDOR / f"pyscript-{npm_version('@pyscript/core')}",
        "wheels": VENDOR / "wheels",
        "bls": VENDOR / f"noble-bls-{npm_version('@noble/curves')}.mjs",
    }


def copy_runtime(paths: dict[str, Path]) -> None:
    pyodide_src = ROOT / "node_modules" / "pyodide"
    paths["pyodide"].mkdir(parents=True)
    for name in PYODIDE_FILES:
        shutil.copy2(pyodide_src / name, paths["pyodide"] / name)
    # PyScript's dist: its core and the chunks it imports lazily; no source maps.
    shutil.copytree(ROOT / "node_modules" / "@pyscript" / "core" / "dist", paths["pyscript"],
                    ignore=shutil.ignore_patterns("*.map"))


def download_wheel(paths: dict[str, Path], name: str, version: str) -> None:
    """The pure-Python wheel of a pin (cbor2: the server's; segno: the tests'), under a stable name
    so pyscript.toml and the page do not change with the wheel's tags."""
    paths["wheels"].mkdir(parents=True, exist_ok=True)
    run(VENV_PY, "-m", "pip", "download", "--quiet", "--disable-pip-version-check", "--no-deps",
        "--only-binary=:all:", "--platform", "any", "--implementation", "py",
        "--python-version", "3.14", "--dest", paths["wheels"], f"{name}=={version}")
    wheels = list(paths["wheels"].glob(f"{name}-*-py3-none-any.whl"))
    if len(wheels) != 1:
        raise SystemExit(f"setup: expected one pure-Python {name} {version} wheel, found {wheels}")
    wheels[0].rename(paths["wheels"] / f"{name}.whl")


def bundle_bls(paths: dict[str, Path]) -> None:
    run(ROOT / "node_modules" / ".bin" / "esbuild", BLS_ENTRY, "--bundle", "--format=esm",
        "--minify", "--target=es2022", "--legal-comments=none", f"--outfile={paths['bls']}")


def precompress(folder: Path) -> None:
    """Write `.br` and `.gz` beside each big text/wasm file (runs in the venv, which has brotli)."""
    import brotli
    for path in sorted(folder.rglob("*")):
        if not path.is_file() or path.suffix not in COMPRESSIBLE or path.stat().st_size < COMPRESS_MIN_BYTES:
            continue
        data = path.read_bytes()
        path.with_name(path.name + ".br").write_bytes(brotli.compress(data, quality=11))
        path.with_name(path.name + ".gz").write_bytes(gzip.compress(data, compresslevel=9, mtime=0))


def setup_vendor() -> None:
    reqs = python_requirements()
    wheels = {name: pinned(reqs, name) for name in ("cbor2", "segno")}
    step = Step("vendor", fingerprint(ROOT / "package-lock.json", sorted(wheels.items()), BLS_ENTRY,
                                      Path(__file__)), (VENDOR,))
    if step.up_to_date():
        return
    log("building static/vendor (Pyodide, PyScript, cbor2 and segno wheels, BLS bundle, precompression)")
    if VENDOR.exists():
        shutil.rmtree(VENDOR)
    paths = vendor_paths()
    copy_runtime(paths)
    for name, version in wheels.items():
        download_wheel(paths, name, version)
    bundle_bls(paths)
    run(VENV_PY, __file__, "--precompress-only")
    step.done()


# Served as they are: the dapps' /.well-known/ii-app-metadata (the whoami canister answers that path
# with this file) and the logo it names.
DEMO_FILES = ("ii-app-metadata.json", "logo.png")


def setup_demo() -> None:
    """The demo dapps the whoami canister serves: each page with its esbuild bundle."""
    sources = sorted((DEMO / "src").glob("*.js"))
    out = VENDOR / "demo"
    step = Step("demo", fingerprint(DEMO / "package-lock.json", DEMO / "index.html", DEMO / "demo.css",
                                    *(DEMO / name for name in DEMO_FILES), *sources, Path(__file__)), (out,))
    if step.up_to_date():
        return
    log("bundling the demo dapps (@dfinity/auth-client, @icp-sdk/auth)")
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    template = (DEMO / "index.html").read_text()
    for page, bundle in (("index.html", "legacy-dapp.mjs"), ("icrc.html", "icrc-dapp.mjs")):
        run(DEMO / "node_modules" / ".bin" / "esbuild", DEMO / "src" / bundle.replace(".mjs", ".js"),
            "--bundle", "--format=esm", "--minify", "--target=es2022", "--legal-comments=none",
            "--log-level=warning", f"--outfile={out / bundle}")
        (out / page).write_text(template.replace("/DAPP_BUNDLE", "/" + bundle))
    shutil.copy2(DEMO / "demo.css", out / "demo.css")
    for name in DEMO_FILES:
        shutil.copy2(DEMO / name, out / name)
    step.done()


def setup_notes() -> None:
    """The notes example dapp (examples/notes/ii-project.toml names these files): the backend's Wasm
    and Candid from the root's pinned `motoko` (about 10 s, only when notes.mo or the compiler
    changed), and the frontend bundled from the demo dapps' node_modules (the same pinned
    @dfinity/agent, @dfinity/auth-client and @icp-sdk/core; well under a second)."""
    build = NOTES / "build"
    compile_script = NOTES / "backend" / "compile.mjs"
    backend = Step("notes-backend", fingerprint(ROOT / "package-lock.json", NOTES / "backend" / "notes.mo",
                                                compile_script), (build / "notes.wasm", build / "notes.did"))
    if not backend.up_to_date():
        log("compiling the notes example's Motoko backend (examples/notes/build/notes.wasm)")
        run("node", compile_script, build)
        backend.done()

    frontend = NOTES / "frontend"
    sources = sorted((frontend / "src").glob("*.js"))
    dist = build / "dist"
    step = Step("notes-frontend", fingerprint(DEMO / "package-lock.json", frontend / "index.html",
                                              frontend / "notes.css", *sources, Path(__file__)), (dist,))
    if step.up_to_date():
        return
    log("bundling the notes example's frontend (examples/notes/build/dist)")
    if dist.exists():
        shutil.rmtree(dist)
    dist.mkdir(parents=True)
    # The packages resolve from static/demo/node_modules (NODE_PATH), so the example needs no
    # node_modules of its own.
    subprocess.run([str(DEMO / "node_modules" / ".bin" / "esbuild"), str(frontend / "src" / "main.js"),
                    "--bundle", "--format=esm", "--minify", "--target=es2022", "--legal-comments=none",
                    "--log-level=warning", f"--outfile={dist / 'main.js'}"],
                   cwd=ROOT, check=True, env=dict(os.environ, NODE_PATH=str(DEMO / "node_modules")))
    for name in ("index.html", "notes.css"):
        shutil.copy2(frontend / name, dist / name)
    step.done()


def compile_app_bundle() -> None:
    """Bytecode of app/ and ic/ compiled by the page's own Python, named by the sources' fingerprint;
    the replica serves it while the sources match (and the plain sources otherwise)."""
    fingerprint = subprocess.run(
        [str(VENV_PY), "-c", "import sys; from pathlib import Path; "
         "from replica.http.static import bundle_sources, sources_fingerprint; "
         "print(sources_fingerprint(bundle_sources(Path(sys.argv[1]))))", str(ROOT)],
        cwd=ROOT, check=True, capture_output=True, text=True).stdout.strip()
    out = VENDOR / "app-bytecode"
    if (out / f"{fingerprint}.zip").exists():
        return
    log("compiling app/ and ic/ to bytecode with the vendored Pyodide")
    for stale in out.glob("*.zip") if out.exists() else ():
        stale.unlink()
    run("node", ROOT / "tools" / "compile_bundle.mjs", ROOT, fingerprint)


# The browser tests' engines: Debian package -> a file it installs (the test command installs them).
BROWSER_PACKAGES = {
    "chromium": CHROMIUM,
    "webkit2gtk-driver": Path("/usr/bin/WebKitWebDriver"),   # WebKitGTK (Safari's engine) + MiniBrowser
    "xvfb": Path("/usr/bin/Xvfb"),                           # the display WebKitGTK needs
    "firefox-esr": Path("/usr/bin/firefox-esr"),             # Firefox, driven over Marionette (passkeys too)
}


def setup_browsers() -> None:
    missing = [package for package, path in BROWSER_PACKAGES.items() if not path.exists()]
    if not missing:
        return
    log(f"installing Debian packages for the browser tests (apt-get): {' '.join(missing)}")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    try:
        if os.geteuid() != 0:
            raise PermissionError("not root")
        subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
        subprocess.run(["apt-get", "install", "-y", "-qq", *missing], check=True, env=env)
    except (OSError, subprocess.CalledProcessError) as exc:
        raise SystemExit(
            f"setup: could not install {' '.join(missing)} ({exc}).\n"
            "  The browser tests need Debian's Chromium, Firefox ESR, WebKitGTK's WebDriver and Xvfb. Install them with\n"
            f"    sudo apt-get update && sudo apt-get install {' '.join(missing)}\n"
            "  then run the command again.") from exc


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--browsers", action="store_true",
                        help="also install the browsers of the e2e tests (Chromium, Firefox ESR, WebKitGTK, Xvfb)")
    parser.add_argument("--precompress-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.precompress_only:
        precompress(VENDOR)
        return
    setup_venv()
    npm_ci(ROOT)
    for extra in (ROOT / "tests" / "interop", DEMO):
        npm_ci(extra)
    setup_vendor()
    setup_demo()
    setup_notes()
    compile_app_bundle()
    if args.browsers:
        setup_browsers()


if __name__ == "__main__":
    main()
