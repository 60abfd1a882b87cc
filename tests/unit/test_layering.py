"""The import boundaries of DESIGN section 2, read from the source (no import side effects).

- `ic/` is pure: no browser modules, no `app`/`replica`; server-only libraries (`cryptography`,
  the arkworks BLS binding) only inside functions, never at module level, so `ic` imports in
  Pyodide.
- `app/` reaches the browser only through `app/browser/`; it never imports the replica.
- `replica/` is CPython only: no browser modules, no `app`.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BROWSER = {"js", "pyodide", "pyscript"}
SERVER_ONLY = {"cryptography", "py_arkworks_bls12381", "uvicorn", "httptools", "brotli", "sqlite3"}
# What `ic/` may import at module level: the standard library (minus the server-only parts above)
# and cbor2, which the page loads from its pure-Python wheel.
IC_THIRD_PARTY = {"cbor2"}


def imports(path: Path) -> list[tuple[str, bool]]:
    """(top-level module, imported at module level?) for every import in `path`."""
    tree = ast.parse(path.read_text(), str(path))
    found: list[tuple[str, bool]] = []

    def visit(node: ast.AST, top: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Import):
                found.extend((alias.name.split(".")[0], top) for alias in child.names)
            elif isinstance(child, ast.ImportFrom) and child.level == 0 and child.module:
                found.append((child.module.split(".")[0], top))
            inner = top and not isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            visit(child, inner)

    visit(tree, True)
    return found


def sources(package: str) -> list[Path]:
    return sorted(p for p in (ROOT / package).rglob("*.py") if "__pycache__" not in p.parts)


def offenders(package: str, rule) -> list[str]:
    return [f"{path.relative_to(ROOT)} imports {name}{'' if top else ' (in a function)'}"
            for path in sources(package) for name, top in imports(path) if rule(path, name, top)]


def test_ic_is_pure_and_imports_in_the_browser():
    allowed = set(sys.stdlib_module_names) - SERVER_ONLY | IC_THIRD_PARTY | {"ic"}

    def bad(_path: Path, name: str, top: bool) -> bool:
        if name in BROWSER | {"app", "replica", "serve"}:
            return True
        return top and name not in allowed

    assert offenders("ic", bad) == []


def test_only_app_browser_touches_the_browser():
    def bad(path: Path, name: str, _top: bool) -> bool:
        in_browser_layer = (ROOT / "app" / "browser") in path.parents
        return (name in BROWSER and not in_browser_layer) or name in {"replica", "serve"} | SERVER_ONLY

    assert offenders("app", bad) == []


def test_app_protocol_and_flows_are_pure():
    def bad(path: Path, name: str, _top: bool) -> bool:
        return name in BROWSER

    for package in ("app/protocol", "app/ui", "ic"):
        if (ROOT / package).exists():
            assert offenders(package, bad) == []


def test_replica_never_imports_the_browser_app():
    assert offenders("replica", lambda _p, name, _t: name in BROWSER | {"app"}) == []


@pytest.mark.parametrize("source,expected", [
    ("import js\n", [("js", True)]),
    ("def f():\n    import cryptography\n", [("cryptography", False)]),
    ("from pyodide.ffi import to_js\n", [("pyodide", True)]),
    ("from . import x\n", []),
])
def test_the_import_reader_itself(tmp_path, source, expected):
    file = tmp_path / "m.py"
    file.write_text(source)
    assert imports(file) == expected
