// Demo dapp on @dfinity/auth-client 3.x: the legacy `authorize-client` postMessage protocol.
import { AuthClient } from "@dfinity/auth-client";
import { Actor, HttpAgent } from "@dfinity/agent";
import { callBackend, demoConfig, show, showBackendSection, whoamiIdl } from "./whoami.js";

const config = demoConfig();
showBackendSection(config);

async function callWhoami(agent) {
  const actor = Actor.createActor(whoamiIdl, { agent, canisterId: config.whoamiCanisterId });
  return (await actor.whoami()).toText();
}

document.querySelector("[data-tid=login-button]").addEventListener("click", async () => {
  const client = await AuthClient.create();
  const params = new URLSearchParams(location.search);
  await client.login({
    identityProvider: config.iiUrl,
    maxTimeToLive: params.has("ttl") ? BigInt(params.get("ttl")) : undefined,
    derivationOrigin: params.get("derivationOrigin") || undefined,
    customValues: params.has("autoSelectionPrincipal")
      ? { autoSelectionPrincipal: params.get("autoSelectionPrincipal") } : undefined,
    onSuccess: async () => {
      const identity = client.getIdentity();
      show("principal", identity.getPrincipal().toText());
      let agent;
      try {
        agent = await HttpAgent.create({ host: config.host, identity, shouldFetchRootKey: true });
        show("whoami", await callWhoami(agent));
      } catch (error) {
        show("error", `whoami failed: ${error.message || error}`);
      }
      if (agent) await callBackend(Actor, agent, config);
    },
    onError: (error) => show("error", `login failed: ${error}`),
  });
});
document.documentElement.dataset.dappReady = "true";
