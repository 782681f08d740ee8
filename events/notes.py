"""Checkpoints as C2SP signed notes with Ed25519 keys (c2sp.org/signed-note, c2sp.org/tlog-checkpoint).

A checkpoint's text is three lines: the log's origin, the tree size in
decimal, the base64 root hash. The note is that text, a blank line, and a
signature line `— <key name> base64(key id || Ed25519 signature)`, the key
name being the origin and the key id SHA-256(key name || 0x0A || 0x01 ||
public key)[:4]. Keys are written and read in the forms of Go's
golang.org/x/mod/sumdb/note (`<name>+<hex key id>+<base64(0x01 || key)>`,
the private one prefixed with `PRIVATE+KEY+`), and private keys also as
PKCS#8 PEM, what `openssl genpkey -algorithm ed25519` writes.

Pure functions: `accord check-proof` uses them with no database.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from events.merkle import HASH_SIZE

ED25519 = 0x01
"""The signed-note signature type of Ed25519."""
EM_DASH = "\u2014"
MAX_NOTE_BYTES = 1 << 20
MAX_SIGNATURES = 100
"""The spec asks verifiers to accept at least 16 signatures; beyond this many, a note is refused unread."""
PRIVATE_PREFIX = "PRIVATE+KEY+"


class NoteError(ValueError):
    """A key, note or checkpoint that cannot be read or does not verify; the message says why."""


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def unb64(text: str, what: str) -> bytes:
    """Standard padded base64, canonical only (RFC 4648 §3.5): the unused bits of the last character are
    zero, so no two texts decode to the same bytes and an edited character is always seen."""
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        raise NoteError(f"{what} is not standard padded base64") from None
    if b64(raw) != text:
        raise NoteError(f"{what} is not canonical base64")
    return raw


def check_key_name(name: str) -> str:
    """`name` if it may name a key (and a log's origin): not empty, no spaces, no plus, no control characters."""
    if not name or re.search(r"[\s+\x00-\x1f\x7f]", name):
        raise NoteError(f"{name!r} cannot name a key: it must be non-empty, without spaces, '+' or control characters")
    return name


def key_id(name: str, public_key: bytes) -> bytes:
    """The 4-byte id of an Ed25519 key named `name`."""
    return hashlib.sha256(name.encode() + b"\n" + bytes([ED25519]) + public_key).digest()[:4]


@dataclass(frozen=True)
class Verifier:
    """A public key with the name its signatures carry."""

    name: str
    public_key: bytes

    @property
    def key_id(self) -> bytes:
        return key_id(self.name, self.public_key)

    def __str__(self) -> str:
        """The verifier key as Go's note package writes it."""
        return f"{self.name}+{self.key_id.hex()}+{b64(bytes([ED25519]) + self.public_key)}"

    def verifies(self, text: bytes, signature: bytes) -> bool:
        try:
            Ed25519PublicKey.from_public_bytes(self.public_key).verify(signature, text)
        except InvalidSignature:
            return False
        return True


def parse_verifier(text: str) -> Verifier:
    """Read a verifier key `<name>+<8 hex digits>+<base64(0x01 || 32-byte public key)>`."""
    parts = text.strip().split("+", 2)  # the name has no '+' and the id is hex; base64 may hold '+'
    if len(parts) != 3:
        raise NoteError("a verifier key reads <name>+<key id in 8 hex digits>+<base64 key>")
    name, hex_id, encoded = parts
    check_key_name(name)
    if not re.fullmatch(r"[0-9a-f]{8}", hex_id):
        raise NoteError(f"the verifier key's id {hex_id!r} is not 8 lowercase hex digits")
    raw = unb64(encoded, "the verifier key")
    if len(raw) != 33 or raw[0] != ED25519:
        raise NoteError("the verifier key is not an Ed25519 key (0x01 and 32 bytes)")
    verifier = Verifier(name, raw[1:])
    if verifier.key_id.hex() != hex_id:
        raise NoteError(f"the verifier key's id {hex_id} is not the id of its name and key ({verifier.key_id.hex()})")
    return verifier


@dataclass(frozen=True)
class SigningKey:
    """An Ed25519 private key and the name (the log's origin) it signs under."""

    name: str
    private_key: Ed25519PrivateKey

    @property
    def verifier(self) -> Verifier:
        public = self.private_key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return Verifier(self.name, public)

    def sign(self, text: str) -> str:
        """The signed note of `text` (which ends in a newline). Ed25519 is deterministic: the same key
        and text give the same note, byte for byte, on every node."""
        if not text.endswith("\n"):
            raise NoteError("a note's text ends with a newline")
        signature = self.private_key.sign(text.encode())
        return f"{text}\n{EM_DASH} {self.name} {b64(self.verifier.key_id + signature)}\n"

    def pem(self) -> bytes:
        return self.private_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )


def generate_key(name: str) -> SigningKey:
    return SigningKey(check_key_name(name), Ed25519PrivateKey.generate())


