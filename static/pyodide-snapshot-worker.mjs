// Makes the page's Pyodide memory snapshot (see static/pyodide-snapshot.mjs, which starts this
// worker after a normal boot).
//
// It boots a second Pyodide with the page's own files (the browser's HTTP cache holds them all by
// then: nothing new crosses the network), unpacks the page's [files] where PyScript puts them,
// imports every module the page had imported and every module of app/ and ic/ that does not touch
// the browser at import time, and hands the memory and its SHA-256 to the page, which keeps them
// in Cache Storage. (A worker's own Cache Storage write can be lost when the worker ends right
// after it: WebKitGTK then lists the entry but matches nothing.) Imports of
// `js`, `pyscript`, `polyscript` and `pyodide_js` are refused while it runs: a snapshot must not
// hold this worker's JavaScript objects, and those modules belong to the page.
import { loadPyodide } from "./vendor/pyodide-314.0.7/pyodide.mjs";

const IMPORT_ALL = `
import importlib, os, sys

class _RefuseBrowser:
    REFUSED = {"js", "pyscript", "polyscript", "pyodide_js"}

    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in self.REFUSED:
            raise ImportError(f"{name} is not imported into the snapshot")
        return None


def _modules_of(package):
    for folder, subfolders, files in os.walk(package):
        subfolders.sort()
        for name in sorted(files):
            stem, _, suffix = name.rpartition(".")
            if suffix in ("py", "pyc") and stem:
                dotted = folder.replace("/", ".")
                yield dotted if stem == "__init__" else f"{dotted}.{stem}"


def _import_all(page_modules):
    names = [*page_modules.split(","), *_modules_of("ic"), *_modules_of("app")]
    refuse = _RefuseBrowser()
    sys.meta_path.insert(0, refuse)
    imported = 0
    try:
        for name in names:
            if name in sys.modules:
                continue
            try:
                importlib.import_module(name)
                imported += 1
            except Exception:
                pass
    finally:
        sys.meta_path.remove(refuse)
    # The page unpacks its files into a new file system: let the finders look again.
    sys.path_importer_cache.clear()
    importlib.invalidate_caches()
    import gc
    gc.collect()
    return imported
`;

async function fetchBytes(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

function hex(buffer) {
  return Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, "0")).join("");
}

function boot(indexURL) {
  const quiet = () => {};
  return loadPyodide({ indexURL, _makeSnapshot: true, stdout: quiet, stderr: quiet });
}

async function makeSnapshot(pyodide, { files, modules }) {
  const home = pyodide.runPython("import os; os.getcwd()");
  for (const url of files) {
    pyodide.unpackArchive(await fetchBytes(url), "zip", { extractDir: home });
  }
  pyodide.runPython(IMPORT_ALL);
  const importAll = pyodide.globals.get("_import_all");
  importAll(modules.join(","));
  importAll.destroy();
  pyodide.runPython("del _import_all, _modules_of, _RefuseBrowser, importlib, os, sys");
  const snapshot = pyodide.makeMemorySnapshot();
  return { snapshot, digest: hex(await crypto.subtle.digest("SHA-256", snapshot)) };
}

// Two messages from the page: "boot" once its own Pyodide has loaded (the runtime's files are in
// the browser's cache by then), and "snapshot" once it is ready, with its files (fetched only
// now, when the page has them too) and the modules it imported.
let booting = null;

self.onmessage = async ({ data }) => {
  if (data.kind === "boot") {
    booting = boot(data.indexURL);
    booting.catch(() => {});  // reported when the snapshot is asked for
    return;
  }
  try {
    const { snapshot, digest } = await makeSnapshot(await (booting ?? boot(data.indexURL)), data);
    postMessage({ ok: true, snapshot, digest }, [snapshot.buffer]);
  } catch (error) {
    postMessage({ ok: false, error: String(error && error.message ? error.message : error) });
  }
};
