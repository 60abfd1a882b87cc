// The interpreter module pyscript.toml names: Pyodide's own loadPyodide, started from a memory
// snapshot when this browser keeps one that matches this page.
//
// A snapshot is Pyodide's whole wasm memory once CPython, the standard library modules the page
// uses, cbor2 and the pure part of app/ and ic/ are imported (nothing that touches `js` or
// `pyscript`): restoring it is a memory copy instead of starting CPython and importing some 300
// modules. It is made in this browser, never downloaded: after a normal boot a worker
// (static/pyodide-snapshot-worker.mjs; a service worker where the browser allows, so that a popup
// closed by its dapp a second after it was ready still leaves one) boots a second Pyodide from
// the files the browser already holds and, once the page is ready, imports what the page
// imported; the memory is kept in Cache Storage under the key the server renders into the page
// (the Pyodide build, the app bundle and the wheels; replica/http/static.py). A first visit
// therefore downloads nothing more; the next one boots from the snapshot. A snapshot that is
// missing, of another key, fails its SHA-256 check or is refused by Pyodide is dropped, and the
// page boots the normal way without saying anything.
//
// `document.documentElement.dataset.pyodideBoot` tells which path the page took: "snapshot" or
// "normal" (tests and bench/boot.py read it); after a normal boot, `pyodideSnapshotWorker` which
// worker makes the snapshot: "service" or "dedicated".
import { loadPyodide as loadFromScratch, version } from "./vendor/pyodide-314.0.7/pyodide.mjs";
import { checkedBytes, dropSnapshots, findSnapshot, keepSnapshot } from "./pyodide-snapshot-store.mjs";

export { version };

const INDEX_URL = new URL("./vendor/pyodide-314.0.7/", import.meta.url).href;
const WORKER_URL = new URL("./pyodide-snapshot-worker.mjs", import.meta.url).href;
// A path nothing is served under: the service worker controls no page.
const WORKER_SCOPE = new URL("./pyodide-snapshot/", import.meta.url).href;
// What the page's Python had imported when it was ready, sent to the worker to import the same.
const LIST_MODULES = "import sys\n','.join(sorted(sys.modules))";
// Run after a restore: the snapshot holds the state of `random` as seeded when it was made, which
// each restored page would otherwise repeat (nothing here draws from it today; secrets and
// WebCrypto read fresh entropy every time).
const RESEED = "import sys\nif 'random' in sys.modules: sys.modules['random'].seed()";

function settings() {
  const script = document.querySelector('script[type="py"][data-snapshot-key]');
  if (!script || typeof caches === "undefined" || typeof Worker === "undefined") return null;
  try {
    return { key: script.dataset.snapshotKey, files: JSON.parse(script.dataset.snapshotFiles) };
  } catch {
    return null;
  }
}

function mark(path) {
  document.documentElement.dataset.pyodideBoot = path;
  performance.mark(`pyodide-boot:${path}`);
}

// The worker that makes the snapshot: a service worker (it outlives a popup the dapp closes as
// soon as it has its delegation), else a dedicated worker of this page. Resolves to how to talk
// to it, or null when neither can run.
async function snapshotWorker() {
  try {
    const registration = await navigator.serviceWorker.register(WORKER_URL, { type: "module", scope: WORKER_SCOPE });
    const worker = await activated(registration);
    navigator.serviceWorker.startMessages();
    return {
      keeps: true,
      post: (message) => worker.postMessage(message),
      listen: (onReply) => navigator.serviceWorker.addEventListener("message", ({ source, data }) => {
        if (source === worker) onReply(data);
      }),
      end: () => {},
    };
  } catch {
    // No service workers here (private windows, module service workers unsupported): the page's own.
  }
  try {
    const worker = new Worker(WORKER_URL, { type: "module", name: "pyodide-snapshot" });
    return {
      keeps: false,
      post: (message) => worker.postMessage(message),
      listen: (onReply) => {
        worker.onmessage = ({ data }) => onReply(data);
        worker.onerror = (event) => onReply({ ok: false, error: event.message });
      },
      end: () => worker.terminate(),
    };
  } catch {
    return null;
  }
}

