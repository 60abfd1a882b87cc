"""Hash trees (interface spec "Certification" > "Encoding of certificates", "Lookup", "Well-formed
trees"): nodes, CBOR form, root hash, lookup with its outcomes, and building and pruning (witnesses).

CBOR form: `[0]` Empty, `[1, left, right]` Fork, `[2, label, subtree]` Labeled, `[3, value]` Leaf,
`[4, digest]` Pruned; labels and values are byte strings, digests 32 bytes.

    reconstruct(Empty)       = H(ds("ic-hashtree-empty"))
    reconstruct(Fork l r)    = H(ds("ic-hashtree-fork") ‖ reconstruct(l) ‖ reconstruct(r))
    reconstruct(Labeled k t) = H(ds("ic-hashtree-labeled") ‖ k ‖ reconstruct(t))
    reconstruct(Leaf v)      = H(ds("ic-hashtree-leaf") ‖ v)
    reconstruct(Pruned h)    = h

Lookup follows the spec (labels in bytewise order within a fork-flattened level): `Found(value)`,
`Absent` (provably not there), `Unknown` (a pruned part could hide it), and `NotALeaf` (the path
ends at a fork or labeled node: the spec's "Error"). A path that runs into a leaf early is Absent,
as in agent-js.
"""

from __future__ import annotations

import bisect
import hashlib
from dataclasses import dataclass
from typing import Any, Iterable, Iterator, Mapping, Sequence, Union

from ic.errors import HashTreeError
from ic.request_id import domain_separator

DEFAULT_MAX_DEPTH = 128
DIGEST_LENGTH = 32
DOMAIN_EMPTY = domain_separator("ic-hashtree-empty")
DOMAIN_FORK = domain_separator("ic-hashtree-fork")
DOMAIN_LABELED = domain_separator("ic-hashtree-labeled")
DOMAIN_LEAF = domain_separator("ic-hashtree-leaf")
EMPTY_HASH = hashlib.sha256(DOMAIN_EMPTY).digest()


# -- nodes ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Empty:
    pass


@dataclass(frozen=True)
class Fork:
    left: "HashTree"
    right: "HashTree"


@dataclass(frozen=True)
class Labeled:
    label: bytes
    subtree: "HashTree"


@dataclass(frozen=True)
class Leaf:
    value: bytes


@dataclass(frozen=True)
class Pruned:
    digest: bytes


HashTree = Union[Empty, Fork, Labeled, Leaf, Pruned]
EMPTY = Empty()
_NODE_TYPES = (Empty, Fork, Labeled, Leaf, Pruned)


# -- lookup outcomes ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Found:
    """The path ends at a leaf with this value (or, from `lookup_subtree`, at this subtree)."""

    value: Any


@dataclass(frozen=True)
class Absent:
    """The tree proves that nothing is at the path."""


@dataclass(frozen=True)
class Unknown:
    """A pruned part of the tree could hold the path: the tree proves neither way."""


@dataclass(frozen=True)
class NotALeaf:
    """The path ends at a fork or labeled node (a subtree), not at a value."""


LookupResult = Union[Found, Absent, Unknown, NotALeaf]
ABSENT, UNKNOWN, NOT_A_LEAF = Absent(), Unknown(), NotALeaf()


# -- CBOR form ------------------------------------------------------------------------------------


def decode_tree(obj: Any, *, max_depth: int = DEFAULT_MAX_DEPTH, well_formed: bool = True) -> HashTree:
    """The tree from its decoded CBOR form; checks shape, depth and (by default) well-formedness."""
    tree = _decode(obj, 0, (), max_depth)
    if well_formed:
        check_well_formed(tree)
    return tree


def _where(at: tuple[int, ...]) -> str:
    return "tree" + "".join(f"[{i}]" for i in at)


