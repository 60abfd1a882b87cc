"""The certified state of the replica and the certificates cut from it (ic-interface-facts §5, §6).

The state tree, in nested-dict form (labels are bytes, leaves are bytes):

    /time                                   LEB128 ns
    /subnet/<sid>/public_key                133-byte DER root key
    /subnet/<sid>/canister_ranges           tagged CBOR [[lo, hi], ...]
    /subnet/<sid>/node/<nid>/public_key     44-byte DER Ed25519 node key
    /canister/<cid>/certified_data          up to 32 bytes (empty until set)
    /canister/<cid>/controllers             tagged CBOR [principal, ...] (Python canisters: [])
    /canister/<cid>/module_hash             32 bytes, Wasm canisters with a module only
    /canister/<cid>/metadata/<name>         a module's `icp:public`/`icp:private` custom section
    /canister_ranges/<sid>/<lo>             tagged CBOR [[lo, hi]] (only when asked for: agent-js 3.x
                                            mis-orders `canister_ranges` after a sibling `canister`)
    /request_status/<rid>/status|reply|reject_code|reject_message|error_code

Each certificate is cut fresh: the parts of the state the requested paths touch are built into a
hash tree, pruned to those paths (plus `/time`) and signed with the root key over
`\\x0Dic-state-root ‖ root hash`. agent-js never compares roots across certificates (§6).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterable

from ic.request_id import encode_leb128
from replica.certification.keys import STATE_ROOT_DOMAIN, ReplicaKeys
from replica.certification.request_status import RequestStatusStore

Path = tuple[bytes, ...]
# All canister ids this replica hosts fall in one range (canister ids are index ‖ 0x01 0x01).
CANISTER_RANGES: tuple[tuple[bytes, bytes], ...] = (
    (bytes.fromhex("00000000000000000101"), bytes.fromhex("00000000ffffffff0101")),
)


@dataclass(frozen=True)
class CanisterView:
    """What the state tree shows of a Wasm canister (its host answers `canister_view`)."""

    certified_data: bytes = b""
    controllers: tuple[bytes, ...] = ()
    module_hash: bytes | None = None
    public_metadata: dict[str, bytes] = field(default_factory=dict)
    private_metadata: dict[str, bytes] = field(default_factory=dict)


class CertifiedState:
    def __init__(
        self,
        keys: ReplicaKeys,
        *,
        canister_ids: Callable[[], Iterable[bytes]] = lambda: (),
        requests: RequestStatusStore | None = None,
        canister_view: Callable[[bytes], CanisterView | None] = lambda _cid: None,
    ):
        from ic import cbor

        self.keys = keys
        self.subnet_id = keys.root.subnet_id
        self.node_id = keys.node.node_id
        self.requests = requests if requests is not None else RequestStatusStore()
        self.certified_data: dict[bytes, bytes] = {}
        self._canister_ids = canister_ids
        self.canister_view = canister_view
        self._ranges_leaf = cbor.encode([[lo, hi] for lo, hi in CANISTER_RANGES])
        self._controllers_leaf = cbor.encode([])

    def in_ranges(self, canister_id: bytes) -> bool:
        return any(lo <= canister_id <= hi and len(canister_id) == len(lo) for lo, hi in CANISTER_RANGES)

    def set_certified_data(self, canister_id: bytes, data: bytes) -> None:
        if len(data) > 32:
            raise ValueError(f"certified data is at most 32 bytes, got {len(data)}")
        self.certified_data[canister_id] = bytes(data)

    # -- the tree ------------------------------------------------------------------------------

    def subnet_subtree(self) -> dict:
        return {
            self.subnet_id: {
                b"public_key": self.keys.root.der,
                b"canister_ranges": self._ranges_leaf,
                b"node": {self.node_id: {b"public_key": self.keys.node.der}},
            }
        }

    def certified_data_of(self, canister_id: bytes) -> bytes:
        view = self.canister_view(canister_id)
        return view.certified_data if view is not None else self.certified_data.get(canister_id, b"")

    def canister_subtree(self, canister_id: bytes) -> dict:
        from ic import cbor

        view = self.canister_view(canister_id)
        if view is None:
            return {
                b"certified_data": self.certified_data.get(canister_id, b""),
                b"controllers": self._controllers_leaf,
            }
        node: dict = {b"certified_data": view.certified_data, b"controllers": cbor.encode(list(view.controllers))}
        if view.module_hash is not None:
            node[b"module_hash"] = view.module_hash
        metadata = {name.encode(): content for name, content in {**view.public_metadata, **view.private_metadata}.items()}
        if metadata:
            node[b"metadata"] = metadata
        return node

    def state_for(self, paths: Iterable[Path], now_ns: int) -> dict:
        """The part of the state tree the paths touch (a valid tree of its own)."""
        state: dict = {b"time": encode_leb128(now_ns)}
        for path in paths:
            if not path:
                continue
            head = path[0]
            if head == b"subnet":
                state[b"subnet"] = self.subnet_subtree()
            elif head == b"canister" and len(path) > 1:
                cid = path[1]
                if cid in set(self._canister_ids()):
                    state.setdefault(b"canister", {})[cid] = self.canister_subtree(cid)
                else:
                    state.setdefault(b"canister", {})
            elif head == b"canister_ranges":
                # SPEC-NEW shards (subnet endpoint only): /canister_ranges/<sid>/<lowest id> -> ranges
                state[b"canister_ranges"] = {self.subnet_id: {CANISTER_RANGES[0][0]: self._ranges_leaf}}
            elif head == b"request_status":
                node = state.setdefault(b"request_status", {})
                if len(path) > 1:
                    record = self.requests.get(path[1])
                    if record is not None:
                        node[path[1]] = record.tree()
        return state

    def certificate(self, paths: Iterable[Path], now_ns: int) -> bytes:
        """CBOR certificate revealing `paths` and `/time`, signed by the root key."""
        paths = [tuple(p) for p in paths] + [(b"time",)]
        return self.sign_tree(self.state_for(paths, now_ns), paths)

    def data_certificate(self, canister_id: bytes, now_ns: int) -> bytes:
        """What a query sees as `data_certificate()`: `/canister/<cid>/certified_data` and `/time`."""
        paths = [(b"canister", canister_id, b"certified_data"), (b"time",)]
        state = {
            b"time": encode_leb128(now_ns),
            b"canister": {canister_id: {b"certified_data": self.certified_data_of(canister_id)}},
        }
        return self.sign_tree(state, paths)

    def sign_tree(self, state: dict, paths: list[Path]) -> bytes:
        from ic import cbor
        from ic import hash_tree

        tree = hash_tree.build_tree(state)
        witness = hash_tree.prune(tree, paths)
        root = hash_tree.reconstruct(witness)
        signature = self.keys.root.sign(STATE_ROOT_DOMAIN + root)
        return cbor.encode({"tree": hash_tree.encode_tree(witness), "signature": signature})