function activated(registration) {
  const worker = registration.active;
  if (worker && !registration.installing && !registration.waiting) return Promise.resolve(worker);
  const pending = registration.installing ?? registration.waiting ?? worker;
  return new Promise((resolve, reject) => {
    const check = () => {
      if (pending.state === "activated") resolve(pending);
      else if (pending.state === "redundant") reject(new Error("the snapshot service worker did not start"));
    };
    pending.addEventListener("statechange", check);
    check();
  });
}

// After a normal boot: the worker boots its own Pyodide at once (on another core, while this page
// unpacks its files and shows its first screen), and once the page is ready makes the snapshot of
// what the page imported and keeps it (a service worker), or hands it to this page to keep.
async function makeSnapshotWhenReady(pyodide, { key, files }) {
  const root = document.documentElement;
  const worker = await snapshotWorker();
  if (!worker) return;
  root.dataset.pyodideSnapshotWorker = worker.keeps ? "service" : "dedicated";
  const settle = (kept, reason) => {
    worker.end();
    performance.mark(kept ? "pyodide-snapshot:kept" : "pyodide-snapshot:failed");
    if (!kept) console.info("No Pyodide snapshot was kept:", reason);
  };
  worker.listen(async (data) => {
    try {
      if (!data.ok) throw new Error(data.error);
      if (!worker.keeps) await keepSnapshot(key, data.snapshot, data.digest);
      settle(true);
    } catch (error) {
      settle(false, String(error && error.message ? error.message : error));
    }
  });
  worker.post({ kind: "boot", indexURL: INDEX_URL });
  const start = () => {
    observer.disconnect();
    let modules;
    try {
      modules = String(pyodide.runPython(LIST_MODULES)).split(",");
    } catch (error) {
      settle(false, String(error));
      return;
    }
    worker.post({ kind: "snapshot", key, files: files.map((url) => new URL(url, location.origin).href),
                  modules, indexURL: INDEX_URL });
  };
  const observer = new MutationObserver(() => {
    if (root.dataset.appState === "ready") start();
  });
  observer.observe(root, { attributes: true, attributeFilter: ["data-app-state"] });
  if (root.dataset.appState === "ready") start();
}

// `{ memory }`: the snapshot's memory, a promise read and checked while Pyodide fetches and
// compiles its wasm (Pyodide awaits it only when it sets up the memory); or null when this browser
// keeps none for this page. (Wrapped: an async function would wait for the promise it returns.)
async function pageSnapshot() {
  const snapshot = settings();
  if (!snapshot) return null;
  let response;
  try {
    response = await findSnapshot(snapshot.key);
  } catch {
    return null;  // Cache Storage refused (private mode, quota): boot the normal way.
  }
  if (!response) return null;
  const memory = checkedBytes(response).then((bytes) => {
    performance.mark("pyodide-snapshot:read");
    return new Uint8Array(bytes);
  });
  // A mismatch may come before Pyodide awaits this; it is handled there (booting the normal way),
  // not reported to the page as an unhandled rejection.
  memory.catch(() => {});
  return { memory };
}

async function boot() {
  const config = { indexURL: INDEX_URL };
  const snapshot = await pageSnapshot();
  if (snapshot) {
    try {
      const pyodide = await loadFromScratch({ ...config, _loadSnapshot: snapshot.memory });
      pyodide.runPython(RESEED);
      mark("snapshot");
      return pyodide;
    } catch (error) {
      // Tampered with (its SHA-256), or refused by Pyodide (its magic number and build id).
      console.info("The Pyodide snapshot was refused; booting the normal way:", error);
      await dropSnapshots();
    }
  }
  const pyodide = await loadFromScratch(config);
  mark("normal");
  const page = settings();
  if (page) makeSnapshotWhenReady(pyodide, page).catch(() => {});
  return pyodide;
}

let booting = null;

// Starts Pyodide (from the snapshot when there is one): static/boot.js calls this at once, while
// PyScript itself still loads its chunks and its config, which took PyScript some 300-500 ms
// before it asked for the interpreter; loadPyodide then gets the same Pyodide.
export function start() {
  booting ??= boot();
  return booting;
}

// What PyScript calls. Of its options, only the output streams matter here (it passes stdout and
// stderr, each called with a line); the rest of the configuration is this module's.
export async function loadPyodide(options = {}) {
  const pyodide = await start();
  if (options.stdout) pyodide.setStdout({ batched: options.stdout });
  if (options.stderr) pyodide.setStderr({ batched: options.stderr });
  return pyodide;
}