def _decode(obj: Any, depth: int, at: tuple[int, ...], max_depth: int) -> HashTree:
    if depth > max_depth:
        raise HashTreeError(f"hash tree: {_where(at)} is nested deeper than {max_depth} levels")
    if not isinstance(obj, list) or not obj:
        raise HashTreeError(f"hash tree: {_where(at)}: expected a non-empty array, found {_describe(obj)}")
    tag = obj[0]
    if isinstance(tag, bool) or not isinstance(tag, int) or not 0 <= tag <= 4:
        raise HashTreeError(f"hash tree: {_where(at)}: node type must be 0..4, found {tag!r}")
    arity = (1, 3, 3, 2, 2)[tag]
    if len(obj) != arity:
        name = ("Empty", "Fork", "Labeled", "Leaf", "Pruned")[tag]
        raise HashTreeError(f"hash tree: {_where(at)}: a {name} node has {arity} elements, found {len(obj)}")
    if tag == 0:
        return EMPTY
    if tag == 1:
        return Fork(_decode(obj[1], depth + 1, at + (1,), max_depth), _decode(obj[2], depth + 1, at + (2,), max_depth))
    if tag == 2:
        label = obj[1]
        if not isinstance(label, bytes):
            raise HashTreeError(f"hash tree: {_where(at + (1,))}: a label must be a byte string, found {_describe(label)}")
        return Labeled(label, _decode(obj[2], depth + 1, at + (2,), max_depth))
    if tag == 3:
        if not isinstance(obj[1], bytes):
            raise HashTreeError(f"hash tree: {_where(at + (1,))}: a leaf value must be a byte string, found {_describe(obj[1])}")
        return Leaf(obj[1])
    digest = obj[1]
    if not isinstance(digest, bytes) or len(digest) != DIGEST_LENGTH:
        raise HashTreeError(f"hash tree: {_where(at + (1,))}: a pruned digest must be 32 bytes, found {_describe(digest)}")
    return Pruned(digest)


def _describe(value: Any) -> str:
    if isinstance(value, (bytes, bytearray)):
        return f"{len(value)} bytes"
    if isinstance(value, list):
        return f"an array of {len(value)}"
    return type(value).__name__


def encode_tree(tree: HashTree) -> list:
    """The CBOR-ready form of a tree (nested lists)."""
    if isinstance(tree, Fork):
        return [1, encode_tree(tree.left), encode_tree(tree.right)]
    if isinstance(tree, Labeled):
        return [2, tree.label, encode_tree(tree.subtree)]
    if isinstance(tree, Leaf):
        return [3, tree.value]
    if isinstance(tree, Pruned):
        return [4, tree.digest]
    if isinstance(tree, Empty):
        return [0]
    raise HashTreeError(f"hash tree: cannot encode {type(tree).__name__}")


# -- root hash and well-formedness ----------------------------------------------------------------


def reconstruct(tree: HashTree) -> bytes:
    """The root hash of a tree."""
    if isinstance(tree, Fork):
        return fork_hash(reconstruct(tree.left), reconstruct(tree.right))
    if isinstance(tree, Labeled):
        return labeled_hash(tree.label, reconstruct(tree.subtree))
    if isinstance(tree, Leaf):
        return leaf_hash(tree.value)
    if isinstance(tree, Pruned):
        return tree.digest
    if isinstance(tree, Empty):
        return EMPTY_HASH
    raise HashTreeError(f"hash tree: cannot hash {type(tree).__name__}")


def fork_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(DOMAIN_FORK + left + right).digest()


def labeled_hash(label: bytes, subtree_hash: bytes) -> bytes:
    return hashlib.sha256(DOMAIN_LABELED + label + subtree_hash).digest()


def leaf_hash(value: bytes) -> bytes:
    return hashlib.sha256(DOMAIN_LEAF + value).digest()


def flatten_forks(tree: HashTree) -> list[HashTree]:
    """The nodes of one level, left to right: forks opened, Empty dropped."""
    out: list[HashTree] = []
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, Fork):
            stack.append(node.right)
            stack.append(node.left)
        elif not isinstance(node, Empty):
            out.append(node)
    return out


def check_well_formed(tree: HashTree) -> None:
    """Labels strictly increasing within each level; no leaf beside other nodes (spec "well_formed")."""
    stack: list[tuple[HashTree, tuple[bytes, ...]]] = [(tree, ())]
    while stack:
        node, path = stack.pop()
        if isinstance(node, Leaf):
            continue
        where = "/" + "/".join(_show(label) for label in path)
        previous: bytes | None = None
        for child in flatten_forks(node):
            if isinstance(child, Leaf):
                raise HashTreeError(f"hash tree: not well-formed: a leaf sits beside forks or labels at {where}")
            if isinstance(child, Labeled):
                if previous is not None and not previous < child.label:
                    raise HashTreeError(
                        f"hash tree: not well-formed: at {where} label {_show(child.label)} follows "
                        f"{_show(previous)}; labels must be strictly increasing"
                    )
                previous = child.label
                stack.append((child.subtree, path + (child.label,)))


