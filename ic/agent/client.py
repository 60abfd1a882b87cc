"""`Agent`: the IC HTTP interface from the client side (ic-interface-facts §1, §5-§7, §9).

    agent = Agent(transport, identity, fetch_root_key=True)      # or root_key_der=...
    reply = await agent.query(canister_id, "stats", arg)         # node signatures verified
    reply = await agent.update(canister_id, "register", arg)     # certified reply
    cert = await agent.read_state(canister_id, [["time"]])       # verified certificate

Everything that touches the outside is a port: the transport, the identity's signer, the BLS
verifier (`ic.bls.arkworks_verify` on CPython when none is given; the browser passes the noble
bundle), the clock, `sleep` and the random source. Certificates are verified (BLS signature,
delegation and canister ranges, freshness against the clock) before anything is read from them.

Updates use the synchronous v3 call; on a 202, or when the replica has no v3 endpoint (404), the
agent falls back to the v2 call (same signed envelope, so the same request id) and polls
`read_state` for `/request_status/<id>` with backoff.
"""

from __future__ import annotations

import asyncio
import os
import time
from typing import Any, Awaitable, Callable, Iterable, Optional, Sequence

from ic import cbor
from ic.agent.envelope import (DEFAULT_INGRESS_EXPIRY_MS, NONCE_LENGTH, SignedRequest, call_content, ingress_expiry,
                               query_content, read_state_content, sign_request)
from ic.agent.errors import (INGRESS_EXPIRY_PREFIX, HttpError, IngressExpiryError, QuerySignatureError, RejectError,
                             ResponseError, TransportError)
from ic.agent.identity import AnonymousIdentity, Identity
from ic.agent.polling import DEFAULT_POLL_STRATEGY, PollStrategy, poll
from ic.agent.query_signature import (Ed25519Verify, NodeKeys, default_ed25519_verify, node_keys_from_certificate,
                                      subnet_id_of, verify_query_response)
from ic.agent.request_status import RequestStatus, read_request_status
from ic.agent.transport import CBOR_CONTENT_TYPE, HttpResponse, Transport
from ic.errors import AgentError, CborError, CertificateError, ICError
from ic.principal import Principal

IC_ROOT_KEY_DER = bytes.fromhex(
    "308182301d060d2b0601040182dc7c0503010201060c2b0601040182dc7c05030201036100814c0e6ec71fab583b08bd81373c255c3c"
    "371b2e84863c98a4f1e08b74235d14fb5d9c0cd546d9685f913a0c0b2cc5341583bf4b4392e467db96d65b9bb4cb717112f8472e0d5a"
    "4d14505ffd7484b01291091c5f87b98883463f98091a0baaae"
)
MAX_RESPONSE_BYTES = 8 * 1024 * 1024
CERTIFICATE_MAX_AGE_NS = 5 * 60 * 10**9
NODE_KEYS_TTL_NS = 5 * 60 * 10**9
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
V3_UNAVAILABLE_STATUSES = frozenset({404, 405, 501})
TIME_SYNC_CANISTER = "ryjl3-tyaaa-aaaaa-aaaba-cai"  # agent-js asks the ICP ledger's subnet by default

BlsVerify = Callable[[bytes, bytes, bytes], bool]
CanisterId = Principal | str


def as_principal(value: CanisterId, what: str) -> Principal:
    if isinstance(value, Principal):
        return value
    if isinstance(value, str):
        return Principal.from_text(value)
    if isinstance(value, (bytes, bytearray)):
        return Principal(bytes(value))
    raise ICError(f"{what}: expected a Principal or its text form, found {type(value).__name__}")


