"""The authorize popup under a message flood (issue 11 item 7).

The opener answers `authorize-ready` with 1,000 junk messages (non-objects, unknown kinds,
wrong-typed envelopes, huge strings, arrays and objects, deep nesting, malformed and stray JSON-RPC,
requests from another window of the dapp's origin and from II's own window) and then, unless the
test wants only junk, one valid request: legacy `authorize-client` or ICRC-29/34. The request must
still be served, and with junk alone the 10-second "no request" timeout must still fire.
"""

from __future__ import annotations

import pytest

from tests.e2e.conftest import wait_ready
from tests.e2e.dapp import TIMEOUT, register_new_identity

JUNK_COUNT = 1000

# Installed in the opener: `window.flood(url, mode)` opens II, floods it on `authorize-ready` and
# records every message II posts back in `window.replies`. `mode` is "legacy", "icrc" or "junk".
OPENER = r"""
() => {
  const bytesToBase64 = (bytes) => btoa(String.fromCharCode(...bytes));
  const nested = (depth) => { let v = {kind: "authorize-client"}; for (let i = 0; i < depth; i++) v = [v]; return v; };
  window.junk = (i, key) => {
    const big = i % 100 === 0;
    const rpc = (extra) => ({jsonrpc: "2.0", ...extra});
    const all = [
      42, "authorize-client", null, true, 12345678901234567890n, undefined, [{kind: "authorize-client"}],
      big ? "x".repeat(1 << 22) : "junk " + i,
      big ? new Array(1 << 18).fill("authorize-client") : [i],
      {kind: "authorize-ready"}, {kind: "authorize-client-success", delegations: []},
      {kind: big ? "k".repeat(1 << 22) : "nope-" + i},
      {kind: 7}, {kind: ["authorize-client"]}, {kind: new String("authorize-client")}, {kind: {}},
      {kind: "authorize-clientX", sessionPublicKey: key}, {kind: null, sessionPublicKey: key},
      {junk: big ? new Uint8Array(1 << 22) : new Uint8Array(8), more: {a: [1, 2, {b: "c"}]}},
      big ? Object.fromEntries(Array.from({length: 1 << 16}, (_, j) => ["k" + j, j])) : {a: i},
      big ? nested(1000) : nested(3),
      new Map([["kind", "authorize-client"]]), new Set(["authorize-client"]), new Date(0),
      rpc({id: i, method: "icrc29_status", jsonrpc: "1.0"}), rpc({id: {x: i}, method: "icrc29_status"}),
      rpc({id: true, method: "icrc34_delegation"}), rpc({id: "m" + i}), rpc({id: i, method: 5}),
      rpc({id: i, method: "icrc25_permissions", params: "x"}),
      rpc({method: "icrc34_delegation", params: {publicKey: bytesToBase64(key)}}),  // a notification
      rpc({id: "q" + i, method: "icrc25_supported_standards"}), rpc({id: "u" + i, method: "nope-" + i}),
      rpc({id: "p" + i, method: big ? "m".repeat(1 << 22) : "icrc25_permissions",
           params: big ? {targets: new Array(1 << 18).fill("aaaaa-aa")} : {}}),
      {jsonrpc: big ? "2".repeat(1 << 22) : 2, id: i, method: "icrc29_status"},
    ];
    return all[i % all.length];
  };
  window.flood = async (url, mode) => {
    const pair = await crypto.subtle.generateKey({name: "ECDSA", namedCurve: "P-256"}, true, ["sign"]);
    const key = new Uint8Array(await crypto.subtle.exportKey("spki", pair.publicKey));
    window.sessionKey = Array.from(key);
    window.replies = [];
    let flooded = false;
    window.addEventListener("message", (event) => {
      if (event.source !== window.ii) return;
      window.replies.push(event.data);
      if (flooded || !event.data || event.data.kind !== "authorize-ready") return;
      flooded = true;
      for (let i = 0; i < __COUNT__; i++) {
        try { window.ii.postMessage(window.junk(i, key), "*"); } catch (e) { window.uncloneable = String(e); }
      }
      window.flooded = true;
      if (mode === "legacy") {
        window.ii.postMessage({kind: "authorize-client", sessionPublicKey: key, maxTimeToLive: 28800000000000n},
                              event.origin);
      } else if (mode === "icrc") {
        const beat = () => window.ii.postMessage({jsonrpc: "2.0", id: crypto.randomUUID(), method: "icrc29_status"},
                                                 event.origin);
        beat();
        window.heartbeat = setInterval(beat, 300);
        window.ii.postMessage({jsonrpc: "2.0", id: "the-request", method: "icrc34_delegation",
                               params: {publicKey: bytesToBase64(key), maxTimeToLive: "28800000000000"}}, event.origin);
      }
    });
    window.ii = window.open(url, "ii");
  };
}
""".replace("__COUNT__", str(JUNK_COUNT))

