"""The canister-signature map: certified "sig" subtree entries that expire (reference section 4).

Entry path `sig / SHA-256(seed) / SHA-256(u8(26) || "ic-request-auth-delegation" || msg)` with an
empty leaf. Entries expire one minute after they are added; each add prunes at most 50 expired
entries. The canister's certified data is
`fork_hash(assets_root_hash, labeled_hash("sig", sig_root))`, with the empty tree standing for the
assets (this canister certifies no assets).

Any tree shape is valid for canister signatures (verifiers look up the path and reconstruct the
root), so the map keeps a shape that is cheap to update: seed hashes grouped into 256 buckets by
their first byte, each bucket a balanced tree over its sorted entries, and a balanced tree over the
non-empty buckets; labels stay sorted left to right. An add rehashes one bucket and the top.
Witnesses are hash trees in their CBOR array form ([0], [1,l,r], [2,label,t], [3,value], [4,hash]).
"""

from __future__ import annotations

import heapq
from typing import Any

from ic import hash_tree

SIGNATURE_EXPIRATION_PERIOD_NS = 60 * 1_000_000_000
MAX_SIGS_TO_PRUNE = 50

Tree = list[Any]  # a hash tree in CBOR array form


# Node hashes are the IC's (interface spec "Certification"), from the one copy in `ic.hash_tree`.
EMPTY_HASH = hash_tree.EMPTY_HASH
fork_hash = hash_tree.fork_hash
labeled_hash = hash_tree.labeled_hash
leaf_hash = hash_tree.leaf_hash
EMPTY_LEAF_HASH = leaf_hash(b"")


def _balanced_hash(hashes: list[bytes]) -> bytes:
    if not hashes:
        return EMPTY_HASH
    if len(hashes) == 1:
        return hashes[0]
    mid = len(hashes) // 2
    return fork_hash(_balanced_hash(hashes[:mid]), _balanced_hash(hashes[mid:]))


def _balanced_witness(hashes: list[bytes], index: int, target: Tree) -> Tree:
    """The balanced tree over `hashes`, pruned except for the path to `index` (= `target`)."""
    if len(hashes) == 1:
        return target
    mid = len(hashes) // 2
    if index < mid:
        return [1, _balanced_witness(hashes[:mid], index, target), [4, _balanced_hash(hashes[mid:])]]
    return [1, [4, _balanced_hash(hashes[:mid])], _balanced_witness(hashes[mid:], index - mid, target)]


class SignatureMap:
    def __init__(self) -> None:
        # seed hash -> message hash -> expiration
        self._entries: dict[bytes, dict[bytes, int]] = {}
        self._queue: list[tuple[int, bytes, bytes]] = []
        self._buckets: dict[int, list[bytes]] = {}  # first byte -> sorted seed hashes
        self._seed_node: dict[bytes, bytes] = {}  # seed hash -> labeled node hash
        self._bucket_hash: dict[int, bytes] = {}
        self._root: bytes = EMPTY_HASH

    def __len__(self) -> int:
        return sum(len(m) for m in self._entries.values())

    # --- updates -------------------------------------------------------------------------------

    def add(self, seed_hash: bytes, msg_hash: bytes, now: int) -> None:
        self._prune(now, MAX_SIGS_TO_PRUNE)
        expiration = now + SIGNATURE_EXPIRATION_PERIOD_NS
        msgs = self._entries.setdefault(seed_hash, {})
        new_seed = not msgs
        msgs[msg_hash] = expiration
        heapq.heappush(self._queue, (expiration, seed_hash, msg_hash))
        if new_seed:
            bucket = self._buckets.setdefault(seed_hash[0], [])
            bucket.append(seed_hash)
            bucket.sort()
        self._rehash_seed(seed_hash)

    def _prune(self, now: int, limit: int) -> None:
        touched: set[bytes] = set()
        pruned = 0
        while self._queue and self._queue[0][0] <= now and pruned < limit:
            expiration, seed_hash, msg_hash = heapq.heappop(self._queue)
            msgs = self._entries.get(seed_hash)
            if msgs is None or msgs.get(msg_hash) != expiration:
                continue  # superseded by a later add of the same entry
            del msgs[msg_hash]
            touched.add(seed_hash)
            pruned += 1
        for seed_hash in touched:
            if not self._entries[seed_hash]:
                del self._entries[seed_hash]
                bucket = self._buckets[seed_hash[0]]
                bucket.remove(seed_hash)
                self._seed_node.pop(seed_hash, None)
                if not bucket:
                    del self._buckets[seed_hash[0]]
            self._rehash_seed(seed_hash, top=False)
        if touched:
            self._rehash_top()

    def _msgs_hashes(self, seed_hash: bytes) -> list[bytes]:
        return [labeled_hash(m, EMPTY_LEAF_HASH) for m in sorted(self._entries[seed_hash])]

    def _rehash_seed(self, seed_hash: bytes, top: bool = True) -> None:
        if seed_hash in self._entries:
            self._seed_node[seed_hash] = labeled_hash(seed_hash, _balanced_hash(self._msgs_hashes(seed_hash)))
        b = seed_hash[0]
        if b in self._buckets:
            self._bucket_hash[b] = _balanced_hash([self._seed_node[s] for s in self._buckets[b]])
        else:
            self._bucket_hash.pop(b, None)
        if top:
            self._rehash_top()

    def _rehash_top(self) -> None:
        self._root = _balanced_hash([self._bucket_hash[b] for b in sorted(self._buckets)])

    # --- reads ---------------------------------------------------------------------------------

    def root_hash(self) -> bytes:
        return self._root

    def certified_data(self) -> bytes:
        return fork_hash(EMPTY_HASH, labeled_hash(b"sig", self._root))

    def expiration(self, seed_hash: bytes, msg_hash: bytes) -> int | None:
        return self._entries.get(seed_hash, {}).get(msg_hash)

    def witness(self, seed_hash: bytes, msg_hash: bytes) -> Tree | None:
        """The full certified tree pruned to the entry's path, or None if it is absent."""
        if self.expiration(seed_hash, msg_hash) is None:
            return None
        msgs = sorted(self._entries[seed_hash])
        msg_tree = _balanced_witness(
            [labeled_hash(m, EMPTY_LEAF_HASH) for m in msgs], msgs.index(msg_hash),
            [2, msg_hash, [3, b""]],
        )
        bucket = self._buckets[seed_hash[0]]
        seed_tree = _balanced_witness(
            [self._seed_node[s] for s in bucket], bucket.index(seed_hash), [2, seed_hash, msg_tree]
        )
        order = sorted(self._buckets)
        sig_tree = _balanced_witness(
            [self._bucket_hash[b] for b in order], order.index(seed_hash[0]), seed_tree
        )
        return [1, [4, EMPTY_HASH], [2, b"sig", sig_tree]]

