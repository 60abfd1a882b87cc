// Boots the page before Python runs: checks the browser, loads PyScript from the vendored copy,
// and turns any failure to start the runtime into a readable message on the page.
// Python takes over in app/main.py and sets data-app-state="ready" once its first screen is up.
const root = document.documentElement;
const statusLine = document.getElementById("bootStatus");
const PYSCRIPT = "/static/vendor/pyscript-0.7.31/core.js";
// pyscript.toml's interpreter: it boots Pyodide from this browser's memory snapshot when it has one.
const INTERPRETER = "/static/pyodide-snapshot.mjs";

function setStatus(text) {
  if (statusLine && root.dataset.appState === "loading") statusLine.textContent = text;
}

function fail(message) {
  if (root.dataset.appState !== "loading") return;
  root.dataset.appState = "error";
  const box = document.getElementById("bootError");
  if (box) {
    box.textContent = message;
    box.hidden = false;
  }
  if (statusLine) statusLine.textContent = "Internet Identity could not start.";
}

function describe(reason) {
  if (reason instanceof Error) return reason.message;
  return String(reason && reason.message ? reason.message : reason);
}

// PyScript reports a failed interpreter or file load by adding an error element to the page.
new MutationObserver((records) => {
  for (const record of records) {
    for (const node of record.addedNodes) {
      if (node.nodeType === 1 && node.matches(".py-error, py-error, [data-pyscript-error]")) {
        fail("The Python runtime failed to start: " + node.textContent.trim());
      }
    }
  }
}).observe(document.documentElement, { childList: true, subtree: true });

// Pyodide only logs a warning when its wasm cannot be fetched; watch the runtime's own requests.
if (typeof PerformanceObserver === "function") {
  try {
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) {
        const status = entry.responseStatus;
        if (status >= 400 && /\/(static\/vendor\/|app\.zip|pyscript\.toml)/.test(entry.name)) {
          fail("A file of the Python runtime is missing (HTTP " + status + "): " +
               new URL(entry.name).pathname + ". Run the setup again (make run).");
        }
      }
    }).observe({ type: "resource", buffered: true });
  } catch {
    // Older engines without resource timing: the other checks below still apply.
  }
}

window.addEventListener("error", (event) => {
  if (root.dataset.appState === "loading") fail("The page failed to start: " + describe(event.error || event.message));
});
window.addEventListener("unhandledrejection", (event) => {
  if (root.dataset.appState === "loading") fail("The page failed to start: " + describe(event.reason));
});

if (typeof WebAssembly !== "object" || typeof WebAssembly.instantiate !== "function") {
  fail("This browser cannot run Internet Identity: WebAssembly is not available. " +
       "Enable WebAssembly (or JavaScript JIT) in your browser settings, or use another browser.");
} else {
  setStatus("Loading the Python runtime\u2026");
  // Start Pyodide while PyScript loads (the interpreter module is the same instance PyScript gets,
  // and hands PyScript this Pyodide; a failure is reported through PyScript).
  import(INTERPRETER).then((interpreter) => interpreter.start()).catch(() => {});
  import(PYSCRIPT)
    .then(({ hooks }) => {
      hooks.main.onReady.add(() => setStatus("Starting Internet Identity\u2026"));
    })
    .catch((error) => fail("The Python runtime could not be loaded (" + PYSCRIPT + "): " + describe(error)));
}
