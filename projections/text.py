"""Text folded for lookups: case and accents ignored, so "Ковальчук", "KOVALCHUK" and "Kovalčuk" meet."""

from __future__ import annotations

import unicodedata


def fold(text: str) -> str:
    """Lower-case `text`, strip its diacritics (ё becomes е, é becomes e) and squeeze white space."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(unicodedata.normalize("NFC", stripped).split())
