// Interop test: the real @dfinity/agent 3.x (pinned in package.json) against the Python replica,
// with shouldFetchRootKey and DEFAULT verification (certificates, query signatures).
//
// Usage: node agent_js.mjs <replica url> <ii canister id> <whoami canister id> [--whoami-only]
// Prints one line per step and "OK: all steps passed" last; exits non-zero on the first failure.

import { Actor, HttpAgent } from '@dfinity/agent';
import { IDL } from '@dfinity/candid';
import { Delegation, DelegationChain, DelegationIdentity, Ed25519KeyIdentity } from '@dfinity/identity';
import { Principal } from '@dfinity/principal';

const [host, iiId, whoamiId, ...flags] = process.argv.slice(2);
const whoamiOnly = flags.includes('--whoami-only');
const ORIGIN = 'https://dapp.example';

if (typeof globalThis.fetch !== 'function' || !globalThis.crypto?.subtle) {
  console.error('FAIL: this Node lacks the fetch / crypto.subtle globals agent-js needs (use Node >= 20)');
  process.exit(2);
}

function step(name, detail = '') {
  console.log(`ok   ${name}${detail ? ': ' + detail : ''}`);
}

function fail(name, err) {
  console.error(`FAIL ${name}: ${err?.stack ?? err}`);
  process.exit(1);
}

async function agentFor(identity) {
  // retryTimes 0: a refusal shows at once instead of after ~3 s of backoff.
  return HttpAgent.create({ host, identity, shouldFetchRootKey: true, retryTimes: 0 });
}

const whoamiIdl = ({ IDL }) =>
  IDL.Service({
    whoami: IDL.Func([], [IDL.Principal], ['query']),
    whoami_update: IDL.Func([], [IDL.Principal], []),
  });

const iiIdl = ({ IDL }) => {
  const MetadataMapV2 = IDL.Rec();
  MetadataMapV2.fill(
    IDL.Vec(IDL.Tuple(IDL.Text, IDL.Variant({ Map: MetadataMapV2, String: IDL.Text, Bytes: IDL.Vec(IDL.Nat8) }))),
  );
  const MetadataMap = IDL.Rec();
  MetadataMap.fill(
    IDL.Vec(IDL.Tuple(IDL.Text, IDL.Variant({ map: MetadataMap, string: IDL.Text, bytes: IDL.Vec(IDL.Nat8) }))),
  );
  const PublicKey = IDL.Vec(IDL.Nat8);
  const DeviceData = IDL.Record({
    pubkey: PublicKey,
    alias: IDL.Text,
    credential_id: IDL.Opt(IDL.Vec(IDL.Nat8)),
    aaguid: IDL.Opt(IDL.Vec(IDL.Nat8)),
    purpose: IDL.Variant({ recovery: IDL.Null, authentication: IDL.Null }),
    key_type: IDL.Variant({
      unknown: IDL.Null,
      platform: IDL.Null,
      cross_platform: IDL.Null,
      seed_phrase: IDL.Null,
      browser_storage_key: IDL.Null,
    }),
    protection: IDL.Variant({ protected: IDL.Null, unprotected: IDL.Null }),
    origin: IDL.Opt(IDL.Text),
    metadata: IDL.Opt(MetadataMap),
  });
  const NextStep = IDL.Variant({ CheckCaptcha: IDL.Record({ captcha_png_base64: IDL.Text }), Finish: IDL.Null });
  const NextStepResult = IDL.Record({ next_step: NextStep });
  const AuthnMethodData = IDL.Record({
    authn_method: IDL.Variant({
      WebAuthn: IDL.Record({ credential_id: IDL.Vec(IDL.Nat8), pubkey: PublicKey, aaguid: IDL.Opt(IDL.Vec(IDL.Nat8)) }),
      PubKey: IDL.Record({ pubkey: PublicKey }),
    }),
    security_settings: IDL.Record({
      protection: IDL.Variant({ Protected: IDL.Null, Unprotected: IDL.Null }),
      purpose: IDL.Variant({ Recovery: IDL.Null, Authentication: IDL.Null }),
    }),
    metadata: MetadataMapV2,
    last_authentication: IDL.Opt(IDL.Nat64),
  });
  const Delegation = IDL.Record({ pubkey: PublicKey, expiration: IDL.Nat64, targets: IDL.Opt(IDL.Vec(IDL.Principal)) });
  return IDL.Service({
    stats: IDL.Func([], [IDL.Record({ users_registered: IDL.Nat64, assigned_user_number_range: IDL.Tuple(IDL.Nat64, IDL.Nat64) })], ['query']),
    create_challenge: IDL.Func([], [IDL.Record({ png_base64: IDL.Text, challenge_key: IDL.Text })], []),
    register: IDL.Func(
      [DeviceData, IDL.Record({ key: IDL.Text, chars: IDL.Text }), IDL.Opt(IDL.Principal)],
      [IDL.Variant({ registered: IDL.Record({ user_number: IDL.Nat64 }), canister_full: IDL.Null, bad_challenge: IDL.Null })],
      [],
    ),
    identity_registration_start: IDL.Func(
      [],
      [IDL.Variant({ Ok: NextStepResult, Err: IDL.Variant({ InvalidCaller: IDL.Null, RateLimitExceeded: IDL.Null, AlreadyInProgress: IDL.Null }) })],
      [],
    ),
    check_captcha: IDL.Func(
      [IDL.Record({ solution: IDL.Text })],
      [
        IDL.Variant({
          Ok: NextStepResult,
          Err: IDL.Variant({
            WrongSolution: IDL.Record({ new_captcha_png_base64: IDL.Text }),
            UnexpectedCall: IDL.Record({ next_step: NextStep }),
            NoRegistrationFlow: IDL.Null,
          }),
        }),
      ],
      [],
    ),
    identity_registration_finish: IDL.Func(
      [IDL.Record({ authn_method: AuthnMethodData, name: IDL.Opt(IDL.Text) })],
      [
        IDL.Variant({
          Ok: IDL.Record({ identity_number: IDL.Nat64 }),
          Err: IDL.Variant({
            UnexpectedCall: IDL.Record({ next_step: NextStep }),
            NoRegistrationFlow: IDL.Null,
            InvalidAuthnMethod: IDL.Text,
            StorageError: IDL.Text,
          }),
        }),
      ],
      [],
    ),
    prepare_delegation: IDL.Func([IDL.Nat64, IDL.Text, PublicKey, IDL.Opt(IDL.Nat64)], [PublicKey, IDL.Nat64], []),
    get_delegation: IDL.Func(
      [IDL.Nat64, IDL.Text, PublicKey, IDL.Nat64],
      [IDL.Variant({ signed_delegation: IDL.Record({ delegation: Delegation, signature: IDL.Vec(IDL.Nat8) }), no_such_delegation: IDL.Null })],
      ['query'],
    ),
  });
};

