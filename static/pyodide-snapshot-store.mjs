// Where a browser keeps the page's Pyodide memory snapshot: Cache Storage, one entry under the
// page's snapshot key, with the SHA-256 of the memory in a header. Shared by the page
// (static/pyodide-snapshot.mjs) and the worker that makes the snapshot.
export const CACHE_NAME = "ii-pyodide-snapshot";
const DIGEST_HEADER = "x-snapshot-sha256";

function requestFor(key) {
  return new Request(new URL(`/__pyodide-snapshot/${key}`, location.origin));
}

export function hex(buffer) {
  return Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, "0")).join("");
}

// The cache entry under `key`, or null: a quick look, without reading the memory.
export async function findSnapshot(key) {
  const cache = await caches.open(CACHE_NAME);
  return (await cache.match(requestFor(key))) ?? null;
}

// The memory of an entry, once its SHA-256 checks out; rejects otherwise.
export async function checkedBytes(response) {
  const expected = response.headers.get(DIGEST_HEADER);
  const bytes = await response.arrayBuffer();
  if (!expected || hex(await crypto.subtle.digest("SHA-256", bytes)) !== expected) {
    throw new Error("the snapshot does not match its SHA-256");
  }
  return bytes;
}

// One snapshot per origin: the older ones are for other keys.
export async function keepSnapshot(key, snapshot, digest) {
  await caches.delete(CACHE_NAME);
  const cache = await caches.open(CACHE_NAME);
  await cache.put(requestFor(key), new Response(snapshot, {
    headers: { "content-type": "application/octet-stream", [DIGEST_HEADER]: digest },
  }));
}

export async function dropSnapshots() {
  try {
    await caches.delete(CACHE_NAME);
  } catch {
    // Nothing to drop.
  }
}
