// Interop test: the real @dfinity/agent 3.x creates, installs, calls, upgrades a Motoko canister
// through the management canister aaaaa-aa of the Python replica, with shouldFetchRootKey and
// DEFAULT verification (certificates, query signatures), then reads its read_state paths with
// CanisterStatus (module_hash, controllers, candid:service metadata).
//
// Usage: node management_js.mjs <replica url> <stable.wasm>
// Prints one line per step and "OK: all steps passed" last; exits non-zero on the first failure.

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Actor, CanisterStatus, HttpAgent } from '@dfinity/agent';
import { Ed25519KeyIdentity } from '@dfinity/identity';
import { Principal } from '@dfinity/principal';

const [host, wasmPath] = process.argv.slice(2);
const wasm = new Uint8Array(readFileSync(wasmPath));
const wasmHash = createHash('sha256').update(wasm).digest('hex');

function step(name, detail = '') {
  console.log(`ok   ${name}${detail ? ': ' + detail : ''}`);
}
function check(cond, name, detail) {
  if (!cond) {
    console.error(`FAIL ${name}: ${detail}`);
    process.exit(1);
  }
}

// The parts of ic.did this test uses (record subtyping lets the results be partial).
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
        cycles: IDL.Nat,
        version: IDL.Nat64,
        settings: IDL.Record({ controllers: IDL.Vec(IDL.Principal) }),
      })], []),
  });
};

const storeIdl = ({ IDL }) => IDL.Service({
  put: IDL.Func([IDL.Vec(IDL.Nat8)], [], []),
  load: IDL.Func([], [IDL.Vec(IDL.Nat8)], ['query']),
  stats: IDL.Func([], [IDL.Nat, IDL.Nat], ['query']),
});

const hex = (bytes) => Buffer.from(bytes).toString('hex');

try {
  const identity = Ed25519KeyIdentity.generate();
  const agent = await HttpAgent.create({ host, identity, shouldFetchRootKey: true, retryTimes: 0 });
  step('fetchRootKey');
  // Calls to aaaaa-aa are sent to the effective canister id named in the argument, as agent-js's
  // own getManagementCanister does.
  const effective = (_method, args) => {
    const first = args[0];
    const target = first && typeof first === 'object' && first.canister_id;
    return { effectiveCanisterId: target ? Principal.from(target) : Principal.managementCanister() };
  };
  const ic = Actor.createActor(managementIdl, {
    agent, canisterId: Principal.managementCanister(), callTransform: effective, queryTransform: effective,
  });

  const { canister_id: canisterId } = await ic.provisional_create_canister_with_cycles({
    amount: [], settings: [], specified_id: [], sender_canister_version: [],
  });
  step('provisional_create_canister_with_cycles', canisterId.toText());

  await ic.install_code({ mode: { install: null }, canister_id: canisterId, wasm_module: wasm, arg: new Uint8Array([68, 73, 68, 76, 0, 0]), sender_canister_version: [] });
  step('install_code (install)');

  const store = Actor.createActor(storeIdl, { agent, canisterId });
  const message = new TextEncoder().encode('kept across the upgrade');
  await store.put(message);
  step('update call put');
  const loaded = await store.load();
  check(hex(loaded) === hex(message), 'query load', hex(loaded));
  step('query load (signature verified)');

  await ic.install_code({
    mode: { upgrade: [{ skip_pre_upgrade: [], wasm_memory_persistence: [{ keep: null }] }] },
    canister_id: canisterId, wasm_module: wasm, arg: new Uint8Array([68, 73, 68, 76, 0, 0]), sender_canister_version: [],
  });
  step('install_code (upgrade, keep)');
  const after = await store.load();
  check(hex(after) === hex(message), 'stable state after upgrade', hex(after));
  const [count, upgrades] = await store.stats();
  check(count === 1n && upgrades === 1n, 'stats after upgrade', `${count} ${upgrades}`);
  step('stable state read back after upgrade', `count ${count}, upgrades ${upgrades}`);

  const status = await ic.canister_status({ canister_id: canisterId });
  check('running' in status.status, 'canister_status', JSON.stringify(Object.keys(status.status)));
  check(hex(status.module_hash[0]) === wasmHash, 'canister_status module_hash', hex(status.module_hash[0]));
  check(status.settings.controllers[0].toText() === identity.getPrincipal().toText(), 'controllers', '');
  step('canister_status', `version ${status.version}, cycles ${status.cycles}`);

  const paths = await CanisterStatus.request({
    canisterId, agent,
    paths: ['module_hash', 'controllers', { kind: 'metadata', key: 'candid', path: 'candid:service', decodeStrategy: 'utf-8' }],
  });
  check(paths.get('module_hash') === wasmHash, 'read_state module_hash', paths.get('module_hash'));
  const controllers = paths.get('controllers');
  check(controllers.length === 1 && controllers[0].toText() === identity.getPrincipal().toText(), 'read_state controllers', String(controllers));
  check(String(paths.get('candid')).includes('load'), 'read_state candid:service', String(paths.get('candid')));
  step('CanisterStatus read_state', 'module_hash, controllers, candid:service');
  console.log('OK: all steps passed');
} catch (err) {
  console.error(`FAIL: ${err?.stack ?? err}`);
  process.exit(1);
}
