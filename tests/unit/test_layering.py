"""The import boundaries of DESIGN section 2, read from the source (no import side effects).

- `ic/` is pure: no browser modules, no `app`/`replica`; server-only libraries (`cryptography`,
  the arkworks BLS binding) only inside functions, never at module level, so `ic` imports in
  Pyodide.
- `app/` reaches the browser only through `app/browser/`; it never imports the replica.
- `replica/` is CPython only: no browser modules, no `app`.
- No import cycles among the modules of `ic/`, `app/` and `replica/`, counting the imports inside
  functions (a lazy import is still a dependency a reader has to hold in mind).
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


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def dependencies(paths: list[Path]) -> dict[str, set[str]]:
    """module -> the modules among `paths` it imports (a package's own submodules excepted)."""
    modules = {module_name(p): p for p in paths}
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                targets = [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
            else:
                continue
            for target in targets:
                while target and target not in modules:
                    target = target.rpartition(".")[0]
                if target and target != name and not name.startswith(target + "."):
                    graph[name].add(target)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (iterative Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        while work:
            node, edges = work[-1]
            for nxt in edges:
                if nxt not in index:
                    index[nxt] = low[nxt] = len(index)
                    stack.append(nxt)
                    work.append((nxt, iter(sorted(graph[nxt]))))
                    break
                if nxt in stack:
                    low[node] = min(low[node], index[nxt])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        found.append(sorted(component))
    return found


def test_no_import_cycles():
    assert cycles(dependencies(sources("ic") + sources("app") + sources("replica"))) == []


def test_the_cycle_finder_itself(tmp_path, monkeypatch):
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    (tmp_path / "pkg").mkdir()
    files = {"a": "from pkg import b\n", "b": "def f():\n    import pkg.c\n", "c": "from pkg.a import x\n",
             "d": "import pkg.a\n", "__init__": "from pkg import a\n"}
    for name, text in files.items():
        (tmp_path / "pkg" / f"{name}.py").write_text(text)
    assert cycles(dependencies(sources("pkg"))) == [["pkg.a", "pkg.b", "pkg.c"]]


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
