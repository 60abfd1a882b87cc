// Demo dapp on @icp-sdk/auth: ICRC-29 window transport with ICRC-25/34 JSON-RPC.
import { AuthClient } from "@icp-sdk/auth/client";
import { Actor, HttpAgent } from "@icp-sdk/core/agent";
import { callBackend, demoConfig, show, showBackendSection, whoamiIdl } from "./whoami.js";

const config = demoConfig();
showBackendSection(config);
const params = new URLSearchParams(location.search);
const client = new AuthClient({
  identityProvider: new URL("authorize", config.iiUrl).toString(),
  derivationOrigin: params.get("derivationOrigin") || undefined,
  idleOptions: { disableIdle: true },
});

document.querySelector("[data-tid=login-button]").addEventListener("click", async () => {
  try {
    const identity = await client.signIn();
    show("principal", identity.getPrincipal().toText());
    const agent = await HttpAgent.create({ host: config.host, identity, shouldFetchRootKey: true });
    const actor = Actor.createActor(whoamiIdl, { agent, canisterId: config.whoamiCanisterId });
    show("whoami", (await actor.whoami()).toText());
    await callBackend(Actor, agent, config);
  } catch (error) {
    show("error", `login failed: ${error.message || error}`);
  }
});
document.documentElement.dataset.dappReady = "true";
