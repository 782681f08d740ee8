"""Proofs as the archive hands them out, and the offline check of a proof bundle.

A bundle is one JSON object: `{"event": the envelope, "checkpoint": the
signed note, "proof": the inclusion proof, "key": the verifier key}`. Whoever
holds it and trusts the archive's verifier key can check, with nothing else,
that this very event is leaf `position - 1` of the tree the archive signed.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import orjson

from events.merkle import ProofError, leaf_hash, verify_inclusion
from events.notes import Checkpoint, NoteError, Verifier, b64, open_checkpoint, unb64


@dataclass(frozen=True)
class InclusionProof:
    """RFC 9162 inclusion proof of leaf `leaf_index` in the tree of `tree_size` leaves."""

    leaf_index: int
    tree_size: int
    leaf_hash: bytes
    audit_path: list[bytes]

    def to_json(self) -> dict[str, Any]:
        return {
            "leaf_index": self.leaf_index,
            "tree_size": self.tree_size,
            "leaf_hash": b64(self.leaf_hash),
            "audit_path": [b64(h) for h in self.audit_path],
        }


@dataclass(frozen=True)
class ConsistencyProof:
    first: int
    second: int
    proof: list[bytes]

    def to_json(self) -> dict[str, Any]:
        return {"first": self.first, "second": self.second, "proof": [b64(h) for h in self.proof]}


def envelope_canonical(event: dict[str, Any]) -> bytes:
    """The canonical JSON of an envelope as the API returns it: every field but `hash`, keys sorted at
    every level, no white space: the bytes the chain's hash and the tree's leaf hash cover."""
    return orjson.dumps({k: v for k, v in event.items() if k != "hash"}, option=orjson.OPT_SORT_KEYS)


def bundle(event: dict[str, Any], note: str, proof: InclusionProof, verifier: Verifier) -> dict[str, Any]:
    return {"event": event, "checkpoint": note, "proof": proof.to_json(), "key": str(verifier)}


class BundleError(ValueError):
    """A bundle that does not prove what it says; the message names what failed."""


@dataclass(frozen=True)
class Checked:
    """What a bundle proved: the event, at its position, is in the signed checkpoint."""

    event_id: str
    position: int
    checkpoint: Checkpoint


def check_bundle(found: Any, verifier: Verifier) -> Checked:
    """Check a bundle against the verifier key one trusts; raise BundleError naming the first thing that fails."""
    if not isinstance(found, dict):
        raise BundleError("the bundle is not a JSON object")
    missing = [k for k in ("event", "checkpoint", "proof") if k not in found]
    if missing:
        raise BundleError(f"the bundle has no {', '.join(missing)}")
    event, note, proof = found["event"], found["checkpoint"], found["proof"]
    if not isinstance(event, dict) or not isinstance(event.get("position"), int) or not isinstance(event.get("hash"), str):
        raise BundleError("event: not an envelope with a position and a hash")
    if not isinstance(note, str):
        raise BundleError("checkpoint: not a signed note")
    try:
        checkpoint = open_checkpoint(note, verifier)
    except NoteError as exc:
        raise BundleError(f"checkpoint: {exc}") from None
    canonical = envelope_canonical(event)
    if hashlib.sha256(canonical).hexdigest() != event["hash"]:
        raise BundleError("event: its hash does not match its content; the event was changed")
    index, size, leaf, path = _inclusion(proof)
    if size != checkpoint.size:
        raise BundleError(f"proof: it is for a tree of size {size}, the checkpoint for size {checkpoint.size}")
    if index != event["position"] - 1:
        raise BundleError(f"proof: it is for leaf {index}, but the event at position {event['position']} is leaf {event['position'] - 1}")
    if leaf_hash(canonical) != leaf:
        raise BundleError("proof: its leaf hash is not the hash of the event's canonical JSON; the event was changed")
    try:
        verify_inclusion(index, size, leaf, path, checkpoint.root)
    except ProofError as exc:
        raise BundleError(f"proof: {exc}") from None
    return Checked(str(event.get("id")), event["position"], checkpoint)


def _inclusion(proof: Any) -> tuple[int, int, bytes, list[bytes]]:
    if not isinstance(proof, dict):
        raise BundleError("proof: not a JSON object")
    index, size, leaf, path = (proof.get(k) for k in ("leaf_index", "tree_size", "leaf_hash", "audit_path"))
    if not isinstance(index, int) or not isinstance(size, int):
        raise BundleError("proof: leaf_index and tree_size must be integers")
    if not isinstance(leaf, str) or not isinstance(path, list) or not all(isinstance(h, str) for h in path):
        raise BundleError("proof: leaf_hash must be a base64 hash and audit_path a list of them")
    try:
        return index, size, unb64(leaf, "leaf_hash"), [unb64(h, f"audit_path[{i}]") for i, h in enumerate(path)]
    except NoteError as exc:
        raise BundleError(f"proof: {exc}") from None
