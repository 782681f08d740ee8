"""The pages that share their URLs with the JSON API.

Each function here takes what the JSON endpoint's query function returned
(the endpoint calls it, then hands the result here when the request wants a
page), adds what only people need (names for streams, citations, drawing
geometry), and renders a template. Nothing here queries for the facts
themselves a second time.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any

from markupsafe import Markup
from sqlalchemy import Engine
from starlette.requests import Request
from starlette.responses import Response

from events.amendments import merged
from events.catalogue import STREAM_PATTERN
from events.errors import FieldProblem
from projections import AsOf
from projections.agreements import AgreementList, AgreementState
from projections.entities import Entity, EntityList, names_of
from projections.timeline import TimelinePage
from search_index import QueryError, SearchIndex, SearchRequest, search
from service.web.cite import cite
from service.web.forms import PAYLOAD_FIELDS
from service.web.rendering import link, render, summary_of, type_label
from service.web.svg import Span, draw

FACETS = (("type", "Kind of fact"), ("speaker", "Speaker"), ("publisher", "Publisher"), ("year", "Year"))
FILTERS = (("speaker", "Speaker"), ("publisher", "Publisher"), ("type", "Kind"), ("from", "From"), ("to", "To"))
_STREAMISH = re.compile(STREAM_PATTERN)


def _params(request: Request, *dropped: str) -> dict[str, str]:
    return {k: v for k, v in request.query_params.items() if k not in ("format", "page", *dropped) and v}


def _streams_in(value: Any) -> list[str]:
    values = value if isinstance(value, list) else [value]
    return [v for v in values if isinstance(v, str) and _STREAMISH.fullmatch(v)]


# -- search -----------------------------------------------------------------------


def search_page(request: Request, index: SearchIndex, query: SearchRequest) -> Response:
    """The search home and results: hits, facets that filter, active filters, pages, "did you mean"."""
    params = _params(request)
    error: str | None = None
    try:
        results = search(index, query)
    except QueryError as exc:
        results, error = None, exc.reason if exc.parameter == "q" else f"{_parameter_label(exc.parameter)}: {exc.reason}"
    hits = []
    facets = []
    pages: list[dict[str, Any]] = []
    if results is not None:
        for hit in results.hits:
            shown = hit.to_json()
            shown["highlight"] = Markup(shown["highlight"])  # escaped by the index; the one markup pages trust
            hits.append(shown)
        for name, label in FACETS:
            entries = []
            for entry in results.facets.get(name, []):
                value = str(entry["value"])
                if name == "year":
                    url, active = _link(params, **{"from": value, "to": value}), params.get("from") == value == params.get("to")
                    shown_value = value if value != "0001" else "no known start"
                else:
                    url, active = _link(params, **{name: value}), params.get(name) == value
                    shown_value = type_label(value) if name == "type" else value
                entries.append({"value": shown_value, "count": entry["count"], "url": url, "active": active})
            if entries:
                facets.append({"name": name, "label": label, "entries": entries})
        count = max(1, math.ceil(results.total / query.per_page))
        if count > 1:
            window = sorted({1, count, *range(max(1, query.page - 2), min(count, query.page + 2) + 1)})
            pages = [{"number": n, "url": _link(params, page=n if n > 1 else None), "current": n == query.page} for n in window]
    active = [
        {"label": label, "value": type_label(params[name]) if name == "type" else params[name], "remove": _link(params, **{name: None})}
        for name, label in FILTERS if params.get(name)
    ]
    suggestion = None
    if results is not None and results.suggestion:
        suggestion = {"text": results.suggestion, "url": _link(params, q=results.suggestion)}
    last_page = math.ceil(results.total / query.per_page) if results else 1
    context = {
        "title": f"{query.q} – search" if query.q else "Search the archive",
        "query": query,
        "params": params,
        "results": results,
        "hits": hits,
        "facets": facets,
        "active": active,
        "pages": pages,
        "previous": _link(params, page=query.page - 1 if query.page > 2 else None) if query.page > 1 else None,
        "next": _link(params, page=query.page + 1) if results and query.page < last_page else None,
        "suggestion": suggestion,
        "error": error,
        "hidden": {k: v for k, v in params.items() if k in ("speaker", "publisher", "type", "per_page")},
    }
    return render(request, "search.html", context, 400 if error else 200)


def _parameter_label(parameter: str) -> str:
    return {"from": "From", "to": "To", "q": "Query", "per_page": "Results a page", "page": "Page"}.get(parameter, parameter)


def _link(params: dict[str, str], **changes: Any) -> str:
    """A search URL: the current parameters (never the page, unless changed) with `changes`."""
    return link("/search", params, **changes)


# -- one fact ---------------------------------------------------------------------


def as_corrected(event: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The fact as its corrections left it, and each correction with what it changed (before and after)."""
    data, occurred, sources = event["data"], event["occurred"], event["sources"]
    changes = []
    for correction in event["corrections"]:
        fields = correction["data"].get("fields", {})
        changed = []
        for name, value in fields.items():
            before = occurred if name == "occurred" else sources if name == "sources" else data.get(name)
            changed.append({"field": name, "before": before, "after": value})
        data = merged(data, fields)
        occurred = fields["occurred"] if isinstance(fields.get("occurred"), str) else occurred
        sources = fields["sources"] if isinstance(fields.get("sources"), list) else sources
        changes.append({"event": correction, "reason": correction["data"].get("reason"), "changed": changed})
    return {**event, "data": data, "occurred": occurred, "sources": sources}, changes


