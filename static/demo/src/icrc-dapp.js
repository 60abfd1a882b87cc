// Demo dapp on @icp-sdk/auth: ICRC-29 window transport with ICRC-25/34 JSON-RPC.
import { AuthClient } from "@icp-sdk/auth/client";
import { Actor, HttpAgent } from "@icp-sdk/core/agent";
import { IDL } from "@icp-sdk/core/candid";
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

// ii-icrc3-attributes: the sign-in and the attribute request go out together, so one II window
// answers both. The result is the Candid-encoded ICRC-3 Value map II certified and its signature.
const Icrc3Value = IDL.Rec();
Icrc3Value.fill(IDL.Variant({
  Nat: IDL.Nat, Int: IDL.Int, Blob: IDL.Vec(IDL.Nat8), Text: IDL.Text,
  Array: IDL.Vec(Icrc3Value), Map: IDL.Vec(IDL.Tuple(IDL.Text, Icrc3Value)),
}));
const toBase64 = (bytes) => btoa(String.fromCharCode(...bytes));
const describe = (value) =>
  "Text" in value ? value.Text : "Blob" in value ? toBase64(value.Blob) : "Nat" in value ? String(value.Nat) : JSON.stringify(value);

document.querySelector("[data-tid=attributes]").hidden = false;
document.querySelector("[data-tid=attributes-button]").addEventListener("click", async () => {
  const keys = (params.get("attributes") || "name").split(",").filter(Boolean);
  const nonce = crypto.getRandomValues(new Uint8Array(32));
  show("attributes-nonce", toBase64(nonce));
  try {
    const [identity, { data, signature }] = await Promise.all([
      client.signIn(),
      client.requestAttributes({ keys, nonce }),
    ]);
    show("principal", identity.getPrincipal().toText());
    // The signature's public key: the user key the delegation chain starts from (the dapp's principal).
    show("attributes-user-key", toBase64(new Uint8Array(identity.getDelegation().publicKey)));
    show("attributes-data", toBase64(data));
    show("attributes-signature", toBase64(signature));
    const [value] = IDL.decode([Icrc3Value], data);
    show("attributes-decoded", value.Map.map(([key, v]) => `${key} = ${describe(v)}`).join("\n"));
  } catch (error) {
    show("error", `attributes failed: ${error.message || error}`);
  }
});
document.documentElement.dataset.dappReady = "true";