class Agent:
    def __init__(
        self,
        transport: Transport,
        identity: Optional[Identity] = None,
        *,
        root_key_der: Optional[bytes] = None,
        fetch_root_key: bool = False,
        bls_verify: Optional[BlsVerify] = None,
        clock_ns: Callable[[], int] = time.time_ns,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        random: Callable[[int], bytes] = os.urandom,
        poll_strategy: PollStrategy = DEFAULT_POLL_STRATEGY,
        verify_query_signatures: bool = True,
        ed25519_verify: Optional[Ed25519Verify] = None,
        ingress_expiry_ms: int = DEFAULT_INGRESS_EXPIRY_MS,
        retry_times: int = 3,
        auto_sync_time: bool = True,
    ):
        self.transport = transport
        self.identity: Identity = identity if identity is not None else AnonymousIdentity()
        self._root_key = bytes(root_key_der) if root_key_der is not None else None
        if self._root_key is None and not fetch_root_key:
            self._root_key = IC_ROOT_KEY_DER
        self._bls_verify = bls_verify
        self.clock_ns = clock_ns
        self.sleep = sleep
        self.random = random
        self.poll_strategy = poll_strategy
        self.verify_query_signatures = verify_query_signatures
        self._ed25519_verify = ed25519_verify
        self.ingress_expiry_ms = ingress_expiry_ms
        self.retry_times = retry_times
        self.auto_sync_time = auto_sync_time
        self._time_offset_ns = 0
        self._time_synced = False
        self._node_keys: dict[bytes, NodeKeys] = {}

    def with_identity(self, identity: Identity) -> "Agent":
        """Another agent on the same transport, root key and caches, sending as `identity`."""
        twin = object.__new__(Agent)
        twin.__dict__.update(self.__dict__)
        twin.identity = identity
        return twin

    # -- root key and status ----------------------------------------------------------------------

    async def status(self) -> dict[str, Any]:
        """`GET /api/v2/status`, decoded."""
        response = await self._send("GET", "/api/v2/status", None)
        self._expect(response, "/api/v2/status", (200,))
        status = self._decode(response, "status")
        if not isinstance(status, dict):
            raise ResponseError(f"/api/v2/status: expected a CBOR map, found {type(status).__name__}")
        return status

    async def fetch_root_key(self) -> bytes:
        """Trust the replica's own root key (local replicas only: it is the trust anchor)."""
        from ic.bls import der_decode_public_key

        key = (await self.status()).get("root_key")
        if not isinstance(key, bytes):
            raise ResponseError("/api/v2/status has no root_key (a mainnet boundary node never sends one)")
        der_decode_public_key(key)  # a BLS DER key, or KeyFormatError
        self._root_key = key
        return key

    async def root_key(self) -> bytes:
        if self._root_key is None:
            await self.fetch_root_key()
        assert self._root_key is not None
        return self._root_key

    # -- query --------------------------------------------------------------------------------------

    async def query(
        self, canister_id: CanisterId, method: str, arg: bytes, *, effective_canister_id: Optional[CanisterId] = None
    ) -> bytes:
        """The reply bytes of a query; `RejectError` if rejected, `QuerySignatureError` if unsigned/forged."""
        canister = as_principal(canister_id, "query canister id")
        ecid = as_principal(effective_canister_id, "effective canister id") if effective_canister_id else canister
        return await self._with_time_sync(lambda: self._query(canister, ecid, method, arg), ecid)

    async def _query(self, canister: Principal, ecid: Principal, method: str, arg: bytes) -> bytes:
        content = query_content(self.identity.sender(), canister, method, arg, expiry_ns=self._expiry())
        signed = await sign_request(self.identity, content)
        path = f"/api/v2/canister/{ecid.to_text()}/query"
        if self.verify_query_signatures and not self._has_node_keys(ecid):
            # Like agent-js: read the subnet's node keys while the query runs.
            results = await asyncio.gather(self._post(path, signed), self.node_keys(ecid), return_exceptions=True)
            for result in results:
                if isinstance(result, BaseException):
                    raise result
            response = results[0]
        else:
            response = await self._post(path, signed)
        self._expect(response, path, (200,))
        answer = self._decode(response, f"query {method!r}")
        _check_query_answer(answer, method)
        if self.verify_query_signatures:
            await self._verify_query_signature(answer, signed.request_id, ecid)
        if answer["status"] == "replied":
            return answer["reply"]["arg"]
        raise RejectError(
            answer["reject_code"],
            answer["reject_message"],
            answer.get("error_code"),
            method=method,
            certified=False,
            request_id=signed.request_id,
        )

    async def _verify_query_signature(self, answer: dict, request_id: bytes, ecid: Principal) -> None:
        verify = self._ed25519_verify or default_ed25519_verify()
        keys = await self.node_keys(ecid)
        try:
            verify_query_response(answer, request_id, keys, now_ns=self.now_ns(), verify=verify)
        except QuerySignatureError:
            # The subnet's membership may have changed: refetch its keys once (agent-js does too).
            keys = await self.node_keys(ecid, refresh=True)
            verify_query_response(answer, request_id, keys, now_ns=self.now_ns(), verify=verify)

    async def node_keys(self, effective_canister_id: CanisterId, *, refresh: bool = False) -> NodeKeys:
        """The node keys of the subnet hosting a canister, from a verified `/subnet` read_state (cached)."""
        ecid = as_principal(effective_canister_id, "effective canister id")
        if not refresh and self._has_node_keys(ecid):
            return self._node_keys[ecid.raw]
        # The subnet's keys are public: ask anonymously, so a passkey identity is not prompted.
        certificate = await self.read_state(ecid, [[b"subnet"]], identity=AnonymousIdentity())
        subnet_id = subnet_id_of(certificate, await self.root_key())
        keys = node_keys_from_certificate(certificate, subnet_id=subnet_id, canister_id=ecid, now_ns=self.clock_ns())
        self._node_keys[ecid.raw] = keys
        return keys

    def _has_node_keys(self, ecid: Principal) -> bool:
        cached = self._node_keys.get(ecid.raw)
        return cached is not None and self.clock_ns() - cached.fetched_at_ns < NODE_KEYS_TTL_NS

    # -- update -------------------------------------------------------------------------------------

    async def update(
        self, canister_id: CanisterId, method: str, arg: bytes, *, effective_canister_id: Optional[CanisterId] = None
    ) -> bytes:
        """The certified reply bytes of an update call; `RejectError` if rejected."""
        canister = as_principal(canister_id, "update canister id")
        ecid = as_principal(effective_canister_id, "effective canister id") if effective_canister_id else canister
        return await self._with_time_sync(lambda: self._update(canister, ecid, method, arg), ecid)

    async def _update(self, canister: Principal, ecid: Principal, method: str, arg: bytes) -> bytes:
        content = call_content(
            self.identity.sender(), canister, method, arg, expiry_ns=self._expiry(), nonce=self.random(NONCE_LENGTH)
        )
        signed = await sign_request(self.identity, content)
        rid = signed.request_id
        v3_path = f"/api/v3/canister/{ecid.to_text()}/call"
        response = await self._post(v3_path, signed)
        if response.status in V3_UNAVAILABLE_STATUSES:
            v2_path = f"/api/v2/canister/{ecid.to_text()}/call"
            response = await self._post(v2_path, signed)
            self._expect(response, v2_path, (200, 202))
        else:
            self._expect(response, v3_path, (200, 202))
        if response.status == 200:
            answer = self._decode(response, f"call {method!r}")
            if not isinstance(answer, dict):
                raise ResponseError(f"call {method!r}: expected a CBOR map, found {type(answer).__name__}")
            if isinstance(answer.get("certificate"), bytes):
                certificate = await self.verify_certificate(answer["certificate"], canister)
                status = read_request_status(certificate.tree, rid)
                if not status.pending:
                    return status.outcome(method=method, request_id=rid)
            elif "reject_code" in answer:
                raise _uncertified_reject(answer, method, rid)
            else:
                raise ResponseError(f"call {method!r}: a 200 answer needs a certificate or a reject, found keys {sorted(answer)}")
        status = await poll(
            lambda: self.request_status(canister, rid, effective_canister_id=ecid),
            strategy=self.poll_strategy,
            sleep=self.sleep,
            clock_ns=self.clock_ns,
            what=f"call {method!r} (request 0x{rid.hex()})",
        )
        return status.outcome(method=method, request_id=rid)

    async def request_status(
        self, canister_id: CanisterId, request_id: bytes, *, effective_canister_id: Optional[CanisterId] = None
    ) -> RequestStatus:
        """One verified read of `/request_status/<id>` (signed by this agent's identity, as the replica requires)."""
        canister = as_principal(canister_id, "canister id")
        ecid = as_principal(effective_canister_id, "effective canister id") if effective_canister_id else canister
        certificate = await self.read_state(
            ecid, [[b"request_status", bytes(request_id)]], certificate_canister_id=canister
        )
        return read_request_status(certificate.tree, request_id)

    # -- read_state and certificates ----------------------------------------------------------------

    async def read_state(
        self,
        canister_id: CanisterId,
        paths: Iterable[Sequence[bytes | str]],
        *,
        identity: Optional[Identity] = None,
        certificate_canister_id: Optional[CanisterId] = None,
        check_time: bool = True,
    ) -> Any:
        """The verified certificate answering `paths` at `/api/v2/canister/<id>/read_state`."""
        ecid = as_principal(canister_id, "read_state canister id")
        signer = identity if identity is not None else self.identity
        content = read_state_content(signer.sender(), paths, expiry_ns=self._expiry())
        signed = await sign_request(signer, content)
        path = f"/api/v2/canister/{ecid.to_text()}/read_state"
        response = await self._post(path, signed)
        self._expect(response, path, (200,))
        answer = self._decode(response, "read_state")
        if not isinstance(answer, dict) or not isinstance(answer.get("certificate"), bytes):
            raise ResponseError(f"{path}: expected a map with a 'certificate' byte string")
        target = as_principal(certificate_canister_id, "canister id") if certificate_canister_id else ecid
        return await self.verify_certificate(answer["certificate"], target, check_time=check_time)

    async def verify_certificate(self, certificate: bytes, canister_id: CanisterId, *, check_time: bool = True) -> Any:
        """Verify a certificate (BLS, delegation ranges for `canister_id`, freshness) and return it."""
        from ic.certificate import verify_certificate

        bls_verify = self._bls_verify or _default_bls_verify()
        canister = as_principal(canister_id, "canister id")

        async def verify() -> Any:
            return verify_certificate(
                certificate,
                root_key_der=await self.root_key(),
                bls_verify=bls_verify,
                canister_id=canister,
                now_ns=self.now_ns() if check_time else None,
                max_age_ns=CERTIFICATE_MAX_AGE_NS,
                max_future_ns=CERTIFICATE_MAX_AGE_NS,
            )

        try:
            return await verify()
        except CertificateError as exc:
            # Our clock may be off: measure the replica's once (agent-js does), then check again.
            if getattr(exc, "step", None) != "time" or not self.auto_sync_time or self._time_synced:
                raise
        await self.sync_time(canister)
        return await verify()

    # -- time ---------------------------------------------------------------------------------------

    def now_ns(self) -> int:
        """The local clock corrected by the offset `sync_time` measured (0 until then)."""
        return self.clock_ns() + self._time_offset_ns

    async def sync_time(self, canister_id: CanisterId = TIME_SYNC_CANISTER) -> int:
        """Measure the replica's clock against ours (agent-js `syncTime`); returns the offset in ns.

        Reads `/time` anonymously, verifying the certificate's signature but not its age, and
        keeps `certified time - local time` for expiries and freshness checks from then on.
        """
        from ic.certificate import certificate_time

        ecid = as_principal(canister_id, "canister id")
        sent = self.clock_ns()
        certificate = await self.read_state(ecid, [[b"time"]], identity=AnonymousIdentity(), check_time=False)
        self._time_offset_ns = certificate_time(certificate) - sent
        self._time_synced = True
        return self._time_offset_ns

    async def _with_time_sync(self, operation: Callable[[], Awaitable[bytes]], ecid: Principal) -> bytes:
        """Run `operation`; if the replica refused our expiry and we never synced, sync once and retry.

        Only the 400 expiry refusal leads to a retry: the replica executed nothing, so sending a
        new request cannot run a call twice.
        """
        try:
            return await operation()
        except IngressExpiryError:
            if not self.auto_sync_time or self._time_synced:
                raise
        await self.sync_time(ecid)
        return await operation()

    # -- HTTP ---------------------------------------------------------------------------------------

    def _expiry(self) -> int:
        return ingress_expiry(self.now_ns(), self.ingress_expiry_ms)

    async def _post(self, path: str, signed: SignedRequest) -> HttpResponse:
        return await self._send("POST", path, signed.to_cbor())

    async def _send(self, method: str, path: str, body: Optional[bytes]) -> HttpResponse:
        """One request, retried on transient failures (no answer, 429, 5xx) with backoff."""
        delay = 0.5
        for attempt in range(self.retry_times + 1):
            last = attempt == self.retry_times
            try:
                response = await self.transport.request(
                    method, path, body, CBOR_CONTENT_TYPE if body is not None else None
                )
            except TransportError:
                if last:
                    raise
            else:
                if response.status not in RETRY_STATUSES or last:
                    return response
            await self.sleep(delay)
            delay *= 1.5
        raise AssertionError("unreachable")

    @staticmethod
    def _expect(response: HttpResponse, path: str, ok: tuple[int, ...]) -> None:
        if response.status in ok:
            return
        body = response.body
        text = f"({len(body)} bytes of CBOR)" if body.startswith(b"\xd9\xd9\xf7") else response.text
        if response.status == 400 and text.startswith(INGRESS_EXPIRY_PREFIX):
            raise IngressExpiryError(response.status, text, url_path=path)
        raise HttpError(response.status, text, url_path=path)

    @staticmethod
    def _decode(response: HttpResponse, what: str) -> Any:
        try:
            return cbor.decode(response.body, max_size=MAX_RESPONSE_BYTES)
        except CborError as exc:
            raise ResponseError(f"{what}: the replica's answer is not valid CBOR: {exc}") from None