def event_page(request: Request, engine: Engine, event: dict[str, Any], *, proof: dict[str, Any] | None = None) -> Response:
    """A fact's page: what it says now, every source, its place in the chain, its corrections, how to cite it,
    and `proof`: the signed checkpoint that holds it (see `Archive.proof_of`)."""
    current, changes = as_corrected(event)
    data = current["data"]
    streams = {event["stream"]}
    for value in data.values():
        streams.update(_streams_in(value))
    with engine.connect() as connection:
        names = names_of(connection, streams)
    speaker = data.get("speaker")
    speaker_name = names.get(speaker) if isinstance(speaker, str) else None
    permalink = f"{str(request.base_url).rstrip('/')}/events/{event['id']}"
    fields = []
    skip = {"quote", "original_text", "speaker", "speaker_description", "context"} if event["type"] == "StatementMade" else set()
    for spec in PAYLOAD_FIELDS.get(event["type"], ()):
        head = spec.name.partition(".")[0]
        if head in skip or head not in data or any(f["name"] == head for f in fields):
            continue
        label = "Tally" if head == "tally" else spec.label
        fields.append({"name": head, "label": label, "value": data[head], "edtf": spec.kind == "edtf"})
    context = {
        "title": f"{type_label(event['type'])}: {summary_of(data, event['type'])[:80]}",
        "event": event,
        "current": current,
        "changes": changes,
        "retraction": event["retraction"],
        "names": names,
        "speaker_name": speaker_name,
        "fields": fields,
        "permalink": permalink,
        "cite": cite(current, permalink, speaker_name, datetime.now(UTC).date().isoformat()),
        "appended": request.query_params.get("appended") == "1",
        "amendment": event["type"] in ("FactCorrected", "FactRetracted"),
        "proof": proof,
    }
    return render(request, "event.html", context)


# -- agreements -------------------------------------------------------------------


def _as_of_form(request: Request, as_of: AsOf) -> dict[str, Any]:
    return {
        "valid_at": request.query_params.get("valid_at", ""),
        "known_at": request.query_params.get("known_at", ""),
        "as_of": as_of,
        "is_now": not request.query_params.get("valid_at") and not request.query_params.get("known_at"),
    }


def agreements_page(request: Request, engine: Engine, listed: AgreementList) -> Response:
    parties = {p for a in listed.agreements for p in a.parties}
    with engine.connect() as connection:
        names = names_of(connection, parties)
    context = {"title": "Agreements", "listed": listed, "names": names, **_as_of_form(request, listed.as_of),
               "params": _params(request)}
    return render(request, "agreements.html", context)


def agreement_page(request: Request, engine: Engine, state: AgreementState) -> Response:
    """An agreement's state, parties, dates and votes, and its facts drawn on a time axis."""
    streams = set(state.parties)
    for vote in [*state.votes, *([state.next_vote] if state.next_vote else [])]:
        streams.update(_streams_in(vote.body))
    with engine.connect() as connection:
        names = names_of(connection, streams)
    spans = []
    term = _term(state)
    if term:
        spans.append(Span(term, "Term of the agreement", None, "term"))
    spans += [Span(h.fact.occurred, type_label(h.fact.type), f"/events/{h.fact.event_id}") for h in state.history]
    context = {
        "title": state.title or state.id,
        "state": state,
        "names": names,
        "drawing": draw(spans, state.as_of.valid_at),
        **_as_of_form(request, state.as_of),
    }
    return render(request, "agreement.html", context)


def _term(state: AgreementState) -> str | None:
    """The agreement's span as an EDTF interval, from its start (effective, else signed) to its end, where known."""
    start = state.effective or state.signed
    if not state.expires:
        return None
    begin = (start.split("/")[0] or start.split("/")[-1]) if start else ".."
    end = state.expires.split("/")[-1] or state.expires
    return f"{begin}/{end}"


# -- entities and timelines ---------------------------------------------------------


def _facts(page: TimelinePage) -> list[dict[str, Any]]:
    return [{"fact": f, "summary": summary_of(f.data, f.type)} for f in page.facts]


def entities_page(request: Request, listed: EntityList, limit: int, offset: int) -> Response:
    """The directory: every entity by name, grouped by kind."""
    params = _params(request, "offset")
    kinds: dict[str, list[Entity]] = {}
    for found in listed.entities:
        kinds.setdefault(found.kind, []).append(found)
    context = {
        "title": "Entities",
        "listed": listed,
        "kinds": sorted(kinds.items()),
        "params": params,
        "previous": link("/entities", params, offset=max(offset - limit, 0) or None) if offset else None,
        "next": link("/entities", params, offset=offset + limit) if offset + limit < listed.total else None,
    }
    return render(request, "entities.html", context)


def entity_page(request: Request, entity: Entity, page: TimelinePage) -> Response:
    context = {"title": entity.name, "entity": entity, "facts": _facts(page), "page": page, **_as_of_form(request, page.as_of)}
    return render(request, "entity.html", context)


def timeline_page(request: Request, page: TimelinePage, limit: int, offset: int) -> Response:
    params = _params(request, "offset")
    context = {
        "title": "Timeline",
        "page": page,
        "facts": _facts(page),
        "params": params,
        "first": offset + 1,
        "last": offset + len(page.facts),
        "previous": link("/timeline", params, offset=max(offset - limit, 0) or None) if offset else None,
        "next": link("/timeline", params, offset=offset + limit) if offset + limit < page.total else None,
        **_as_of_form(request, page.as_of),
    }
    return render(request, "timeline.html", context)


def error_page(request: Request, status: int, detail: str | None, errors: list[FieldProblem] | None) -> Response:
    context = {"title": HTTPStatus(status).phrase, "status": status, "detail": detail, "errors": errors or []}
    return render(request, "error.html", context, status)

