"""The key a node signs checkpoints with: where it is found, how it is made."""

from __future__ import annotations

import os
from pathlib import Path

from events.notes import PRIVATE_PREFIX, NoteError, SigningKey, generate_key, load_signing_key
from service.settings import Settings

NO_KEY = (
    "this node holds no signing key, so it signs no checkpoints: run `accord key create`, or set ACCORD_SIGNING_KEY "
    "to the key file every node of the archive shares"
)


class SigningKeyError(Exception):
    """The key named cannot be used; the message says which and why."""


def load_key(settings: Settings) -> SigningKey | None:
    """The node's key: ACCORD_SIGNING_KEY (a file, or the key itself), else the data directory's
    `signing-key.pem`; None when there is neither. SigningKeyError for a key that cannot be read."""
    named = (settings.signing_key or "").strip()
    if named.startswith(("-----BEGIN", PRIVATE_PREFIX)):
        where, material = "ACCORD_SIGNING_KEY", named
    else:
        path = Path(named) if named else settings.default_key_file
        if not path.exists():
            if named:
                raise SigningKeyError(f"ACCORD_SIGNING_KEY names {path}, which does not exist")
            return None
        where = str(path)
        try:
            material = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise SigningKeyError(f"the signing key {path} cannot be read: {exc}") from None
    try:
        return load_signing_key(material, settings.log_origin)
    except NoteError as exc:
        raise SigningKeyError(f"the signing key in {where} cannot be used: {exc}") from None


def create_key(path: Path, origin: str) -> SigningKey:
    """A new Ed25519 key written to `path` as PKCS#8 PEM, readable by its owner only; never over an existing file."""
    key = generate_key(origin)
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(key.pem())
    os.chmod(path, 0o600)  # whatever the umask left
    return key
