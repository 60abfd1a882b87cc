// Makes the page's Pyodide memory snapshot (see static/pyodide-snapshot.mjs, which hands this
// module its work after a normal boot).
//
// It runs as a service worker when the browser allows one of modules, else as a dedicated worker
// of the page. A service worker outlives the page that asked: a dapp's popup is closed by the
// dapp the moment the delegation arrives, often a second after the popup was ready, and the
// snapshot is still made and kept for the next popup. Its scope is a path nothing is served
// under, so it controls no page and sees none of the page's requests.
//
// It boots a second Pyodide with the page's own files (the browser's HTTP cache holds them all by
// then: nothing new crosses the network), unpacks the page's [files] where PyScript puts them,
// imports every module the page had imported and every module of app/ and ic/ that does not touch
// the browser at import time, and keeps the memory and its SHA-256 in Cache Storage. As a
// dedicated worker it hands them to the page, which keeps them (a dedicated worker's own Cache
// Storage write can be lost when the worker ends right after it: WebKitGTK then lists the entry
// but matches nothing). Imports of `js`, `pyscript`, `polyscript` and `pyodide_js` are refused
// while it runs: a snapshot must not hold this worker's JavaScript objects, and those modules
// belong to the page.
//
// Pyodide is imported statically and given its module factory (`createPyodideModule`): a service
// worker may not `import()`.
import { loadPyodide } from "./vendor/pyodide-314.0.7/pyodide.mjs";
import createPyodideModule from "./vendor/pyodide-314.0.7/pyodide.asm.mjs";
import { findSnapshot, hex, keepSnapshot } from "./pyodide-snapshot-store.mjs";

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

const IN_SERVICE_WORKER = typeof ServiceWorkerGlobalScope !== "undefined"
  && self instanceof ServiceWorkerGlobalScope;

async function fetchBytes(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

function boot(indexURL) {
  const quiet = () => {};
  return loadPyodide({ indexURL, createPyodideModule, _makeSnapshot: true, stdout: quiet, stderr: quiet });
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
// the browser's cache by then), and "snapshot" once it is ready, with its key, its files (fetched
// only now, when the page has them too) and the modules it imported. A service worker may be
// ended between the two when the page waits long; "snapshot" then boots anew.
let booting = null;
// The snapshot being made, by key: pages that ask while one is made wait for it (service worker).
const making = new Map();

function started(indexURL) {
  booting ??= boot(indexURL);
  booting.catch(() => {});  // reported when the snapshot is asked for
  return booting;
}

// As a service worker: make and keep the snapshot unless one for this key is kept already (a
// quick look: a page that finds it bad drops it before it boots the normal way and asks).
function keepFor(data) {
  if (!making.has(data.key)) {
    const work = (async () => {
      if (await findSnapshot(data.key)) return;
      const { snapshot, digest } = await makeSnapshot(await started(data.indexURL), data);
      await keepSnapshot(data.key, snapshot, digest);
    })();
    making.set(data.key, work);
    // The interpreter is used up once it made a snapshot (its imports are in it): drop it.
    work.finally(() => { booting = null; making.delete(data.key); }).catch(() => {});
  }
  return making.get(data.key);
}

function describe(error) {
  return String(error && error.message ? error.message : error);
}

async function answer(data, reply) {
  if (data.kind === "boot") {
    await started(data.indexURL).catch(() => {});
    return;
  }
  try {
    if (IN_SERVICE_WORKER) {
      await keepFor(data);
      reply({ ok: true, kept: true });
    } else {
      const { snapshot, digest } = await makeSnapshot(await started(data.indexURL), data);
      reply({ ok: true, snapshot, digest }, [snapshot.buffer]);
    }
  } catch (error) {
    reply({ ok: false, error: describe(error) });
  }
}

if (IN_SERVICE_WORKER) {
  // Nothing to cache at install and no page to control: active at once.
  self.addEventListener("install", () => self.skipWaiting());
  self.addEventListener("message", (event) => {
    // The work holds the worker alive after the page that asked is gone (its reply then is lost).
    const reply = (message) => { try { event.source?.postMessage(message); } catch { /* page gone */ } };
    event.waitUntil(answer(event.data, reply));
  });
} else {
  self.onmessage = ({ data }) => answer(data, (message, transfer) => postMessage(message, transfer));
}
