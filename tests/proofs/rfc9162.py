"""An RFC 9162 verifier written from the RFC's text alone, to check accord's tree from the outside.

It shares no code with accord: the Merkle Tree Hash is §2.1.1's recursive
definition, the inclusion check §2.1.3.2's steps and the consistency check
§2.1.4.2's, each numbered as the RFC numbers them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def mth(entries: Sequence[bytes]) -> bytes:
    """§2.1.1: MTH({}) = SHA-256(); MTH({d(0)}) = SHA-256(0x00 || d(0)); MTH(D[n]) = SHA-256(0x01 ||
    MTH(D[0:k]) || MTH(D[k:n])), k the largest power of two smaller than n."""
    n = len(entries)
    if n == 0:
        return sha256(b"")
    if n == 1:
        return sha256(b"\x00" + entries[0])
    k = 1
    while k * 2 < n:
        k *= 2
    return sha256(b"\x01" + mth(entries[:k]) + mth(entries[k:]))


def _lsb(value: int) -> bool:
    return value & 1 == 1


def verify_inclusion(leaf_index: int, tree_size: int, hash_: bytes, inclusion_path: Sequence[bytes], root_hash: bytes) -> bool:
    """§2.1.3.2, step by step."""
    # 1. leaf_index must be below tree_size.
    if leaf_index >= tree_size:
        return False
    # 2. fn = leaf_index, sn = tree_size - 1.
    fn, sn = leaf_index, tree_size - 1
    # 3. r = hash.
    r = hash_
    # 4. For each value p in the inclusion_path array:
    for p in inclusion_path:
        # a. If sn is 0, then stop the iteration and fail the proof verification.
        if sn == 0:
            return False
        # b. If LSB(fn) is set, or if fn is equal to sn, then:
        if _lsb(fn) or fn == sn:
            # i. Set r to HASH(0x01 || p || r).
            r = sha256(b"\x01" + p + r)
            # ii. If LSB(fn) is not set, right-shift fn and sn equally until either LSB(fn) is set or fn is 0.
            if not _lsb(fn):
                while not _lsb(fn) and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            # Otherwise: i. Set r to HASH(0x01 || r || p).
            r = sha256(b"\x01" + r + p)
        # c. Finally, right-shift both fn and sn one time.
        fn >>= 1
        sn >>= 1
    # 5. sn must be 0 and r the root_hash.
    return sn == 0 and r == root_hash


def verify_consistency(first: int, second: int, first_hash: bytes, second_hash: bytes, consistency_path: Sequence[bytes]) -> bool:
    """§2.1.4.2, step by step, for 0 < first < second (for first == second there is nothing to prove: the
    path must be empty and the two hashes equal)."""
    if first == second:
        return not consistency_path and first_hash == second_hash
    if not 0 < first < second:
        return False
    path = list(consistency_path)
    # 1. If consistency_path is an empty array, stop and fail the proof verification.
    if not path:
        return False
    # 2. If first is an exact power of 2, then prepend first_hash to the consistency_path array.
    if first & (first - 1) == 0:
        path.insert(0, first_hash)
    # 3. Set fn to first - 1 and sn to second - 1.
    fn, sn = first - 1, second - 1
    # 4. If LSB(fn) is set, then right-shift both fn and sn equally until LSB(fn) is not set.
    while _lsb(fn):
        fn >>= 1
        sn >>= 1
    # 5. Set both fr and sr to the first value in the consistency_path array.
    fr = sr = path[0]
    # 6. For each subsequent value c in the consistency_path array:
    for c in path[1:]:
        # a. If sn is 0, then stop the iteration and fail the proof verification.
        if sn == 0:
            return False
        # b. If LSB(fn) is set, or if fn is equal to sn, then:
        if _lsb(fn) or fn == sn:
            # i. Set fr to HASH(0x01 || c || fr). ii. Set sr to HASH(0x01 || c || sr).
            fr = sha256(b"\x01" + c + fr)
            sr = sha256(b"\x01" + c + sr)
            # iii. If LSB(fn) is not set, right-shift fn and sn equally until either LSB(fn) is set or fn is 0.
            if not _lsb(fn):
                while not _lsb(fn) and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            # Otherwise: i. Set sr to HASH(0x01 || sr || c).
            sr = sha256(b"\x01" + sr + c)
        # c. Finally, right-shift both fn and sn one time.
        fn >>= 1
        sn >>= 1
    # 7. fr must equal first_hash, sr second_hash, and sn be 0.
    return fr == first_hash and sr == second_hash and sn == 0
