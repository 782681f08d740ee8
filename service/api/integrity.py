"""Proof and news: the hash chain checked end to end, and the newest facts as an Atom feed."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from feedgen.feed import FeedGenerator

from service.api import models
from service.api.auth import reader
from service.api.events import archive_of, json_response
from service.api.problems import responses

router = APIRouter(dependencies=[Depends(reader)], tags=["integrity"])
ATOM = "application/atom+xml"
FEED_ENTRIES = 50


@router.get("/verify", summary="Walk the hash chain", response_model=models.Verification, responses=responses(401, 403))
def verify(request: Request) -> Response:
    """Recompute every event's hash in position order; on a broken chain `ok` is false and `first_bad` names the first bad position."""
    report = archive_of(request).store.verify()
    body = {"ok": report.ok, "checked": report.checked, "head": report.head}
    if not report.ok:
        body |= {"first_bad": report.first_bad, "reason": report.reason}
    return json_response(body)


@router.get(
    "/feed.atom",
    summary="The newest facts as Atom 1.0",
    responses={200: {"description": "An Atom feed", "content": {ATOM: {"schema": {"type": "string"}}}}, **responses(401, 403, 422)},
    response_class=Response,
)
def feed(request: Request, limit: Annotated[int, Query(ge=1, le=500)] = FEED_ENTRIES) -> Response:
    store = archive_of(request).store
    head = store.head()
    newest = list(store.read_all(max(head.position - limit, 0), limit))
    base = str(request.base_url).rstrip("/")
    fg = FeedGenerator()
    fg.id(f"{base}/feed.atom")
    fg.title("accord: newest facts")
    fg.subtitle("Facts about relations between research institutions, newest first, each with its sources")
    fg.link(href=f"{base}/feed.atom", rel="self", type=ATOM)
    fg.link(href=f"{base}/events", rel="alternate", type="application/json")
    archive = archive_of(request)
    signed = archive.checkpoints.newest() if archive.key is not None else None
    if signed is not None:  # for witnesses: the permanent URL of the newest checkpoint, to keep and compare later
        fg.link(href=f"{base}/checkpoint?size={signed.size}", rel="related", type="text/plain",
                title=f"The archive's newest signed checkpoint, tree size {signed.size}")
    fg.language("en")
    fg.updated(newest[-1].recorded_at if newest else "1970-01-01T00:00:00Z")
    for event in newest:  # feedgen puts each new entry first: newest first
        data, sources = event.data, event.sources
        entry = fg.add_entry()
        entry.id(f"urn:uuid:{event.id}")
        entry.title(f"{event.type} in {event.stream} ({event.occurred})")
        entry.link(href=f"{base}/events/{event.id}", rel="alternate", type="application/json")
        entry.updated(event.recorded_at)
        entry.published(event.recorded_at)
        entry.author({"name": event.recorded_by})
        words = data.get("quote") or data.get("title") or data.get("name") or data.get("motion") or data.get("reason") or ""
        cited = "; ".join(s["publisher"] + (f", {s['title']}" if s.get("title") else "") for s in sources)
        entry.summary(f"{words} [position {event.position}; sources: {cited}]".strip())
        entry.category(term=event.type)
    return Response(fg.atom_str(pretty=False), media_type=ATOM)
