"""Merkle trees as RFC 9162 (Certificate Transparency v2) defines them, section 2.1.

Pure Python, standard library only: the offline verifier runs it on a machine with
no Django and no database. Hashes are 32-byte `bytes`; callers hex-encode them.

- leaf hash: SHA-256(0x00 || leaf), node hash: SHA-256(0x01 || left || right);
- MTH of n leaves splits at the largest power of two below n (so the tree is never
  padded and a tree of n leaves is a prefix of every larger one);
- inclusion proofs (PATH) and consistency proofs (PROOF/SUBPROOF) are generated as
  sections 2.1.3.1 and 2.1.4.1 describe and checked with the verification
  algorithms of sections 2.1.3.2 and 2.1.4.2, step for step.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_hash(leaf: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + leaf).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two strictly below n (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


class MerkleTree:
    """A tree over known leaf hashes, with every aligned perfect subtree kept.

    Any subtree RFC 9162's recursion asks for is either a perfect subtree at an
    aligned position (looked up) or lies on the right edge (at most log n of those,
    each built from looked-up parts), so roots and proofs cost O(log^2 n) after an
    O(n) build, instead of O(n) each.
    """

    def __init__(self, leaf_hashes: Iterable[bytes]):
        level = list(leaf_hashes)
        for h in level:
            if not isinstance(h, bytes) or len(h) != 32:
                raise ValueError("leaf hashes must be 32 bytes")
        self.levels: list[list[bytes]] = [level]
        while len(level) > 1:
            level = [node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
            self.levels.append(level)

    @property
    def size(self) -> int:
        return len(self.levels[0])

    def _subtree(self, start: int, end: int) -> bytes:
        """MTH(D[start:end]); `start` is always aligned as RFC 9162's recursion leaves it."""
        n = end - start
        if n == 0:
            return EMPTY_ROOT
        if n & (n - 1) == 0 and start % n == 0:
            height = n.bit_length() - 1
            return self.levels[height][start >> height]
        k = _split(n)
        return node_hash(self._subtree(start, start + k), self._subtree(start + k, end))

    def root(self, size: int | None = None) -> bytes:
        size = self.size if size is None else size
        if not 0 <= size <= self.size:
            raise ValueError(f"the tree has {self.size} leaves, not {size}")
        return self._subtree(0, size)

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        """PATH(index, D[0:size]) of RFC 9162 section 2.1.3.1."""
        size = self.size if size is None else size
        if not 0 <= index < size <= self.size:
            raise ValueError(f"no leaf {index} in a tree of {size}")
        return self._path(index, 0, size)

    def _path(self, m: int, start: int, end: int) -> list[bytes]:
        n = end - start
        if n == 1:
            return []
        k = _split(n)
        if m < k:
            return [*self._path(m, start, start + k), self._subtree(start + k, end)]
        return [*self._path(m - k, start + k, end), self._subtree(start, start + k)]

    def consistency_proof(self, first: int, second: int | None = None) -> list[bytes]:
        """PROOF(first, D[0:second]) of RFC 9162 section 2.1.4.1."""
        second = self.size if second is None else second
        if not 0 <= first <= second <= self.size:
            raise ValueError(f"no consistency proof from {first} to {second}")
        if first == 0 or first == second:
            return []
        return self._subproof(first, 0, second, True)

    def _subproof(self, m: int, start: int, end: int, whole: bool) -> list[bytes]:
        n = end - start
        if m == n:
            return [] if whole else [self._subtree(start, end)]
        k = _split(n)
        if m <= k:
            return [*self._subproof(m, start, start + k, whole), self._subtree(start + k, end)]
        return [*self._subproof(m - k, start + k, end, False), self._subtree(start, start + k)]


def root_from_frontier(frontier: Sequence[bytes]) -> bytes:
    """The root of a tree given the roots of its perfect subtrees, largest first."""
    if not frontier:
        return EMPTY_ROOT
    root = frontier[-1]
    for left in reversed(frontier[:-1]):
        root = node_hash(left, root)
    return root


def extend_frontier(
    frontier: list[tuple[int, bytes]], leaf_hashes: Iterable[bytes]
) -> list[tuple[int, bytes]]:
    """Append leaves to a compact tree: (size, hash) of each perfect subtree, largest first.

    This is what lets a signed head be issued from the previous head and the rows
    written since, without reading the whole log again.
    """
    frontier = list(frontier)
    for h in leaf_hashes:
        size, node = 1, h
        while frontier and frontier[-1][0] == size:
            left_size, left = frontier.pop()
            size, node = left_size + size, node_hash(left, node)
        frontier.append((size, node))
    return frontier


def verify_inclusion(
    index: int, size: int, leaf: bytes, proof: Sequence[bytes], root: bytes
) -> bool:
    """RFC 9162 section 2.1.3.2: does `proof` put `leaf` at `index` of the tree with `root`?"""
    if not 0 <= index < size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(
    first: int, second: int, first_root: bytes, second_root: bytes, proof: Sequence[bytes]
) -> bool:
    """RFC 9162 section 2.1.4.2: is the tree of `second` leaves an extension of `first`'s?"""
    if not 0 <= first <= second:
        return False
    if first == second:
        return not proof and first_root == second_root
    if first == 0:
        # The empty tree is a prefix of every tree; there is nothing to prove.
        return not proof and first_root == EMPTY_ROOT
    if not proof:
        return False
    path = list(proof)
    if first & (first - 1) == 0:
        path.insert(0, first_root)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == first_root and sr == second_root and sn == 0
