"""Signed notes, verifier keys and checkpoints: Go's golang.org/x/mod/sumdb/note example reproduced byte for byte,
and what must be refused."""

from __future__ import annotations

import base64

import pytest

from events.notes import (
    Checkpoint,
    NoteError,
    generate_key,
    load_signing_key,
    open_checkpoint,
    open_note,
    parse_checkpoint,
    parse_verifier,
    split_note,
)

# The example of Go's note package documentation.
GO_VERIFIER = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_SIGNER = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
GO_TEXT = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
GO_NOTE = GO_TEXT + "\n\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"


def test_the_go_example_is_signed_and_verified_byte_for_byte() -> None:
    key = load_signing_key(GO_SIGNER, "PeterNeumann")
    assert str(key.verifier) == GO_VERIFIER
    assert key.sign(GO_TEXT) == GO_NOTE
    assert open_note(GO_NOTE, parse_verifier(GO_VERIFIER)) == GO_TEXT
    assert load_signing_key(key.pem().decode(), "PeterNeumann").sign(GO_TEXT) == GO_NOTE, "the same key as PEM"


def test_other_keys_signatures_are_ignored_and_a_note_without_ours_is_refused() -> None:
    other = generate_key("someone.example/else")
    cosigned = GO_NOTE + other.sign(GO_TEXT).split("\n\n")[-1]
    assert open_note(cosigned, parse_verifier(GO_VERIFIER)) == GO_TEXT
    with pytest.raises(NoteError, match="no signature of the key PeterNeumann"):
        open_note(other.sign(GO_TEXT), parse_verifier(GO_VERIFIER))
    impostor = generate_key("PeterNeumann")  # same name, another key: another id
    with pytest.raises(NoteError, match="no signature of the key"):
        open_note(impostor.sign(GO_TEXT), parse_verifier(GO_VERIFIER))


@pytest.mark.parametrize(
    "mangled",
    [
        GO_VERIFIER.replace("c74f20a3", "c74f20a4"),
        GO_VERIFIER.replace("c74f20a3", "C74F20A3"),
        GO_VERIFIER.replace("PeterNeumann", "Peter Neumann"),
        GO_VERIFIER.replace("+ARpc", "+AhRpc"),
        GO_VERIFIER.replace("+ARpc", "+Apc"),
        GO_VERIFIER.replace("W", "X"),
        "PeterNeumann+c74f20a3",
    ],
)
def test_a_mangled_verifier_key_is_refused(mangled: str) -> None:
    with pytest.raises(NoteError):
        parse_verifier(mangled)


def test_a_signature_in_non_canonical_base64_is_refused() -> None:
    # The last character before the padding carries two unused bits: set one, and the bytes decode the same.
    signature = GO_NOTE.rsplit(" ", 1)[1].strip()
    sibling = signature[:-2] + chr(ord(signature[-2]) + 1) + "="
    assert base64.b64decode(sibling) == base64.b64decode(signature)
    with pytest.raises(NoteError, match="canonical"):
        open_note(GO_NOTE.replace(signature, sibling), parse_verifier(GO_VERIFIER))


@pytest.mark.parametrize(
    ("note", "reason"),
    [
        (GO_TEXT, "a blank line"),
        (GO_NOTE.removesuffix("\n"), "a blank line"),
        (GO_NOTE.replace("\u2014", "-"), "not a signature line"),
        (GO_NOTE.replace("\n\n", "\n\r\n"), "control character"),
        (GO_NOTE.replace("x08go/", "x08go!"), "base64"),
    ],
)
def test_malformed_notes_are_refused_by_name(note: str, reason: str) -> None:
    with pytest.raises(NoteError, match=reason):
        split_note(note)


def test_checkpoints_are_three_lines_signed_under_the_origin() -> None:
    key = generate_key("archive.example/accord")
    checkpoint = Checkpoint("archive.example/accord", 12, bytes(range(32)))
    note = key.sign(checkpoint.text())
    assert note.startswith("archive.example/accord\n12\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n\n\u2014 archive.example/accord ")
    assert open_checkpoint(note, key.verifier) == checkpoint
    assert parse_checkpoint(checkpoint.text() + "an extension line\n") == checkpoint
    for bad in ("archive.example/accord\n012\nAAAA\n", "archive.example/accord\n12\n", "o\n1\nAAAA\n", "o\n-1\n" + checkpoint.text()[-46:]):
        with pytest.raises(NoteError):
            parse_checkpoint(bad)
    stranger = generate_key("archive.example/other")
    with pytest.raises(NoteError, match="origin"):
        open_checkpoint(stranger.sign(checkpoint.text()), stranger.verifier)


def test_keys_refuse_names_and_forms_they_cannot_sign_under() -> None:
    with pytest.raises(NoteError, match="cannot name a key"):
        generate_key("has space")
    with pytest.raises(NoteError, match="named 'PeterNeumann'"):
        load_signing_key(GO_SIGNER, "accord.local/log")
    with pytest.raises(NoteError, match="not an unencrypted PEM"):
        load_signing_key("just text", "accord.local/log")
    with pytest.raises(NoteError, match="newline"):
        generate_key("a.example").sign("no newline")
