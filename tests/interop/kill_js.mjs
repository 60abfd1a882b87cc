// Interop test of issue 12: the real @dfinity/agent 3.x (shouldFetchRootKey, DEFAULT verification)
// fires concurrent update calls at a Motoko journal canister (journal.mo) while the test kills the
// replica with SIGKILL; test_agent_js_kill.py then checks that every acknowledged call survived.
//
// Usage:
//   node kill_js.mjs setup <url> <journal.wasm> <seed hex>
//       creates the canister (controller: the Ed25519 identity of the seed) and installs the module;
//       prints one JSON line {"rootKey", "principal", "canisterId"}.
//   node kill_js.mjs fire <url> <canister id> <seed hex> <base> <concurrency> <pad bytes> <max calls>
//       keeps <concurrency> calls append(base + i, pad) in flight; prints "ack <value> <reply> <ms>"
//       the moment each call has its certified reply, "fail <value> <ms> <reason>" for each that
//       fails (ms: since the first call);
//       after the first failure sends no new call, waits for those in flight, then prints one JSON
//       line {"summary": {...}} and exits 0.
//   node kill_js.mjs check <url> <canister id> <seed hex> <base> <extra calls>
//       reads the state back (queries with verified signatures, read_state with certificates),
//       then makes <extra calls> more appends of base, base + 1, ...; prints one JSON line.
// Any unexpected error: "FAIL ..." on stderr and a non-zero exit.

import { readFileSync } from 'node:fs';
import { Actor, CanisterStatus, HttpAgent } from '@dfinity/agent';
import { Ed25519KeyIdentity } from '@dfinity/identity';
import { Principal } from '@dfinity/principal';

const [mode, host, ...rest] = process.argv.slice(2);

const managementIdl = ({ IDL }) => {
  const settings = IDL.Record({
    controllers: IDL.Opt(IDL.Vec(IDL.Principal)),
    compute_allocation: IDL.Opt(IDL.Nat),
    memory_allocation: IDL.Opt(IDL.Nat),
    freezing_threshold: IDL.Opt(IDL.Nat),
  });
  const mode = IDL.Variant({
    install: IDL.Null,
    reinstall: IDL.Null,
    upgrade: IDL.Opt(IDL.Record({
      skip_pre_upgrade: IDL.Opt(IDL.Bool),
      wasm_memory_persistence: IDL.Opt(IDL.Variant({ keep: IDL.Null, replace: IDL.Null })),
    })),
  });
  return IDL.Service({
    provisional_create_canister_with_cycles: IDL.Func(
      [IDL.Record({ amount: IDL.Opt(IDL.Nat), settings: IDL.Opt(settings), specified_id: IDL.Opt(IDL.Principal),
        sender_canister_version: IDL.Opt(IDL.Nat64) })],
      [IDL.Record({ canister_id: IDL.Principal })], []),
    install_code: IDL.Func(
      [IDL.Record({ mode, canister_id: IDL.Principal, wasm_module: IDL.Vec(IDL.Nat8), arg: IDL.Vec(IDL.Nat8),
        sender_canister_version: IDL.Opt(IDL.Nat64) })], [], []),
    canister_status: IDL.Func(
      [IDL.Record({ canister_id: IDL.Principal })],
      [IDL.Record({
        status: IDL.Variant({ running: IDL.Null, stopping: IDL.Null, stopped: IDL.Null }),
        module_hash: IDL.Opt(IDL.Vec(IDL.Nat8)),
        settings: IDL.Record({ controllers: IDL.Vec(IDL.Principal) }),
      })], []),
  });
};

const journalIdl = ({ IDL }) => IDL.Service({
  append: IDL.Func([IDL.Nat, IDL.Nat], [IDL.Nat], []),
  entries: IDL.Func([], [IDL.Vec(IDL.Nat)], ['query']),
  check: IDL.Func([], [IDL.Nat, IDL.Nat, IDL.Nat, IDL.Nat, IDL.Nat], ['query']),
});

const hex = (bytes) => Buffer.from(bytes).toString('hex');
const emit = (obj) => console.log(JSON.stringify(obj, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)));
const reason = (err) => String(err?.message ?? err).split('\n')[0].slice(0, 200);

