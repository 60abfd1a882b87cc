// The whoami canister's interface and a call to it, shared by both demo dapps.
export const whoamiIdl = ({ IDL }) =>
  IDL.Service({
    whoami: IDL.Func([], [IDL.Principal], ["query"]),
    whoami_update: IDL.Func([], [IDL.Principal], []),
  });

// Where Internet Identity and the replica are: the whoami canister's own id comes from this page's
// host (`<id>.localhost`) or its `canisterId` parameter; II is the replica's II canister unless
// `?ii=<canister id>` or `?iiUrl=<url>` says otherwise.
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
  };
}

export function show(tid, text) {
  const element = document.querySelector(`[data-tid=${tid}]`);
  element.textContent = text;
  element.hidden = false;
}
