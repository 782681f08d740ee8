"""The read models over HTTP: agreements, timelines and entities, each as of `valid_at` and `known_at`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response

from projections import AsOf
from projections.agreements import agreement, list_agreements
from projections.entities import entity, list_entities
from projections.timeline import timeline
from projections.times import optional_world_date
from service.api import models
from service.api.auth import reader
from service.api.events import DEFAULT_PAGE, PAGE_LIMIT, archive_of, json_response
from service.api.formats import edtf_query, moment_query
from service.api.problems import ApiProblem, responses
from service.web import pages
from service.web.negotiation import varied, wants_html

router = APIRouter(dependencies=[Depends(reader)], tags=["read models"])

ValidAt = Annotated[str, edtf_query("The world as of this date (default: today)", "2024-06-30")]
KnownAt = Annotated[str, moment_query("What the archive had recorded by then (default: now)", "2026-11-22T09:30:00Z")]
Limit = Annotated[int, Query(ge=1, le=PAGE_LIMIT)]
Offset = Annotated[int, Query(ge=0, le=2**31 - 1)]
READ_PROBLEMS = responses(401, 403, 422)


@router.get("/agreements", summary="Agreements and their state", response_model=models.AgreementList, responses=READ_PROBLEMS)
def agreements(
    request: Request,
    valid_at: ValidAt = "",
    known_at: KnownAt = "",
    status: Annotated[models.Status | None, Query(description="Only agreements in this state")] = None,
    party: Annotated[str | None, Query(max_length=200, description="An entity stream", examples=["org-jinr"])] = None,
    limit: Limit = DEFAULT_PAGE,
    offset: Offset = 0,
) -> Response:
    as_of = AsOf.parse(valid_at, known_at)
    engine = archive_of(request).store.engine
    with engine.connect() as connection:
        listed = list_agreements(connection, as_of, status=status, party=party, limit=limit, offset=offset)
    if wants_html(request):
        return pages.agreements_page(request, engine, listed)
    return varied(json_response(listed.to_json()))


@router.get(
    "/agreements/{agreement_id}",
    summary="One agreement: state and history with provenance",
    response_model=models.Agreement,
    responses=responses(401, 403, 404, 422),
)
def one_agreement(
    request: Request,
    agreement_id: Annotated[str, Path(max_length=200, examples=["agreement-cern-jinr"])],
    valid_at: ValidAt = "",
    known_at: KnownAt = "",
) -> Response:
    as_of = AsOf.parse(valid_at, known_at)
    engine = archive_of(request).store.engine
    with engine.connect() as connection:
        state = agreement(connection, agreement_id, as_of)
    if state is None:
        raise ApiProblem(404, f"the archive knows no agreement {agreement_id!r} as of {as_of.valid_at}")
    if wants_html(request):
        return pages.agreement_page(request, engine, state)
    return varied(json_response(state.to_json()))


@router.get("/timeline", summary="Facts in order of when they happened", response_model=models.Timeline, responses=READ_PROBLEMS)
def read_timeline(
    request: Request,
    entity_id: Annotated[
        str | None, Query(alias="entity", max_length=200, description="An entity or agreement stream", examples=["org-jinr"])
    ] = None,
    types: Annotated[
        list[models.EventType] | None, Query(alias="type", description="Event types (repeat for several)")  # type: ignore[name-defined]
    ] = None,
    start: Annotated[str, edtf_query("Facts that may have happened on or after this date", "2024", alias="from")] = "",
    end: Annotated[str, edtf_query("Facts that may have happened on or before this date", "2024-12", alias="to")] = "",
    valid_at: ValidAt = "",
    known_at: KnownAt = "",
    limit: Limit = DEFAULT_PAGE,
    offset: Offset = 0,
) -> Response:
    as_of = AsOf.parse(valid_at, known_at)
    lower = optional_world_date(start, "from", upper=False)
    upper = optional_world_date(end, "to", upper=True)
    with archive_of(request).store.engine.connect() as connection:
        page = timeline(connection, as_of, subject=entity_id, types=types or (), start=lower, end=upper, limit=limit, offset=offset)
    if wants_html(request):
        return pages.timeline_page(request, archive_of(request).store.engine, page, limit, offset)
    return varied(json_response(page.to_json()))


@router.get("/entities", summary="The directory of entities", response_model=models.EntityList, responses=READ_PROBLEMS)
def entities(
    request: Request,
    valid_at: ValidAt = "",
    known_at: KnownAt = "",
    kind: Annotated[
        str | None, Query(max_length=50, description="organization, person, facility, body or country", examples=["person"])
    ] = None,
    limit: Limit = DEFAULT_PAGE,
    offset: Offset = 0,
) -> Response:
    as_of = AsOf.parse(valid_at, known_at)  # registrations are directory entries: valid_at hides none
    with archive_of(request).store.engine.connect() as connection:
        listed = list_entities(connection, as_of, kind=kind, limit=limit, offset=offset)
    if wants_html(request):
        return pages.entities_page(request, listed, limit, offset)
    return varied(json_response(listed.to_json()))


@router.get(
    "/entities/{entity_id}", summary="One entity", response_model=models.Entity, responses=responses(401, 403, 404, 422)
)
def one_entity(
    request: Request,
    entity_id: Annotated[str, Path(max_length=200, examples=["org-jinr"])],
    valid_at: ValidAt = "",
    known_at: KnownAt = "",
) -> Response:
    as_of = AsOf.parse(valid_at, known_at)  # registrations are directory entries: valid_at hides none
    html = wants_html(request)
    with archive_of(request).store.engine.connect() as connection:
        found = entity(connection, entity_id, as_of)
        facts = timeline(connection, as_of, subject=entity_id, limit=PAGE_LIMIT) if html and found is not None else None
    if found is None:
        raise ApiProblem(404, f"the archive knows no entity {entity_id!r}")
    if facts is not None:
        return pages.entity_page(request, found, facts)
    return varied(json_response(found.to_json()))
