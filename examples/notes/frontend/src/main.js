// The notes dapp: sign in with Internet Identity (@dfinity/auth-client), then call the notes
// canister (@dfinity/agent) as the principal II gave this origin.
//
// User text only ever reaches the page through `textContent` and form values.
import { AuthClient } from "@dfinity/auth-client";
import { Actor, AnonymousIdentity, HttpAgent } from "@dfinity/agent";
import { readConfig } from "./config.js";
import { idlFactory } from "./notes.idl.js";

const config = readConfig();
const $ = (tid, root = document) => root.querySelector(`[data-tid=${tid}]`);

let authClient;
let backend; // the notes canister's actor, with the signed-in identity
let limits = { max_note_chars: 2000, max_notes: 100 };

// --- talking to the replica ---------------------------------------------------------------------

async function actorFor(identity) {
  const agent = await HttpAgent.create({
    host: config.host,
    identity,
    // A local replica's root key: from the ic_env cookie, else asked of the replica itself.
    ...(config.rootKey ? { rootKey: config.rootKey } : { shouldFetchRootKey: true }),
  });
  return Actor.createActor(idlFactory, { agent, canisterId: config.backendId });
}

// The canister's own words for a refusal (a reject or a trap), else the agent's message.
function describe(error) {
  const code = error?.cause?.code ?? error?.code;
  const message = typeof code?.rejectMessage === "string" ? code.rejectMessage : String(error?.message ?? error);
  const trapped = /with message: '([\s\S]*)'/.exec(message);
  return trapped ? trapped[1] : message;
}

// Runs `work` with the page marked busy; a failure is shown in the error banner.
async function attempt(what, work) {
  document.documentElement.dataset.busy = "true";
  try {
    const result = await work();
    showError("");
    return result;
  } catch (error) {
    console.error(what, error);
    showError(`${what}: ${describe(error)}`);
    return undefined;
  } finally {
    document.documentElement.dataset.busy = "false";
  }
}

function showError(text) {
  $("error").textContent = text;
  $("error").hidden = !text;
  if (text) $("error").scrollIntoView({ block: "nearest" });
}

// --- signing in and out -------------------------------------------------------------------------

function showSignedOut() {
  backend = undefined;
  $("who").hidden = true;
  $("signed-in").hidden = true;
  $("signed-out").hidden = false;
  $("notes").replaceChildren();
  document.documentElement.dataset.signedIn = "false";
}

async function showSignedIn() {
  const identity = authClient.getIdentity();
  const ready = await attempt("Connecting to the notes canister", async () => {
    backend = await actorFor(identity);
    const answer = await backend.limits();
    limits = { max_note_chars: Number(answer.max_note_chars), max_notes: Number(answer.max_notes) };
    return true;
  });
  if (!ready) return;
  $("principal").textContent = identity.getPrincipal().toText();
  $("principal").title = `Your principal for this dapp: ${identity.getPrincipal().toText()}`;
  $("who").hidden = false;
  $("signed-out").hidden = true;
  $("signed-in").hidden = false;
  document.documentElement.dataset.signedIn = "true";
  updateLength();
  await refresh();
}

function login() {
  authClient.login({
    identityProvider: config.iiUrl,
    onSuccess: () => showSignedIn(),
    onError: (error) => showError(`Sign-in failed: ${error ?? "the window was closed"}`),
  });
}

async function logout() {
  await authClient.logout();
  showError("");
  showSignedOut();
}

// What anyone who has not signed in gets: the canister refuses the anonymous principal.
async function askAnonymously() {
  await attempt("Without signing in", async () => {
    const notes = await (await actorFor(new AnonymousIdentity())).list();
    throw new Error(`the canister answered with ${notes.length} notes`);
  });
}

// --- the notes ----------------------------------------------------------------------------------

async function refresh() {
  const notes = await attempt("Loading your notes", () => backend.list());
  if (notes) render(notes);
}

function render(notes) {
  const list = $("notes");
  const newestFirst = [...notes].sort((a, b) => (a.id < b.id ? 1 : -1));
  list.replaceChildren(...newestFirst.map(noteItem));
  list.dataset.count = String(notes.length);
  $("empty").hidden = notes.length > 0;
  $("notes-count").textContent = notes.length
    ? `${notes.length} of at most ${limits.max_notes} notes` : "";
}

function noteItem(note) {
  const item = document.getElementById("note-template").content.firstElementChild.cloneNode(true);
  item.dataset.noteId = note.id.toString();
  $("note-text", item).textContent = note.text;
  const created = nanosToDate(note.created);
  const time = $("note-time", item);
  time.dateTime = created.toISOString();
  time.textContent = created.toLocaleString()
    + (note.updated !== note.created ? ` · edited ${nanosToDate(note.updated).toLocaleString()}` : "");

  const input = $("edit-input", item);
  const editing = (on) => {
    for (const tid of ["note-text", "edit-button", "delete-button"]) $(tid, item).hidden = on;
    for (const tid of ["edit-input", "save-button", "cancel-button"]) $(tid, item).hidden = !on;
    item.classList.toggle("editing", on);
  };
  $("edit-button", item).addEventListener("click", () => {
    input.value = note.text;
    editing(true);
    input.focus();
  });
  $("cancel-button", item).addEventListener("click", () => editing(false));
  $("save-button", item).addEventListener("click", async () => {
    if (await changing(item, "Saving the note", () => backend.update(note.id, input.value))) await refresh();
  });
  $("delete-button", item).addEventListener("click", async () => {
    if (await changing(item, "Deleting the note", () => backend.remove(note.id))) await refresh();
  });
  return item;
}

// An update call from a note's buttons, which stay disabled until the canister answered.
async function changing(item, what, work) {
  const buttons = item.querySelectorAll("button");
  for (const button of buttons) button.disabled = true;
  const done = await attempt(what, async () => { await work(); return true; });
  for (const button of buttons) button.disabled = false;
  return done;
}

async function addNote(event) {
  event.preventDefault();
  const input = $("note-input");
  const button = $("add-button");
  button.disabled = true;
  const id = await attempt("Adding the note", () => backend.add(input.value));
  button.disabled = false;
  if (id === undefined) return;
  input.value = "";
  updateLength();
  await refresh();
}

function updateLength() {
  const length = [...$("note-input").value].length; // characters, as the canister counts them
  $("note-length").textContent = `${length} / ${limits.max_note_chars}`;
  $("note-length").classList.toggle("over", length > limits.max_note_chars);
}

function nanosToDate(nanos) {
  return new Date(Number(BigInt(nanos) / 1_000_000n));
}

// --- start --------------------------------------------------------------------------------------

async function start() {
  $("backend-id").textContent = config.backendId || "(none)";
  $("ii-url").textContent = config.iiUrl;
  $("host").textContent = config.host;
  $("login-button").addEventListener("click", login);
  $("logout-button").addEventListener("click", logout);
  $("anonymous-button").addEventListener("click", askAnonymously);
  $("add-form").addEventListener("submit", addNote);
  $("note-input").addEventListener("input", updateLength);
  $("note-input").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) $("add-form").requestSubmit();
  });

  showSignedOut();
  if (!config.backendId) {
    showError("No notes canister: open this page from `serve.py --project examples/notes/ii-project.toml`, "
      + "or add ?backend=<canister id> to its URL.");
    for (const button of document.querySelectorAll("button")) button.disabled = true;
    return;
  }
  authClient = await AuthClient.create();
  if (await authClient.isAuthenticated()) await showSignedIn();
}

start().finally(() => { document.documentElement.dataset.dappReady = "true"; });
