"""Full-text search over quotes and sources, with facets, highlights and a suggestion."""

from __future__ import annotations

import asyncio
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from projections.times import optional_world_date
from search_index import SearchRequest, search
from search_index.query import MAX_QUERY_LENGTH
from search_index.search import MAX_PER_PAGE
from service.api import models
from service.api.auth import reader
from service.api.events import archive_of, json_response
from service.api.formats import edtf_query
from service.api.problems import responses
from service.web import pages
from service.web.negotiation import varied, wants_html

router = APIRouter(dependencies=[Depends(reader)], tags=["search"])



@router.get("/", include_in_schema=False)
@router.get(
    "/search",
    summary="Search quotes and sources",
    description=(
        'Words (all required), "phrases" (every word in order, stop words included), AND/OR/NOT, parentheses and '
        "prefixes (`Kovalch*`); misspelled words are matched loosely when the words as typed find little, and a "
        "suggestion is offered. Case, accents and ё/е do not matter; English and Russian words match their other "
        "forms, Cyrillic and Latin spellings meet, and a registered entity's name in any script finds everything "
        "about it (`entities` lists it first). A query the parser cannot read is a 400."
    ),
    response_model=models.SearchResults,
    responses=responses(400, 401, 403, 422),
)
async def search_endpoint(
    request: Request,
    q: Annotated[
        str,
        Query(max_length=MAX_QUERY_LENGTH, description="The query; empty searches by the filters alone", examples=['"window to the West"']),
    ] = "",
    speaker: Annotated[str | None, Query(max_length=200, description="Speaker's stream or name", examples=["person-boris-grinev"])] = None,
    publisher: Annotated[str | None, Query(max_length=200, description="Publisher's name", examples=["TASS"])] = None,
    type: Annotated[models.EventType | None, Query(description="Event type")] = None,  # type: ignore[valid-type]
    start: Annotated[str, edtf_query("Occurred on or after", "2024", alias="from")] = "",
    end: Annotated[str, edtf_query("Occurred on or before", "2024-06", alias="to")] = "",
    kind: Annotated[Literal["direct", "reported"] | None, Query(description="Statements of this kind only: direct quotes or reported speech")] = None,
    quotes_only: Annotated[bool, Query(description="Only facts matched in the words as printed (quote, original words, excerpt), not through titles, speakers or context")] = False,
    sort: Annotated[Literal["relevance", "date"], Query(description="relevance, or date (newest first)")] = "relevance",
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=MAX_PER_PAGE)] = 20,
) -> Response:
    query = SearchRequest(q=q, speaker=speaker, publisher=publisher, type=type, start=start, end=end, sort=sort, page=page,
                          per_page=per_page, kind=kind, quotes_only=quotes_only)
    archive = archive_of(request)
    loop = asyncio.get_running_loop()
    if wants_html(request):
        page: Response = await loop.run_in_executor(archive.searches, pages.search_page, request, archive.index,
                                                    archive.store.engine, query)
        return page
    # A date the search cannot read is a 422, as on every other endpoint (the page says so beside its form).
    optional_world_date(start, "from", upper=False), optional_world_date(end, "to", upper=True)
    found = await loop.run_in_executor(archive.searches, lambda: search(archive.index, query).to_json())
    return varied(json_response(found))
