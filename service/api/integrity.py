"""Proof and news: the hash chain checked end to end, and the newest facts as an Atom feed."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from feedgen.feed import FeedGenerator

from projections.entities import names_of
from service.api import models
from service.api.auth import reader
from service.api.events import archive_of, json_response
from service.api.problems import responses
from service.web.dates import for_people
from service.web.rendering import summary_of, type_label

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
    with store.engine.connect() as connection:
        names = names_of(connection, {e.data.get("speaker") for e in newest if e.type == "StatementMade"} - {None})
    fg = FeedGenerator()
    fg.id(f"{base}/feed.atom")
    fg.title("accord: newest facts")
    fg.subtitle("Facts about relations between research institutions, newest first, each with its sources")
    fg.link(href=f"{base}/feed.atom", rel="self", type=ATOM)
    fg.link(href=f"{base}/timeline", rel="alternate", type="text/html")
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
        entry.title(feed_title(event.type, data, names))
        entry.link(href=f"{base}/events/{event.id}", rel="alternate", type="text/html")
        entry.updated(event.recorded_at)
        entry.published(event.recorded_at)
        entry.author({"name": event.recorded_by})
        cited = "; ".join(s["publisher"] + (f", “{s['title']}”" if s.get("title") else "") for s in sources)
        entry.summary(f"{for_people(event.occurred).capitalize() if for_people(event.occurred)[:1].islower() else for_people(event.occurred)}. "
                      f"{summary_of(data, event.type)} (Sources: {cited}.)")
        entry.category(term=event.type, label=type_label(event.type))
    return Response(fg.atom_str(pretty=False), media_type=f"{ATOM}; charset=utf-8")


def feed_title(event_type: str, data: dict[str, Any], names: dict[str, str]) -> str:
    """An entry's title as people read it: "Trubnikov: “…”" for a statement, "Agreement signed: …" otherwise."""
    words = summary_of(data, event_type)
    short = words if len(words) <= 120 else words[:119].rstrip() + "…"
    if event_type == "StatementMade":
        speaker = data.get("speaker", "")
        who = names[speaker].split()[-1] if speaker in names else (data.get("speaker_description") or "Someone")
        return f"{who[:1].upper()}{who[1:]}: “{short.replace('“', '‘').replace('”', '’')}”"
    return f"{type_label(event_type)}: {short}"