async function connect(seedHex) {
  const identity = Ed25519KeyIdentity.generate(new Uint8Array(Buffer.from(seedHex, 'hex')));
  const agent = await HttpAgent.create({ host, identity, shouldFetchRootKey: true, retryTimes: 0 });
  return { identity, agent, rootKey: hex(agent.rootKey) };
}

function management(agent) {
  // Calls to aaaaa-aa go to the effective canister id named in the argument, as in agent-js's own
  // getManagementCanister.
  const effective = (_method, args) => {
    const first = args[0];
    const target = first && typeof first === 'object' && first.canister_id;
    return { effectiveCanisterId: target ? Principal.from(target) : Principal.managementCanister() };
  };
  return Actor.createActor(managementIdl, {
    agent, canisterId: Principal.managementCanister(), callTransform: effective, queryTransform: effective,
  });
}

async function setup([wasmPath, seedHex]) {
  const { identity, agent, rootKey } = await connect(seedHex);
  const ic = management(agent);
  const { canister_id: canisterId } = await ic.provisional_create_canister_with_cycles({
    amount: [], settings: [], specified_id: [], sender_canister_version: [],
  });
  const wasm = new Uint8Array(readFileSync(wasmPath));
  await ic.install_code({ mode: { install: null }, canister_id: canisterId, wasm_module: wasm,
    arg: new Uint8Array([68, 73, 68, 76, 0, 0]), sender_canister_version: [] });
  emit({ rootKey, principal: identity.getPrincipal().toText(), canisterId: canisterId.toText() });
}

async function fire([canisterText, seedHex, baseText, concurrencyText, padText, maxText]) {
  const { agent, rootKey } = await connect(seedHex);
  const journal = Actor.createActor(journalIdl, { agent, canisterId: Principal.fromText(canisterText) });
  const base = BigInt(baseText);
  const pad = BigInt(padText);
  const max = Number(maxText);
  let next = 0;
  let acked = 0;
  let failed = 0;
  let stopped = false;
  let firstFailure = null;
  const start = performance.now();
  const worker = async () => {
    while (!stopped && next < max) {
      const value = base + BigInt(next++);
      try {
        const reply = await journal.append(value, pad);
        acked += 1;
        console.log(`ack ${value} ${reply} ${Math.round(performance.now() - start)}`);
      } catch (err) {
        failed += 1;
        stopped = true;
        firstFailure ??= reason(err);
        console.log(`fail ${value} ${Math.round(performance.now() - start)} ${reason(err)}`);
      }
    }
  };
  await Promise.all(Array.from({ length: Number(concurrencyText) }, worker));
  emit({ summary: { rootKey, issued: next, acked, failed, firstFailure } });
}

async function check([canisterText, seedHex, baseText, extraText]) {
  const { agent, rootKey } = await connect(seedHex);
  const canisterId = Principal.fromText(canisterText);
  const journal = Actor.createActor(journalIdl, { agent, canisterId });
  const entries = await journal.entries();
  const [count, values, pads, badPads, badStamps] = await journal.check();
  const paths = await CanisterStatus.request({ canisterId, agent, paths: ['module_hash', 'controllers'] });
  const status = await management(agent).canister_status({ canister_id: canisterId });
  const extra = [];
  for (let i = 0; i < Number(extraText); i++) {
    const value = BigInt(baseText) + BigInt(i);
    extra.push([value, await journal.append(value, 64n)]);
  }
  const after = await journal.entries();
  emit({
    rootKey, entries, count, values, pads, badPads, badStamps, extra, after,
    moduleHash: paths.get('module_hash'),
    controllers: paths.get('controllers').map((p) => p.toText()),
    statusRunning: 'running' in status.status,
    statusModuleHash: status.module_hash.length ? hex(status.module_hash[0]) : null,
    statusControllers: status.settings.controllers.map((p) => p.toText()),
  });
}

try {
  const run = { setup, fire, check }[mode];
  if (!run) throw new Error(`unknown mode ${mode}`);
  await run(rest);
} catch (err) {
  console.error(`FAIL: ${err?.stack ?? err}`);
  process.exit(1);
}
