// Compiles app/ and ic/ to bytecode (data files copied as they are) with the page's own Python (the vendored Pyodide, under
// Node), into static/vendor/app-bytecode/<fingerprint>.zip, which the replica serves as
// /app.zip while the sources are unchanged (replica/http/static.py). Run by tools/setup.py.
// Usage: node tools/compile_bundle.mjs <project root> <fingerprint>
import { loadPyodide } from "../node_modules/pyodide/pyodide.mjs";

const [root, fingerprint] = process.argv.slice(2);
const py = await loadPyodide();
py.FS.mkdir("/project");
py.FS.mount(py.FS.filesystems.NODEFS, { root }, "/project");
py.globals.set("fingerprint", fingerprint);
py.runPython(`
import importlib.util, marshal, os, zipfile
from pathlib import Path

root = Path("/project")
out = root / "static" / "vendor" / "app-bytecode"
out.mkdir(parents=True, exist_ok=True)
target = out / f"{fingerprint}.zip"
with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as bundle:
    for package in ("app", "ic"):
        for path in sorted((root / package).rglob("*")):
            if "__pycache__" in path.parts or path.suffix not in (".py", ".txt"):
                continue
            name = path.relative_to(root).as_posix()
            source = path.read_bytes()
            if path.suffix == ".txt":  # data read with importlib.resources, as is
                info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
                info.compress_type = zipfile.ZIP_DEFLATED
                bundle.writestr(info, source)
                continue
            code = compile(source, name, "exec", dont_inherit=True)
            # A sourceless, unchecked-hash pyc (PEP 552): imported as is, never revalidated.
            data = importlib.util.MAGIC_NUMBER + (1).to_bytes(4, "little") \\
                + importlib.util.source_hash(source) + marshal.dumps(code)
            info = zipfile.ZipInfo(name + "c", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            bundle.writestr(info, data)
print(target)
`);
