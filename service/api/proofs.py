"""Proof over HTTP: signed checkpoints, the verifier key, inclusion and consistency proofs, proof bundles.

Checkpoints are text, as C2SP's tlog-checkpoint has them (`text/plain`), so a
witness can keep exactly the bytes that were signed. A checkpoint of a given
size never changes, so it and the proofs against it may be cached forever.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response

from events.envelope import EventEnvelope
from events.errors import FieldProblem
from events.notes import SigningKey
from events.proofs import InclusionProof, bundle
from events.store.checkpoints import NotInTree, StoredCheckpoint, UnsignedSize
from service.api import models
from service.api.auth import reader
from service.api.events import archive_of, json_response
from service.api.problems import ApiProblem, responses
from service.api.state import Archive
from service.keys import NO_KEY

router = APIRouter(dependencies=[Depends(reader)], tags=["proof"])
TEXT = "text/plain; charset=utf-8"
FOREVER = {"Cache-Control": "public, max-age=31536000, immutable"}
MAX_SIZE = 2**62

EventId = Annotated[str, Path(max_length=100, examples=[models.EVENT_ID])]
Size = Annotated[
    int | None, Query(ge=0, le=MAX_SIZE, description="A tree size the archive signed a checkpoint of (default: the newest)")
]


def _text(description: str) -> dict[int | str, dict[str, Any]]:
    return {200: {"description": description, "content": {"text/plain": {"schema": {"type": "string"}}}}}


def signing_key(archive: Archive) -> SigningKey:
    """The node's key, or a 503 saying why it has none."""
    if archive.key is None:
        raise ApiProblem(503, NO_KEY)
    return archive.key


@router.get(
    "/checkpoint",
    summary="The newest signed checkpoint, or the one of a given tree size",
    response_class=Response,
    responses={**_text("A C2SP tlog-checkpoint, signed as a C2SP signed note (Ed25519)"), **responses(401, 403, 404, 422, 503)},
)
def checkpoint(request: Request, size: Size = None) -> Response:
    """The checkpoint text (origin, tree size, base64 root hash), a blank line, and the archive's signature.
    Verify it with the key at /checkpoint/key; keep it, and later ask for a consistency proof from it."""
    archive = archive_of(request)
    signing_key(archive)
    try:
        found = archive.checkpoints.get(size)
    except UnsignedSize as exc:
        seconds = f"{archive.settings.checkpoint_seconds:g}"
        raise ApiProblem(404, f"{exc}; the archive signs the head within {seconds} s of an append") from None
    return Response(found.note, media_type=TEXT, headers=FOREVER if size is not None else {"Cache-Control": "no-cache"})


@router.get(
    "/checkpoint/key",
    summary="The verifier key of the archive's checkpoints",
    response_class=Response,
    responses={**_text("`<key name>+<key id, 8 hex digits>+<base64(0x01 || Ed25519 public key)>`"), **responses(401, 403, 503)},
)
def verifier_key(request: Request) -> Response:
    """In the form of Go's golang.org/x/mod/sumdb/note: the key name is the log's origin."""
    return Response(f"{signing_key(archive_of(request)).verifier}\n", media_type=TEXT)


@router.get(
    "/checkpoint/consistency",
    summary="A consistency proof between two signed tree sizes",
    response_model=models.ConsistencyProof,
    responses=responses(401, 403, 422, 503),
)
def consistency(
    request: Request,
    first: Annotated[int, Query(ge=1, le=MAX_SIZE, description="The smaller signed tree size")],
    second: Annotated[int, Query(ge=1, le=MAX_SIZE, description="The larger signed tree size")],
) -> Response:
    """RFC 9162 §2.1.4: the hashes that show the tree of `first` leaves is a prefix of the tree of `second`
    leaves (empty when they are equal). Both must be sizes the archive signed."""
    archive = archive_of(request)
    signing_key(archive)
    if first > second:
        raise ApiProblem(422, "first must not be larger than second", errors=[FieldProblem("query.first", f"larger than second ({second})")])
    try:
        _, _, proof = archive.checkpoints.consistency(first, second)
    except UnsignedSize as exc:
        field = "query.first" if exc.size == first else "query.second"
        raise ApiProblem(422, str(exc), errors=[FieldProblem(field, "not a tree size the archive signed")]) from None
    return json_response(proof.to_json())


def _inclusion(archive: Archive, event_id: str, size: int | None) -> tuple[EventEnvelope, StoredCheckpoint, InclusionProof]:
    signing_key(archive)
    try:
        found = archive.checkpoints.inclusion(event_id, size)
    except UnsignedSize as exc:
        raise ApiProblem(404, str(exc)) from None
    except NotInTree as exc:
        if size is None:  # the newest checkpoint is older than the event: the next one will hold it
            seconds = archive.settings.checkpoint_seconds
            raise ApiProblem(
                404, f"no signed checkpoint holds the event yet ({exc}); the archive signs one within {seconds:g} s",
                headers={"Retry-After": str(max(1, round(seconds)))},
            ) from None
        raise ApiProblem(422, str(exc), errors=[FieldProblem("query.size", "the tree of this size does not hold the event")]) from None
    if found is None:
        raise ApiProblem(404, f"no event {event_id} in the log")
    return found


@router.get(
    "/events/{event_id}/proof",
    summary="The inclusion proof of an event in a signed tree",
    response_model=models.InclusionProof,
    responses=responses(401, 403, 404, 422, 503),
    tags=["log"],
)
def inclusion(request: Request, event_id: EventId, size: Size = None) -> Response:
    """RFC 9162 §2.1.3: the event is leaf `position - 1`, its leaf hash SHA-256(0x00 || its canonical JSON);
    the audit path leads to the root of the checkpoint of `size` (default: the newest)."""
    _, _, proof = _inclusion(archive_of(request), event_id, size)
    return json_response(proof.to_json(), headers=FOREVER if size is not None else None)


@router.get(
    "/events/{event_id}/bundle",
    summary="A proof bundle of an event, to check offline",
    response_model=models.ProofBundle,
    responses=responses(401, 403, 404, 422, 503),
    tags=["log"],
)
def proof_bundle(request: Request, event_id: EventId, size: Size = None) -> Response:
    """The event, a signed checkpoint that holds it, its inclusion proof and the verifier key, as one JSON
    file: what `accord prove` prints and `accord check-proof FILE --key KEY` checks with no network."""
    archive = archive_of(request)
    event, checkpoint, proof = _inclusion(archive, event_id, size)
    body = bundle(event.to_json(), checkpoint.note, proof, signing_key(archive).verifier)
    disposition = {"Content-Disposition": f'attachment; filename="accord-proof-{event.id}-{checkpoint.size}.json"'}
    return json_response(body, headers=disposition)