def _show(label: bytes) -> str:
    if label and all(0x21 <= b < 0x7F and b != 0x2F for b in label):
        return label.decode("ascii")
    return "0x" + label.hex()


# -- lookup ---------------------------------------------------------------------------------------


def _tree_and_path(a: Any, b: Any) -> tuple[HashTree, Sequence[bytes]]:
    """Accept (tree, path) or the spec's (path, tree) order."""
    if isinstance(a, _NODE_TYPES):
        return a, b
    if isinstance(b, _NODE_TYPES):
        return b, a
    raise HashTreeError(f"hash tree lookup: expected a tree and a path, found {type(a).__name__} and {type(b).__name__}")


def _label(label: Any) -> bytes:
    if isinstance(label, str):
        return label.encode("utf-8")
    if isinstance(label, (bytes, bytearray, memoryview)):
        return bytes(label)
    raise HashTreeError(f"hash tree lookup: a path label must be bytes or str, found {type(label).__name__}")


def find_label(label: bytes, tree: HashTree) -> LookupResult:
    """The subtree under `label` at this level as `Found(subtree)`, or Absent / Unknown."""
    forest = flatten_forks(tree)
    if not forest:
        return ABSENT
    for node in forest:
        if isinstance(node, Labeled) and node.label == label:
            return Found(node.subtree)
    first, last = forest[0], forest[-1]
    if isinstance(first, Labeled) and label < first.label:
        return ABSENT
    if isinstance(last, Labeled) and last.label < label:
        return ABSENT
    for before, after in zip(forest, forest[1:]):
        if isinstance(before, Labeled) and isinstance(after, Labeled) and before.label < label < after.label:
            return ABSENT
    if all(isinstance(node, Leaf) for node in forest):
        return ABSENT  # the path runs past a leaf (agent-js: Absent)
    return UNKNOWN


def lookup_subtree(tree: Any, path: Any) -> LookupResult:
    """`Found(subtree)` at the end of the path, or Absent / Unknown."""
    tree, path = _tree_and_path(tree, path)
    node: HashTree = tree
    for raw_label in path:
        result = find_label(_label(raw_label), node)
        if not isinstance(result, Found):
            return result
        node = result.value
    return Found(node)


def lookup_path(tree: Any, path: Any) -> LookupResult:
    """Found(value) / Absent / Unknown / NotALeaf for the value at `path` (labels as bytes or str).

    Takes `(tree, path)`; the spec's `(path, tree)` order is accepted too.
    """
    result = lookup_subtree(tree, path)
    if not isinstance(result, Found):
        return result
    node = result.value
    if isinstance(node, Leaf):
        return Found(node.value)
    if isinstance(node, Empty):
        return ABSENT
    if isinstance(node, Pruned):
        return UNKNOWN
    return NOT_A_LEAF


def lookup_value(tree: Any, path: Any) -> bytes | None:
    """The value at `path`, or None when the tree proves it absent; HashTreeError otherwise."""
    tree, path = _tree_and_path(tree, path)
    result = lookup_path(tree, path)
    if isinstance(result, Found):
        return result.value
    if isinstance(result, Absent):
        return None
    shown = "/" + "/".join(_show(_label(label)) for label in path)
    if isinstance(result, Unknown):
        raise HashTreeError(f"hash tree: {shown} is unknown (pruned from this tree)")
    raise HashTreeError(f"hash tree: {shown} is a subtree, not a value")


def list_paths(tree: HashTree) -> Iterator[tuple[tuple[bytes, ...], HashTree]]:
    """Every leaf and pruned node with its label path, left to right (for display and debugging)."""
    stack: list[tuple[HashTree, tuple[bytes, ...]]] = [(tree, ())]
    while stack:
        node, path = stack.pop()
        if isinstance(node, (Leaf, Pruned)):
            yield path, node
        elif isinstance(node, Labeled):
            stack.append((node.subtree, path + (node.label,)))
        elif isinstance(node, Fork):
            stack.append((node.right, path))
            stack.append((node.left, path))


# -- building and pruning -------------------------------------------------------------------------

Nested = Mapping[bytes, Union["Nested", bytes, HashTree]]