function der(identity) {
  return new Uint8Array(identity.getPublicKey().toDer());
}

function tamper(bytes) {
  const copy = new Uint8Array(bytes);
  copy[copy.length - 1] ^= 0x01;
  return copy;
}

async function whoamiAs(identity) {
  const agent = await agentFor(identity);
  const whoami = Actor.createActor(whoamiIdl, { agent, canisterId: whoamiId });
  const viaQuery = await whoami.whoami();
  const viaUpdate = await whoami.whoami_update();
  return [viaQuery.toText(), viaUpdate.toText()];
}

async function expectRefused(name, identity) {
  // Both the query and the update must be refused by the replica's envelope check (HTTP 400
  // "Invalid delegation: ..."), not by something else.
  const agent = await agentFor(identity);
  const whoami = Actor.createActor(whoamiIdl, { agent, canisterId: whoamiId });
  for (const method of ['whoami', 'whoami_update']) {
    let got;
    try {
      got = await whoami[method]();
    } catch (err) {
      const text = `${err?.message ?? err} ${JSON.stringify(err?.cause ?? {}, (k, v) => (typeof v === 'bigint' ? String(v) : v))}`;
      const reason = text.match(/Invalid (delegation|signature)[^"\\]*/);
      if (!reason) fail(`${name} (${method})`, `refused for an unexpected reason: ${text}`);
      step(`${name} (${method})`, reason[0].slice(0, 160));
      continue;
    }
    fail(`${name} (${method})`, `expected a refusal, got principal ${got.toText()}`);
  }
}

async function main() {
  // 1. whoami as anonymous and as an Ed25519 key: query (signed response) and v3 update.
  const anon = await whoamiAs(undefined);
  if (anon[0] !== '2vxsx-fae' || anon[1] !== '2vxsx-fae') fail('anonymous whoami', anon.join(' '));
  step('anonymous whoami (query + update)', anon[0]);
  const key = Ed25519KeyIdentity.generate();
  const mine = await whoamiAs(key);
  if (mine[0] !== key.getPrincipal().toText() || mine[1] !== mine[0]) fail('ed25519 whoami', mine.join(' '));
  step('ed25519 whoami (query + update)', mine[0]);

  // 2. A locally made delegation chain, and a tampered copy of it.
  const session = Ed25519KeyIdentity.generate();
  const chain = await DelegationChain.create(key, session.getPublicKey(), new Date(Date.now() + 15 * 60 * 1000));
  const delegated = await whoamiAs(DelegationIdentity.fromDelegation(session, chain));
  if (delegated[0] !== key.getPrincipal().toText()) fail('local delegation whoami', delegated.join(' '));
  step('delegation identity whoami', delegated[0]);
  const badLocal = DelegationChain.fromDelegations(
    chain.delegations.map((d) => ({ delegation: d.delegation, signature: tamper(d.signature) })),
    chain.publicKey,
  );
  await expectRefused('tampered local delegation is refused', DelegationIdentity.fromDelegation(session, badLocal));

  if (whoamiOnly) {
    console.log('OK: all steps passed (whoami only)');
    return;
  }

  // 3. Internet Identity: stats, register (v1 and v2 flows), delegation, whoami as the user.
  const anonII = Actor.createActor(iiIdl, { agent: await agentFor(undefined), canisterId: iiId });
  const stats = await anonII.stats();
  step('II stats (anonymous query)', `users_registered=${stats.users_registered}`);

  const device = Ed25519KeyIdentity.generate();
  const ii = Actor.createActor(iiIdl, { agent: await agentFor(device), canisterId: iiId });
  const challenge = await ii.create_challenge();
  if (!challenge.png_base64 || !challenge.challenge_key) fail('create_challenge', JSON.stringify(challenge));
  step('create_challenge', `key ${challenge.challenge_key.slice(0, 12)}…`);
  const registered = await ii.register(
    {
      pubkey: der(device),
      alias: 'interop device',
      credential_id: [],
      aaguid: [],
      purpose: { authentication: null },
      key_type: { unknown: null },
      protection: { unprotected: null },
      origin: [],
      metadata: [],
    },
    { key: challenge.challenge_key, chars: 'a' },
    [],
  );
  if (!('registered' in registered)) fail('register', JSON.stringify(Object.keys(registered)));
  const anchor = registered.registered.user_number;
  step('register (dummy captcha)', `anchor ${anchor}`);

  const device2 = Ed25519KeyIdentity.generate();
  const ii2 = Actor.createActor(iiIdl, { agent: await agentFor(device2), canisterId: iiId });
  const started = await ii2.identity_registration_start();
  if (!('Ok' in started)) fail('identity_registration_start', JSON.stringify(Object.keys(started.Err)));
  if ('CheckCaptcha' in started.Ok.next_step) {
    const checked = await ii2.check_captcha({ solution: 'a' });
    if (!('Ok' in checked) || !('Finish' in checked.Ok.next_step)) fail('check_captcha', JSON.stringify(checked, (k, v) => (typeof v === 'bigint' ? String(v) : v)));
    step('identity_registration_start + check_captcha');
  } else {
    step('identity_registration_start (no captcha needed)');
  }
  const finished = await ii2.identity_registration_finish({
    authn_method: {
      authn_method: { PubKey: { pubkey: der(device2) } },
      security_settings: { protection: { Unprotected: null }, purpose: { Authentication: null } },
      metadata: [],
      last_authentication: [],
    },
    name: [],
  });
  if (!('Ok' in finished)) fail('identity_registration_finish', JSON.stringify(Object.keys(finished.Err)));
  step('identity_registration_finish', `anchor ${finished.Ok.identity_number}`);

  const dappSession = Ed25519KeyIdentity.generate();
  const [userKey, expiration] = await ii.prepare_delegation(anchor, ORIGIN, der(dappSession), []);
  step('prepare_delegation', `user key ${userKey.length} bytes, expiration ${expiration}`);
  const got = await ii.get_delegation(anchor, ORIGIN, der(dappSession), expiration);
  if (!('signed_delegation' in got)) fail('get_delegation', 'no_such_delegation');
  const signed = got.signed_delegation;
  step('get_delegation', `canister signature ${signed.signature.length} bytes`);

  const makeIdentity = (signature) => {
    const d = signed.delegation;
    const delegation = new Delegation(
      new Uint8Array(d.pubkey),
      d.expiration,
      d.targets.length ? d.targets[0] : undefined,
    );
    const iiChain = DelegationChain.fromDelegations([{ delegation, signature }], new Uint8Array(userKey));
    return DelegationIdentity.fromDelegation(dappSession, iiChain);
  };
  const expected = Principal.selfAuthenticating(new Uint8Array(userKey)).toText();
  const user = await whoamiAs(makeIdentity(new Uint8Array(signed.signature)));
  if (user[0] !== expected || user[1] !== expected) fail('whoami as the II user', `${user.join(' ')} != ${expected}`);
  step('whoami through the II delegation (query + update)', expected);
  await expectRefused('tampered II delegation signature is refused', makeIdentity(tamper(signed.signature)));

  console.log('OK: all steps passed');
}

main().catch((err) => fail('unexpected', err));