# Junk from other windows: a same-origin iframe of the dapp (another `event.source`) and II's own
# window (II's origin), each sending what would otherwise be a valid request for another key.
FOREIGN = r"""
([who, count]) => {
  const target = who === "self" ? window : parent.ii;
  const key = new Uint8Array(91).fill(3);
  for (let i = 0; i < count; i++) {
    target.postMessage(i % 2 ? {kind: "authorize-client", sessionPublicKey: key}
                             : {jsonrpc: "2.0", id: "f" + i, method: "icrc29_status"}, "*");
  }
}
"""


def flood(context, server, path: str, mode: str):
    """Open II at `path` from a dapp page that floods it; returns (opener, popup)."""
    opener = context.new_page()
    opener.goto(server.dapp_url())
    opener.evaluate(OPENER)
    opener.evaluate("""() => { const f = document.createElement("iframe"); f.name = "sibling";
                                document.body.append(f); }""")
    with context.expect_page(timeout=TIMEOUT) as popup_info:
        opener.evaluate("([url, mode]) => window.flood(url, mode)", [server.ii_url + path, mode])
    popup = popup_info.value
    assert wait_ready(popup) == "ready"
    opener.wait_for_function("window.flooded === true", timeout=TIMEOUT)
    assert opener.evaluate("window.uncloneable") is None  # every junk message was posted
    opener.frame(name="sibling").evaluate(FOREIGN, ["sibling", 100])
    popup.evaluate(FOREIGN, ["self", 100])
    return opener, popup


def replies(opener) -> list:
    return opener.evaluate("""() => window.replies.map(r => JSON.parse(JSON.stringify(r,
        (k, v) => typeof v === "bigint" ? v.toString() : v instanceof Uint8Array ? Array.from(v) : v)))""")


@pytest.mark.parametrize("path", ["#authorize", "authorize"])
def test_legacy_request_after_a_flood_is_served(dev_server, context, path):
    opener, popup = flood(context, dev_server, path, "legacy")
    register_new_identity(popup)
    opener.wait_for_function("window.replies.some(r => r && r.kind === 'authorize-client-success')", timeout=TIMEOUT)
    (success,) = [r for r in replies(opener) if isinstance(r, dict) and r.get("kind") == "authorize-client-success"]
    assert success["delegations"][-1]["delegation"]["pubkey"] == opener.evaluate("window.sessionKey")
    assert not [r for r in replies(opener) if isinstance(r, dict) and r.get("kind") == "authorize-client-failure"]


def test_icrc_request_after_a_flood_is_served(dev_server, context):
    opener, popup = flood(context, dev_server, "authorize", "icrc")
    register_new_identity(popup)
    opener.wait_for_function("window.replies.some(r => r && r.id === 'the-request')", timeout=TIMEOUT)
    (answer,) = [r for r in replies(opener) if isinstance(r, dict) and r.get("id") == "the-request"]
    opener.evaluate("clearInterval(window.heartbeat)")
    assert "error" not in answer, answer
    key = opener.evaluate("btoa(String.fromCharCode(...window.sessionKey))")
    assert answer["result"]["signerDelegation"][-1]["delegation"]["pubkey"] == key


@pytest.mark.parametrize("path", ["#authorize", "authorize"])
def test_junk_alone_still_times_out(dev_server, context, path):
    opener, popup = flood(context, dev_server, path, "junk")
    popup.locator("[data-role=failure-title]").wait_for(timeout=30_000)  # the 10 s request timeout
    assert "no sign-in request" in popup.locator("#errorContainer").text_content()
