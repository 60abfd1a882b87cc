// Where the backend, Internet Identity and the replica are.
//
// Served by `serve.py --project` (as an asset canister would), the page gets icp-cli's `ic_env`
// cookie: the replica's root key and `PUBLIC_CANISTER_ID:<name>` for the project's canisters.
// Served any other way, the page is told with parameters, which also override the cookie:
//   ?backend=<notes canister id>  ?ii=<II canister id, or its URL>  ?host=<replica URL>
// The defaults: the replica is this page's own port on `localhost` (where the IC HTTP interface
// answers), and II is its canister rdmx6-jaaaa-aaaaa-aaadq-cai there.
import { safeGetCanisterEnv } from "@icp-sdk/core/agent/canister-env";

export const BACKEND_NAME = "notes_backend";
const II_CANISTER_ID = "rdmx6-jaaaa-aaaaa-aaadq-cai";

export function readConfig(location = window.location) {
  const params = new URLSearchParams(location.search);
  const env = safeGetCanisterEnv() ?? {};
  const port = location.port ? `:${location.port}` : "";
  const local = location.hostname === "localhost" || location.hostname.endsWith(".localhost");
  const host = params.get("host") || (local ? `${location.protocol}//localhost${port}` : location.origin);
  const ii = params.get("ii") || env["PUBLIC_CANISTER_ID:internet_identity"] || II_CANISTER_ID;
  return {
    host,
    backendId: params.get("backend") || env[`PUBLIC_CANISTER_ID:${BACKEND_NAME}`] || "",
    iiUrl: /^https?:\/\//.test(ii) ? ii : canisterUrl(host, ii),
    // The cookie's root key belongs to the replica that served the page, not to another `?host=`.
    rootKey: params.has("host") ? undefined : env.IC_ROOT_KEY,
  };
}

// A canister's own origin on the replica at `host`: http://<id>.localhost:<port>/
function canisterUrl(host, id) {
  const url = new URL(host);
  return `${url.protocol}//${id}.localhost${url.port ? `:${url.port}` : ""}/`;
}
