"""A reader of C2SP signed notes and tlog checkpoints written from the specifications alone (c2sp.org/signed-note,
c2sp.org/tlog-checkpoint), to check accord's checkpoints from the outside. Only the Ed25519 primitive is borrowed."""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey


def strict_b64(text: str) -> bytes | None:
    """RFC 4648 §4 with padding, and only the canonical encoding of its bytes (§3.5)."""
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None
    return raw if base64.b64encode(raw).decode() == text else None


@dataclass(frozen=True)
class VerifierKey:
    name: str
    key_id: bytes
    public_key: bytes


def read_verifier_key(text: str) -> VerifierKey:
    """`<name>+<hex key id>+<base64(0x01 || key)>`, with the key id recomputed as the spec says:
    SHA-256(key name || 0x0A || 0x01 || 32-byte Ed25519 public key)[:4]."""
    name, hex_id, encoded = text.strip().split("+", 2)  # a name holds no '+', base64 may
    raw = strict_b64(encoded)
    assert raw is not None and len(raw) == 33 and raw[0] == 0x01, "an Ed25519 verifier key"
    key_id = hashlib.sha256(name.encode() + b"\x0a" + b"\x01" + raw[1:]).digest()[:4]
    assert key_id.hex() == hex_id, "the key id is the hash of the name and the key"
    return VerifierKey(name, key_id, raw[1:])


def verified_text(note: str, key: VerifierKey) -> str | None:
    """The note's text if a signature line of `key` (same name, same key id) verifies over it; else None."""
    if not note.endswith("\n") or any(ord(ch) < 0x20 and ch != "\n" for ch in note):
        return None
    split = note.rfind("\n\n")  # the text is separated from the signatures by the last empty line
    if split < 0:
        return None
    text, signatures = note[: split + 1], note[split + 2 :]
    found = False
    for line in signatures.removesuffix("\n").split("\n"):
        parts = line.split(" ")
        if len(parts) != 3 or parts[0] != "\u2014":
            return None
        raw = strict_b64(parts[2])
        if raw is None or len(raw) < 5:
            return None
        if parts[1] != key.name or raw[:4] != key.key_id:
            continue  # another key's signature: ignored
        try:
            Ed25519PublicKey.from_public_bytes(key.public_key).verify(raw[4:], text.encode())
        except InvalidSignature:
            return None
        found = True
    return text if found else None


@dataclass(frozen=True)
class TreeHead:
    origin: str
    size: int
    root: bytes


def read_checkpoint(text: str) -> TreeHead | None:
    """The origin, the tree size (decimal, no leading zeros) and the base64 root hash of a checkpoint's text."""
    lines = text.split("\n")
    if len(lines) < 4 or lines[-1] != "" or any(line == "" for line in lines[:-1]):
        return None
    origin, size, root = lines[0], lines[1], strict_b64(lines[2])
    if not (size.isascii() and size.isdigit()) or (size != "0" and size.startswith("0")) or root is None or len(root) != 32:
        return None
    return TreeHead(origin, int(size), root)
