// The whoami canister's interface and a call to it, shared by both demo dapps.
export const whoamiIdl = ({ IDL }) =>
  IDL.Service({
    whoami: IDL.Func([], [IDL.Principal], ["query"]),
    whoami_update: IDL.Func([], [IDL.Principal], []),
  });

// Where Internet Identity and the replica are: the whoami canister's own id comes from this page's
// host (`<id>.localhost`) or its `canisterId` parameter; II is the replica's II canister unless
// `?ii=<canister id>` or `?iiUrl=<url>` says otherwise. `?backend=<canister id>` names another
// canister with the whoami interface (say, a Motoko one installed through aaaaa-aa) that the dapp
// also calls after login, with an update and a query.
export function demoConfig() {
  const params = new URLSearchParams(location.search);
  const port = location.port ? `:${location.port}` : "";
  const host = location.hostname;
  const whoamiCanisterId = host.endsWith(".localhost") ? host.split(".").at(-2) : params.get("canisterId");
  const iiCanisterId = params.get("ii") || "rdmx6-jaaaa-aaaaa-aaadq-cai";
  return {
    iiUrl: params.get("iiUrl") || `http://${iiCanisterId}.localhost${port}/`,
    host: `${location.protocol}//localhost${port}`,
    whoamiCanisterId,
    backendCanisterId: params.get("backend") || undefined,
  };
}

// Shows the backend part of the page when `?backend=` names a canister; the links to the other
// client keep this page's parameters.
export function showBackendSection(config) {
  for (const link of document.querySelectorAll("nav a")) link.search = location.search;
  if (!config.backendCanisterId) return;
  document.querySelector("[data-tid=backend]").hidden = false;
  show("backend-id", config.backendCanisterId);
}

// The backend canister's answers: `whoami_update` (an update call: ingress, signed with the
// delegation chain, answered with a certificate) and then the `whoami` query. `Actor` is the
// dapp's own agent library's, `agent` carries the login's identity.
export async function callBackend(Actor, agent, config) {
  if (!config.backendCanisterId) return;
  try {
    const actor = Actor.createActor(whoamiIdl, { agent, canisterId: config.backendCanisterId });
    show("backend-whoami", (await actor.whoami_update()).toText());
    show("backend-whoami-query", (await actor.whoami()).toText());
  } catch (error) {
    show("error", `backend ${config.backendCanisterId} failed: ${error.message || error}`);
  }
}

export function show(tid, text) {
  const element = document.querySelector(`[data-tid=${tid}]`);
  element.textContent = text;
  element.hidden = false;
}
