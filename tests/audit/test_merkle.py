"""The Merkle tree against RFC 6962/9162's reference vectors and a brute-force model."""

import hashlib

import pytest

from lfr_portal import merkle

# The Certificate Transparency reference leaves and tree heads (sizes 1 to 8), as
# published with the CT implementations and reused by transparency-dev/merkle.
CT_LEAVES = [
    bytes.fromhex(h)
    for h in (
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    )
]
CT_ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
CT_INCLUSION = [
    (
        0,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        5,
        8,
        [
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
]
CT_CONSISTENCY = [
    (
        2,
        8,
        [
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        6,
        8,
        [
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
]

LEAF_HASHES = [merkle.leaf_hash(leaf) for leaf in CT_LEAVES]


def brute_mth(leaves):
    """MTH straight from the RFC's definition, over leaf hashes, with no shortcuts."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return hashlib.sha256(b"\x01" + brute_mth(leaves[:k]) + brute_mth(leaves[k:])).digest()


def brute_path(m, leaves):
    if len(leaves) == 1:
        return []
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    if m < k:
        return [*brute_path(m, leaves[:k]), brute_mth(leaves[k:])]
    return [*brute_path(m - k, leaves[k:]), brute_mth(leaves[:k])]


def brute_subproof(m, leaves, whole):
    if m == len(leaves):
        return [] if whole else [brute_mth(leaves)]
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    if m <= k:
        return [*brute_subproof(m, leaves[:k], whole), brute_mth(leaves[k:])]
    return [*brute_subproof(m - k, leaves[k:], False), brute_mth(leaves[:k])]


def test_the_reference_tree_heads():
    tree = merkle.MerkleTree(LEAF_HASHES)
    assert tree.root(0).hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert [tree.root(n).hex() for n in range(1, 9)] == CT_ROOTS


@pytest.mark.parametrize(("index", "size", "proof"), CT_INCLUSION)
def test_the_reference_inclusion_proofs(index, size, proof):
    tree = merkle.MerkleTree(LEAF_HASHES)
    assert [p.hex() for p in tree.inclusion_proof(index, size)] == proof
    root = bytes.fromhex(CT_ROOTS[size - 1])
    assert merkle.verify_inclusion(
        index, size, LEAF_HASHES[index], [bytes.fromhex(p) for p in proof], root
    )


@pytest.mark.parametrize(("first", "second", "proof"), CT_CONSISTENCY)
def test_the_reference_consistency_proofs(first, second, proof):
    tree = merkle.MerkleTree(LEAF_HASHES)
    assert [p.hex() for p in tree.consistency_proof(first, second)] == proof
    assert merkle.verify_consistency(
        first,
        second,
        bytes.fromhex(CT_ROOTS[first - 1]),
        bytes.fromhex(CT_ROOTS[second - 1]),
        [bytes.fromhex(p) for p in proof],
    )


def _leaves(n):
    return [merkle.leaf_hash(f"leaf {i}".encode()) for i in range(n)]


def test_roots_proofs_and_frontiers_match_the_definition_for_every_size_up_to_70():
    leaves = _leaves(70)
    tree = merkle.MerkleTree(leaves)
    frontier = []
    for n in range(71):
        assert tree.root(n) == brute_mth(leaves[:n])
        assert merkle.root_from_frontier([h for _, h in frontier]) == brute_mth(leaves[:n])
        for m in range(n):
            assert tree.inclusion_proof(m, n) == brute_path(m, leaves[:n])
        for m in range(1, n):
            assert tree.consistency_proof(m, n) == brute_subproof(m, leaves[:n], True)
        if n < 70:
            frontier = merkle.extend_frontier(frontier, [leaves[n]])


def test_every_proof_verifies_and_every_mangled_one_fails():
    leaves = _leaves(40)
    tree = merkle.MerkleTree(leaves)
    roots = [tree.root(n) for n in range(41)]
    junk = b"\xab" * 32
    for n in range(1, 41):
        for m in range(n):
            proof = tree.inclusion_proof(m, n)
            assert merkle.verify_inclusion(m, n, leaves[m], proof, roots[n])
            assert not merkle.verify_inclusion(m, n, junk, proof, roots[n])
            assert not merkle.verify_inclusion(m, n, leaves[m], [*proof, junk], roots[n])
            if proof:
                assert not merkle.verify_inclusion(m, n, leaves[m], proof[:-1], roots[n])
                flipped = [bytes([proof[0][0] ^ 1]) + proof[0][1:], *proof[1:]]
                assert not merkle.verify_inclusion(m, n, leaves[m], flipped, roots[n])
            if n > 1:
                assert not merkle.verify_inclusion((m + 1) % n, n, leaves[m], proof, roots[n])
        for m in range(0, n + 1):
            proof = tree.consistency_proof(m, n)
            assert merkle.verify_consistency(m, n, roots[m], roots[n], proof)
            if 0 < m < n:
                assert not merkle.verify_consistency(m, n, junk, roots[n], proof)
                assert not merkle.verify_consistency(m, n, roots[m], junk, proof)
                assert not merkle.verify_consistency(m, n, roots[m], roots[n], proof[:-1])
                assert not merkle.verify_consistency(m, n, roots[m], roots[n], [*proof, junk])
                # A log that rewrote leaf 0 has a different tree of n: no proof links them.
                other = merkle.MerkleTree([junk, *leaves[1:n]])
                assert not merkle.verify_consistency(
                    m, n, roots[m], other.root(), other.consistency_proof(m, n)
                )
    assert not merkle.verify_consistency(5, 4, roots[5], roots[4], [])
    assert not merkle.verify_inclusion(4, 4, leaves[3], tree.inclusion_proof(3, 4), roots[4])