def load_signing_key(material: str, name: str) -> SigningKey:
    """A private key from its text, PKCS#8 PEM or Go's `PRIVATE+KEY+<name>+<id>+<base64(0x01 || seed)>`, to sign as `name`."""
    check_key_name(name)
    text = material.strip()
    if text.startswith(PRIVATE_PREFIX):
        parts = text.removeprefix(PRIVATE_PREFIX).split("+", 2)
        if len(parts) != 3:
            raise NoteError("a private key in Go's form reads PRIVATE+KEY+<name>+<key id>+<base64 key>")
        own_name, hex_id, encoded = parts
        raw = unb64(encoded, "the private key")
        if len(raw) != 33 or raw[0] != ED25519:
            raise NoteError("the private key is not an Ed25519 key (0x01 and a 32-byte seed)")
        if own_name != name:
            raise NoteError(f"the private key is named {own_name!r}, but the log's origin is {name!r}")
        key = SigningKey(name, Ed25519PrivateKey.from_private_bytes(raw[1:]))
        if key.verifier.key_id.hex() != hex_id:
            raise NoteError(f"the private key's id {hex_id} is not the id of its name and key")
        return key
    try:
        loaded = serialization.load_pem_private_key(text.encode(), password=None)
    except (ValueError, TypeError) as exc:
        raise NoteError(f"not an unencrypted PEM private key nor one in Go's note form ({exc})") from None
    if not isinstance(loaded, Ed25519PrivateKey):
        raise NoteError(f"the key is {type(loaded).__name__.removeprefix('_')}, not Ed25519")
    return SigningKey(name, loaded)


# -- notes ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Signature:
    name: str
    key_id: bytes
    signature: bytes


def split_note(note: str) -> tuple[str, list[Signature]]:
    """The text of a signed note (with its final newline) and its signature lines."""
    if len(note.encode()) > MAX_NOTE_BYTES:
        raise NoteError(f"the note is longer than {MAX_NOTE_BYTES} bytes")
    if re.search(r"[\x00-\x09\x0b-\x1f]", note):
        raise NoteError("the note holds a control character other than newline")
    cut = note.rfind("\n\n")
    if cut < 0 or not note.endswith("\n"):
        raise NoteError("a signed note is its text, a blank line, then signature lines, each ending in a newline")
    text, lines = note[: cut + 1], note[cut + 2 :].removesuffix("\n").split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise NoteError(f"the note has more than {MAX_SIGNATURES} signatures")
    signatures = []
    for line in lines:
        match = re.fullmatch(rf"{EM_DASH} (\S+) (\S+)", line)
        if match is None:
            raise NoteError(f"{line!r} is not a signature line (— <key name> <base64 signature>)")
        raw = unb64(match[2], f"the signature of {match[1]}")
        if len(raw) < 5:
            raise NoteError(f"the signature of {match[1]} is too short to hold a key id and a signature")
        signatures.append(Signature(match[1], raw[:4], raw[4:]))
    return text, signatures


def open_note(note: str, verifier: Verifier) -> str:
    """The text of `note` once a signature of `verifier`'s key is found and verifies; signatures of
    other keys are ignored, as the spec asks. Raise NoteError otherwise."""
    text, signatures = split_note(note)
    mine = [s for s in signatures if s.name == verifier.name and s.key_id == verifier.key_id]
    if not mine:
        names = ", ".join(f"{s.name} ({s.key_id.hex()})" for s in signatures)
        raise NoteError(f"the note carries no signature of the key {verifier.name} ({verifier.key_id.hex()}); it is signed by {names}")
    if not all(verifier.verifies(text.encode(), s.signature) for s in mine):
        raise NoteError(f"the signature of {verifier.name} does not verify: the note was changed or signed by another key")
    return text


# -- checkpoints ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Checkpoint:
    """A tree head as c2sp.org/tlog-checkpoint writes it."""

    origin: str
    size: int
    root: bytes

    def text(self) -> str:
        return f"{self.origin}\n{self.size}\n{b64(self.root)}\n"


def parse_checkpoint(text: str) -> Checkpoint:
    """Read a checkpoint's note text (extension lines, opaque, are allowed and ignored)."""
    lines = text.removesuffix("\n").split("\n")
    if not text.endswith("\n") or len(lines) < 3 or any(not line for line in lines):
        raise NoteError("a checkpoint is at least three non-empty lines: origin, tree size, root hash")
    origin, size, root = lines[:3]
    if not re.fullmatch(r"0|[1-9][0-9]{0,18}", size):
        raise NoteError(f"the checkpoint's tree size {size!r} is not a decimal number without leading zeros")
    raw = unb64(root, "the checkpoint's root hash")
    if len(raw) != HASH_SIZE:
        raise NoteError(f"the checkpoint's root hash is {len(raw)} bytes, not {HASH_SIZE}")
    return Checkpoint(origin, int(size), raw)


def open_checkpoint(note: str, verifier: Verifier) -> Checkpoint:
    """The checkpoint a signed note holds, once its signature by `verifier` verifies and its origin is the key's name."""
    checkpoint = parse_checkpoint(open_note(note, verifier))
    if checkpoint.origin != verifier.name:
        raise NoteError(f"the checkpoint's origin {checkpoint.origin!r} is not the key's name {verifier.name!r}")
    return checkpoint