def _default_bls_verify() -> BlsVerify:
    """arkworks on CPython; elsewhere (the browser) the caller must inject a verifier."""
    import importlib.util

    if importlib.util.find_spec("py_arkworks_bls12381") is None:
        raise AgentError(
            "no BLS verifier: pass Agent(bls_verify=...) (in the browser, app.browser.bls.bls_verify); "
            "py-arkworks-bls12381 is not installed here"
        )
    from ic.bls import arkworks_verify

    return arkworks_verify


def _check_query_answer(answer: Any, method: str) -> None:
    where = f"query {method!r}"
    if not isinstance(answer, dict):
        raise ResponseError(f"{where}: expected a CBOR map, found {type(answer).__name__}")
    status = answer.get("status")
    if status == "replied":
        reply = answer.get("reply")
        if not isinstance(reply, dict) or not isinstance(reply.get("arg"), bytes):
            raise ResponseError(f"{where}: a replied answer needs reply.arg (bytes)")
    elif status == "rejected":
        _check_reject_fields(answer, where)
    else:
        raise ResponseError(f"{where}: status must be 'replied' or 'rejected', found {status!r}")


def _check_reject_fields(answer: dict, where: str) -> None:
    code, message, error_code = answer.get("reject_code"), answer.get("reject_message"), answer.get("error_code")
    if not isinstance(code, int) or isinstance(code, bool):
        raise ResponseError(f"{where}: reject_code must be a number, found {type(code).__name__}")
    if not isinstance(message, str):
        raise ResponseError(f"{where}: reject_message must be text, found {type(message).__name__}")
    if error_code is not None and not isinstance(error_code, str):
        raise ResponseError(f"{where}: error_code must be text, found {type(error_code).__name__}")


def _uncertified_reject(answer: dict, method: str, rid: bytes) -> RejectError:
    _check_reject_fields(answer, f"call {method!r}")
    return RejectError(
        answer["reject_code"], answer["reject_message"], answer.get("error_code"), method=method, certified=False, request_id=rid
    )
