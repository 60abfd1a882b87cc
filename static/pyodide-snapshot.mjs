// The interpreter module pyscript.toml names: Pyodide's own loadPyodide, started from a memory
// snapshot when this browser keeps one that matches this page.
//
// A snapshot is Pyodide's whole wasm memory once CPython, the standard library modules the page
// uses, cbor2 and the pure part of app/ and ic/ are imported (nothing that touches `js` or
// `pyscript`): restoring it is a memory copy instead of starting CPython and importing some 300
// modules. It is made in this browser, never downloaded: after a normal boot a worker
// (static/pyodide-snapshot-worker.mjs) boots a second Pyodide from the files the browser already
// holds and, once the page is ready, imports what the page imported; the page keeps that memory in
// Cache Storage under the key the server renders into it (the Pyodide build, the app bundle and
// the wheels; replica/http/static.py). A first visit therefore downloads nothing more; the next one boots from
// the snapshot. A snapshot that is missing, of another key, fails its SHA-256 check or is refused
// by Pyodide is dropped, and the page boots the normal way without saying anything.
//
// `document.documentElement.dataset.pyodideBoot` tells which path the page took: "snapshot" or
// "normal" (tests and bench/boot.py read it).
import { loadPyodide as loadFromScratch, version } from "./vendor/pyodide-314.0.7/pyodide.mjs";

export { version };

const INDEX_URL = new URL("./vendor/pyodide-314.0.7/", import.meta.url).href;
const WORKER_URL = new URL("./pyodide-snapshot-worker.mjs", import.meta.url).href;
const CACHE_NAME = "ii-pyodide-snapshot";
const DIGEST_HEADER = "x-snapshot-sha256";
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

function requestFor(key) {
  return new Request(new URL(`/__pyodide-snapshot/${key}`, location.origin));
}

function hex(buffer) {
  return Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, "0")).join("");
}

// The snapshot under `key`, or null when there is none or it does not check out (then it is
// deleted, so the next ready page makes a new one).
async function readSnapshot(key) {
  const cache = await caches.open(CACHE_NAME);
  const response = await cache.match(requestFor(key));
  if (!response) return null;
  const expected = response.headers.get(DIGEST_HEADER);
  const bytes = await response.arrayBuffer();
  if (expected && hex(await crypto.subtle.digest("SHA-256", bytes)) === expected) {
    performance.mark("pyodide-snapshot:read");
    return bytes;
  }
  await cache.delete(requestFor(key));
  return null;
}

// One snapshot per origin: the older ones are for other keys.
async function keepSnapshot(key, snapshot, digest) {
  await caches.delete(CACHE_NAME);
  const cache = await caches.open(CACHE_NAME);
  await cache.put(requestFor(key), new Response(snapshot, {
    headers: { "content-type": "application/octet-stream", [DIGEST_HEADER]: digest },
  }));
}

async function dropSnapshots() {
  try {
    await caches.delete(CACHE_NAME);
  } catch {
    // Nothing to drop.
  }
}

function mark(path) {
  document.documentElement.dataset.pyodideBoot = path;
  performance.mark(`pyodide-boot:${path}`);
}

// After a normal boot: a worker boots its own Pyodide at once (on another core, while this page
// unpacks its files and shows its first screen), and once the page is ready makes the snapshot of
// what the page imported. One worker per page; it ends when its snapshot is handed over.
function makeSnapshotWhenReady(pyodide, { key, files }) {
  const root = document.documentElement;
  const worker = new Worker(WORKER_URL, { type: "module", name: "pyodide-snapshot" });
  const settle = (kept, reason) => {
    worker.terminate();
    performance.mark(kept ? "pyodide-snapshot:kept" : "pyodide-snapshot:failed");
    if (!kept) console.info("No Pyodide snapshot was kept:", reason);
  };
  worker.onmessage = async ({ data }) => {
    try {
      if (!data.ok) throw new Error(data.error);
      await keepSnapshot(key, data.snapshot, data.digest);
      settle(true);
    } catch (error) {
      settle(false, String(error && error.message ? error.message : error));
    }
  };
  worker.onerror = (event) => settle(false, event.message);
  worker.postMessage({ kind: "boot", indexURL: INDEX_URL });
  const start = () => {
    observer.disconnect();
    let modules;
    try {
      modules = String(pyodide.runPython(LIST_MODULES)).split(",");
    } catch (error) {
      settle(false, String(error));
      return;
    }
    worker.postMessage({ kind: "snapshot", files: files.map((url) => new URL(url, location.origin).href),
                         modules, indexURL: INDEX_URL });
  };
  const observer = new MutationObserver(() => {
    if (root.dataset.appState === "ready") start();
  });
  observer.observe(root, { attributes: true, attributeFilter: ["data-app-state"] });
  if (root.dataset.appState === "ready") start();
}

let prepared = null;

// Starts reading the snapshot (Cache Storage, then its SHA-256): static/boot.js calls this while
// PyScript itself still loads, and loadPyodide awaits the same read. Resolves to the bytes or null.
export function prepare() {
  prepared ??= (async () => {
    const snapshot = settings();
    if (!snapshot) return null;
    try {
      return await readSnapshot(snapshot.key);
    } catch {
      return null;  // Cache Storage refused (private mode, quota): boot the normal way.
    }
  })();
  return prepared;
}

export async function loadPyodide(options = {}) {
  const config = { ...options, indexURL: INDEX_URL };
  const bytes = await prepare();
  prepared = Promise.resolve(null);  // the page does not keep the 30 MB once Pyodide has them
  if (bytes) {
    try {
      const pyodide = await loadFromScratch({ ...config, _loadSnapshot: new Uint8Array(bytes) });
      pyodide.runPython(RESEED);
      mark("snapshot");
      return pyodide;
    } catch (error) {
      console.info("The Pyodide snapshot was refused; booting the normal way:", error);
      await dropSnapshots();
    }
  }
  const pyodide = await loadFromScratch(config);
  mark("normal");
  const snapshot = settings();
  if (snapshot) makeSnapshotWhenReady(pyodide, snapshot);
  return pyodide;
}