def build_tree(nested: Nested) -> HashTree:
    """A well-formed tree from nested maps: labels sorted, forks balanced; bytes become leaves."""
    return _build(nested, 0)


def _build(nested: Any, depth: int) -> HashTree:
    if depth > DEFAULT_MAX_DEPTH:
        raise HashTreeError(f"build_tree: nested deeper than {DEFAULT_MAX_DEPTH} levels")
    if isinstance(nested, (bytes, bytearray, memoryview)):
        return Leaf(bytes(nested))
    if isinstance(nested, _NODE_TYPES):
        return nested
    if not isinstance(nested, Mapping):
        raise HashTreeError(f"build_tree: expected a map, bytes or tree node, found {type(nested).__name__}")
    children = []
    for raw_label, value in nested.items():
        if not isinstance(raw_label, (bytes, bytearray, str)):
            raise HashTreeError(f"build_tree: a label must be bytes, found {type(raw_label).__name__}")
        children.append(Labeled(_label(raw_label), _build(value, depth + 1)))
    children.sort(key=lambda node: node.label)
    for before, after in zip(children, children[1:]):
        if before.label == after.label:
            raise HashTreeError(f"build_tree: label {_show(before.label)} appears twice")
    return _balanced(children, 0, len(children))


def _balanced(nodes: list[Labeled], lo: int, hi: int) -> HashTree:
    if hi == lo:
        return EMPTY
    if hi - lo == 1:
        return nodes[lo]
    mid = (lo + hi + 1) // 2
    return Fork(_balanced(nodes, lo, mid), _balanced(nodes, mid, hi))


_ALL = object()  # the whole subtree below this point is revealed
_PROOF = object()  # only the label is revealed (a neighbour proving another label absent)


def prune(tree: HashTree, paths: Iterable[Sequence[bytes]]) -> HashTree:
    """The witness revealing `paths` (each path's whole subtree) and pruning everything else.

    Paths not in the tree stay provably absent: their neighbouring labels are kept. The witness
    has the same root hash as `tree`.
    """
    trie: dict = {}
    for path in paths:
        labels = [_label(label) for label in path]
        if not labels:
            return tree
        node = trie
        for label in labels[:-1]:
            child = node.get(label)
            if child is _ALL:
                break
            node = node.setdefault(label, {})
        else:
            node[labels[-1]] = _ALL
    return _Pruner().level(tree, trie)


class _Pruner:
    def __init__(self) -> None:
        self.hashes: dict[int, bytes] = {}

    def digest(self, node: HashTree) -> bytes:
        key = id(node)
        cached = self.hashes.get(key)
        if cached is None:
            if isinstance(node, Fork):
                cached = fork_hash(self.digest(node.left), self.digest(node.right))
            elif isinstance(node, Labeled):
                cached = labeled_hash(node.label, self.digest(node.subtree))
            else:
                cached = reconstruct(node)
            self.hashes[key] = cached
        return cached

    def level(self, tree: HashTree, trie: Any) -> HashTree:
        if trie is _ALL:
            return tree
        if trie is _PROOF or not trie:
            return tree if not _has_content(tree) else Pruned(self.digest(tree))
        labels = sorted(node.label for node in flatten_forks(tree) if isinstance(node, Labeled))
        wanted: dict[bytes, Any] = {}
        for label, sub in trie.items():
            index = bisect.bisect_left(labels, label)
            if index < len(labels) and labels[index] == label:
                wanted[label] = sub
                continue
            for neighbour in (index - 1, index):
                if 0 <= neighbour < len(labels):
                    wanted.setdefault(labels[neighbour], _PROOF)
        return self.forest(tree, wanted)

    def forest(self, node: HashTree, wanted: dict[bytes, Any]) -> HashTree:
        if isinstance(node, Fork):
            left, right = self.forest(node.left, wanted), self.forest(node.right, wanted)
            if isinstance(left, Pruned) and isinstance(right, Pruned):
                return Pruned(self.digest(node))
            return Fork(left, right)
        if isinstance(node, Labeled):
            if node.label not in wanted:
                return Pruned(self.digest(node))
            return Labeled(node.label, self.level(node.subtree, wanted[node.label]))
        return node  # Empty, Leaf (a path running past it proves absence) or Pruned


def _has_content(tree: HashTree) -> bool:
    return any(True for _ in flatten_forks(tree))
