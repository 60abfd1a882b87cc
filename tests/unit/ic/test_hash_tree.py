"""ic.hash_tree: CBOR form, root hash, lookup outcomes, well-formedness, building and pruning."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ic import cbor
from ic import hash_tree as ht
from ic.errors import HashTreeError
from ic.hash_tree import ABSENT, NOT_A_LEAF, UNKNOWN, Empty, Fork, Found, Labeled, Leaf, Pruned

# Interface spec example (section "Certification" > "Example"): labels a/{x,y}, b, c, d.
SPEC_TREE_HEX = (
    "8301830183024161830183018302417882034568656c6c6f810083024179820345776f726c64"
    "83024162820344676f6f648301830241638100830241648203476d6f726e696e67"
)
SPEC_PRUNED_HEX = (
    "83018301830241618301820458201b4feff9bef8131788b0c9dc6dbad6e81e524249c879e9f1"
    "0f71ce3749f5a63883024179820345776f726c6483024162820458207b32ac0c6ba8ce35ac"
    "82c255fc7906f7fc130dab2a090f80fe12f9c2cae83ba6830182045820ec8324b8a1f1ac16"
    "bd2e806edba78006479c9877fed4eb464a25485465af601d830241648203476d6f726e696e67"
)
SPEC_ROOT = "eb5c5b2195e62d996b84c9bcc8259d19a83786a2f59e0878cec84c811f669aa0"


def spec_tree() -> ht.HashTree:
    return ht.decode_tree(cbor.decode(bytes.fromhex(SPEC_TREE_HEX)))


def test_spec_example_decodes_and_reconstructs():
    tree = spec_tree()
    assert tree == Fork(
        Fork(
            Labeled(b"a", Fork(Fork(Labeled(b"x", Leaf(b"hello")), Empty()), Labeled(b"y", Leaf(b"world")))),
            Labeled(b"b", Leaf(b"good")),
        ),
        Fork(Labeled(b"c", Empty()), Labeled(b"d", Leaf(b"morning"))),
    )
    assert ht.reconstruct(tree).hex() == SPEC_ROOT
    assert cbor.encode(ht.encode_tree(tree), self_describe=False).hex() == SPEC_TREE_HEX


def test_spec_pruned_example_has_the_same_root():
    pruned = ht.decode_tree(cbor.decode(bytes.fromhex(SPEC_PRUNED_HEX)))
    assert ht.reconstruct(pruned).hex() == SPEC_ROOT
    assert ht.lookup_path(pruned, [b"a", b"y"]) == Found(b"world")
    assert ht.lookup_path(pruned, [b"a", b"x"]) == UNKNOWN
    assert ht.lookup_path(pruned, [b"b"]) == UNKNOWN
    assert ht.lookup_path(pruned, [b"d"]) == Found(b"morning")


def test_domain_separated_hashes():
    assert ht.EMPTY_HASH.hex() == "4e3ed35c4e2d1ee89996483fb6260a64cffb6c47dbab216e7930e82f8190d120"
    assert ht.reconstruct(Leaf(b"v")) == hashlib.sha256(b"\x10ic-hashtree-leafv").digest()
    assert ht.reconstruct(Labeled(b"k", Empty())) == hashlib.sha256(b"\x13ic-hashtree-labeledk" + ht.EMPTY_HASH).digest()
    assert ht.reconstruct(Fork(Empty(), Empty())) == hashlib.sha256(b"\x10ic-hashtree-fork" + ht.EMPTY_HASH * 2).digest()
    assert ht.reconstruct(Pruned(b"\x07" * 32)) == b"\x07" * 32


# The lookup example of agent-js's certificate.test.ts, built by hand.
LOOKUP_TREE = Fork(
    Fork(
        Fork(Labeled(b"a", Pruned(bytes(32))), Labeled(b"c", Leaf(b"hello"))),
        Labeled(b"d", Fork(Labeled(b"1", Leaf(b"42")), Pruned(bytes(32)))),
    ),
    Fork(Labeled(b"e", Leaf(b"world")), Labeled(b"g", Empty())),
)


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ([b"a"], UNKNOWN),  # the subtree is pruned
        ([b"a", b"x"], UNKNOWN),
        ([b"0"], ABSENT),  # before the first label
        ([b"b"], ABSENT),  # between a and c
        ([b"c"], Found(b"hello")),
        ([b"c", b"more"], ABSENT),  # runs past a leaf
        ([b"d", b"1"], Found(b"42")),
        ([b"d", b"0"], ABSENT),
        ([b"d", b"2"], UNKNOWN),  # a pruned sibling follows 1
        ([b"d"], NOT_A_LEAF),
        ([b"e"], Found(b"world")),
        ([b"f"], ABSENT),
        ([b"g"], ABSENT),  # Empty
        ([b"h"], ABSENT),  # after the last label
        ([], NOT_A_LEAF),
        (["e"], Found(b"world")),  # text labels are UTF-8
    ],
)
def test_lookup_outcomes(path, expected):
    assert ht.lookup_path(LOOKUP_TREE, path) == expected
    assert ht.lookup_path(path, LOOKUP_TREE) == expected  # the spec's argument order


def test_lookup_value_and_subtree():
    assert ht.lookup_value(LOOKUP_TREE, [b"c"]) == b"hello"
    assert ht.lookup_value(LOOKUP_TREE, [b"b"]) is None
    with pytest.raises(HashTreeError, match="/a is unknown"):
        ht.lookup_value(LOOKUP_TREE, [b"a"])
    with pytest.raises(HashTreeError, match="/d is a subtree"):
        ht.lookup_value(LOOKUP_TREE, [b"d"])
    found = ht.lookup_subtree(LOOKUP_TREE, [b"d"])
    assert isinstance(found, Found) and ht.lookup_path(found.value, [b"1"]) == Found(b"42")
    assert ht.lookup_path(Pruned(bytes(32)), []) == UNKNOWN
    assert ht.lookup_path(Empty(), []) == ABSENT


@pytest.mark.parametrize(
    ("obj", "needle"),
    [
        ("x", r"tree: expected a non-empty array, found str"),
        ([], "non-empty array"),
        ([5], "node type must be 0..4, found 5"),
        ([True], "node type must be 0..4"),
        ([0, 1], "Empty node has 1 elements, found 2"),
        ([1, [0]], "Fork node has 3 elements, found 2"),
        ([2, "a", [0]], r"tree\[1\]: a label must be a byte string, found str"),
        ([3, "v"], "leaf value must be a byte string"),
        ([4, b"\x00" * 31], "pruned digest must be 32 bytes, found 31 bytes"),
        ([1, [0], [1, [0], [9]]], r"tree\[2\]\[2\]: node type"),
    ],
)
def test_decode_refuses_malformed_trees(obj, needle):
    with pytest.raises(HashTreeError, match=needle):
        ht.decode_tree(obj)


def test_decode_is_depth_bounded():
    obj: list = [0]
    for _ in range(200):
        obj = [2, b"x", obj]
    with pytest.raises(HashTreeError, match="nested deeper than 128"):
        ht.decode_tree(obj)


@pytest.mark.parametrize(
    ("tree", "needle"),
    [
        (Fork(Labeled(b"b", Empty()), Labeled(b"a", Empty())), "label a follows b"),
        (Fork(Labeled(b"a", Empty()), Labeled(b"a", Empty())), "label a follows a"),
        (Labeled(b"x", Fork(Labeled(b"2", Empty()), Labeled(b"1", Empty()))), "at /x label 1 follows 2"),
        (Fork(Leaf(b"v"), Labeled(b"a", Empty())), "a leaf sits beside"),
        (Fork(Leaf(b"v"), Empty()), "a leaf sits beside"),
    ],
)
def test_well_formedness(tree, needle):
    with pytest.raises(HashTreeError, match=needle):
        ht.decode_tree(ht.encode_tree(tree))
    ht.decode_tree(ht.encode_tree(tree), well_formed=False)


def test_build_tree_sorts_labels_and_balances_forks():
    tree = ht.build_tree({b"c": b"3", b"a": b"1", b"b": {b"x": b"2"}})
    assert tree == Fork(Fork(Labeled(b"a", Leaf(b"1")), Labeled(b"b", Labeled(b"x", Leaf(b"2")))), Labeled(b"c", Leaf(b"3")))
    ht.check_well_formed(tree)
    assert ht.build_tree({}) == Empty()
    with pytest.raises(HashTreeError, match="label must be bytes"):
        ht.build_tree({1: b""})  # type: ignore[dict-item]


def test_build_tree_rebuilds_the_spec_example():
    tree = ht.build_tree({b"a": {b"x": b"hello", b"y": b"world"}, b"b": b"good", b"c": {}, b"d": b"morning"})
    assert ht.lookup_path(tree, [b"a", b"x"]) == Found(b"hello")
    # Same content, different fork shape: a different root than the spec's hand-made tree.
    assert ht.reconstruct(tree) != bytes.fromhex(SPEC_ROOT)


def test_prune_keeps_the_root_and_the_requested_paths():
    state = {
        b"time": b"\x01",
        b"request_status": {bytes([i]) * 32: {b"status": b"replied", b"reply": b"r%d" % i} for i in range(8)},
        b"subnet": {b"s": {b"public_key": b"k", b"canister_ranges": b"[]"}},
    }
    tree = ht.build_tree(state)
    rid = bytes([3]) * 32
    witness = ht.prune(tree, [(b"request_status", rid), (b"time",)])
    assert ht.reconstruct(witness) == ht.reconstruct(tree)
    assert ht.lookup_path(witness, [b"request_status", rid, b"status"]) == Found(b"replied")
    assert ht.lookup_path(witness, [b"request_status", rid, b"reply"]) == Found(b"r3")
    assert ht.lookup_path(witness, [b"time"]) == Found(b"\x01")
    assert ht.lookup_path(witness, [b"subnet", b"s", b"public_key"]) == UNKNOWN
    assert ht.lookup_path(witness, [b"request_status", bytes([4]) * 32, b"status"]) == UNKNOWN
    assert len(cbor.encode(ht.encode_tree(witness))) < len(cbor.encode(ht.encode_tree(tree)))


def test_prune_proves_absence_of_missing_paths():
    tree = ht.build_tree({b"request_status": {bytes([i]) * 32: {b"status": b"done"} for i in (1, 5, 9)}, b"time": b"\x00"})
    for missing in (bytes([0]) * 32, bytes([4]) * 32, bytes([10]) * 32):
        witness = ht.prune(tree, [(b"request_status", missing, b"status")])
        assert ht.reconstruct(witness) == ht.reconstruct(tree)
        assert ht.lookup_path(witness, [b"request_status", missing, b"status"]) == ABSENT
    witness = ht.prune(tree, [(b"nothing_here",)])
    assert ht.lookup_path(witness, [b"nothing_here"]) == ABSENT
    assert ht.lookup_path(witness, [b"time"]) == UNKNOWN


def test_prune_of_the_empty_path_reveals_everything():
    tree = spec_tree()
    assert ht.prune(tree, [()]) is tree


def test_list_paths():
    assert [(p, n) for p, n in ht.list_paths(LOOKUP_TREE) if isinstance(n, Leaf)] == [
        ((b"c",), Leaf(b"hello")),
        ((b"d", b"1"), Leaf(b"42")),
        ((b"e",), Leaf(b"world")),
    ]


labels = st.binary(min_size=0, max_size=3)
nested = st.recursive(
    st.binary(max_size=4),
    lambda inner: st.dictionaries(labels, inner, max_size=4),
    max_leaves=25,
).filter(lambda v: isinstance(v, dict))


def _paths(value, prefix=()):
    if isinstance(value, dict):
        for label, child in value.items():
            yield from _paths(child, prefix + (label,))
    else:
        yield prefix, value


@settings(max_examples=150, deadline=None)
@given(nested, st.data())
def test_build_prune_lookup_properties(state, data):
    tree = ht.build_tree(state)
    ht.check_well_formed(tree)
    assert ht.decode_tree(cbor.decode(cbor.encode(ht.encode_tree(tree)))) == tree
    leaves = list(_paths(state))
    for path, value in leaves:
        assert ht.lookup_path(tree, path) == Found(value)
    keep = data.draw(st.lists(st.sampled_from(leaves), max_size=3)) if leaves else []
    extra = data.draw(st.lists(st.lists(labels, min_size=1, max_size=3), max_size=2))
    witness = ht.prune(tree, [p for p, _ in keep] + extra)
    ht.check_well_formed(witness)
    assert ht.reconstruct(witness) == ht.reconstruct(tree)
    for path, value in keep:
        assert ht.lookup_path(witness, path) == Found(value)
    for path in extra:
        assert ht.lookup_path(witness, path) == ht.lookup_path(tree, path)  # found or proved absent alike
