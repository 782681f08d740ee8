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
from projections.agreements import BY_DATE, STATUSES, AgreementList, AgreementState, agreement, list_agreements
from projections.entities import Entity, EntityList, names_of
from projections.times import world_date
from projections.timeline import TimelinePage
from search_index import QueryError, SearchIndex, SearchRequest, search
from search_index.names import NamedEntity
from service.web.cite import cite
from service.web.forms import PAYLOAD_FIELDS
from service.web.dates import for_people
from service.web.rendering import STATUS_LABELS, link, render, summary_of, type_label
from service.web.status import status_sentence
from service.web.svg import Span, Stretch, draw

FACETS = (("type", "Kind of fact"), ("kind", "Quoted or reported"), ("speaker", "Speaker"), ("publisher", "Publisher"), ("year", "Year"))
FILTERS = (("speaker", "Speaker"), ("publisher", "Publisher"), ("type", "Kind"), ("kind", "Quoted or reported"), ("from", "From"),
           ("to", "To"), ("quotes_only", "Matched in"))
KIND_LABELS = {"direct": "direct quotes", "reported": "reported speech"}
PLACE_LABELS = {
    "quote": "the quote", "original_text": "the original words", "excerpt": "a source's excerpt", "context": "the context",
    "source_title": "a source's title or publisher", "speaker": "the speaker's names",
}
_STREAMISH = re.compile(STREAM_PATTERN)


def _params(request: Request, *dropped: str) -> dict[str, str]:
    return {k: v for k, v in request.query_params.items() if k not in ("format", "page", *dropped) and v}


def _streams_in(value: Any) -> list[str]:
    values = value if isinstance(value, list) else [value]
    return [v for v in values if isinstance(v, str) and _STREAMISH.fullmatch(v)]


# -- search -----------------------------------------------------------------------


def search_page(request: Request, index: SearchIndex, engine: Engine, query: SearchRequest) -> Response:
    """The search home and results: the entities the query names, hits (where each matched), facets that
    filter, active filters, pages, "did you mean"."""
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
            # The quote itself is shown highlighted only where the match is in it; elsewhere the page
            # says where it is and shows that text highlighted beside the quote.
            shown["in_words"] = hit.in_words
            shown["places"] = [PLACE_LABELS[place] for place in shown["matched_in"]]
            hits.append(shown)
        for name, label in FACETS:
            entries = []
            for entry in results.facets.get(name, []):
                value = str(entry["value"])
                if name == "year":
                    within = _year_within(params, value)
                    url, active = _link(params, **within), params.get("from") == within["from"] and params.get("to") == within["to"]
                elif params.get(name) not in (None, value):
                    continue  # another value of a filter in force: a click would replace the filter, not narrow it
                else:
                    url, active = _link(params, **{name: value}), params.get(name) == value
                shown_value = type_label(value) if name == "type" else KIND_LABELS.get(value, value) if name == "kind" else value
                entries.append({"value": shown_value, "count": entry["count"], "url": url, "active": active})
            if entries:
                facets.append({"name": name, "label": label, "entries": entries})
        count = max(1, math.ceil(results.total / query.per_page))
        if count > 1:
            window = sorted({1, count, *range(max(1, query.page - 2), min(count, query.page + 2) + 1)})
            pages = [{"number": n, "url": _link(params, page=n if n > 1 else None), "current": n == query.page} for n in window]
    active = [
        {"label": label, "value": _filter_value(name, params[name]), "remove": _link(params, **{name: None})}
        for name, label in FILTERS if params.get(name) and (name != "quotes_only" or query.quotes_only)
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
        "entities": _entity_cards(engine, results.entities) if results is not None else [],
        "translated": any(hit["original_text"] for hit in hits),
        "hidden": {k: v for k, v in params.items() if k in ("speaker", "publisher", "type", "kind", "per_page")},
    }
    return render(request, "search.html", context, 400 if error else 200)


def _filter_value(name: str, value: str) -> str:
    if name == "type":
        return type_label(value)
    if name == "kind":
        return KIND_LABELS.get(value, value)
    if name == "quotes_only":
        return "the words themselves"
    return value


def _entity_cards(engine: Engine, entities: list[NamedEntity]) -> list[dict[str, Any]]:
    """Each entity the query names, with the agreements it is a party to, for the cards above the hits."""
    if not entities:
        return []
    with engine.connect() as connection:
        cards = []
        for named in entities:
            agreements = list_agreements(connection, AsOf.now(), party=named.id).agreements
            cards.append({"entity": named, "agreements": agreements})
    return cards


def _year_within(params: dict[str, str], year: str) -> dict[str, str]:
    """The `from` and `to` of a year facet: the year, narrowed by the dates already asked for, so that its
    link finds the facts it counts and no others."""
    start, end = params.get("from"), params.get("to")
    first = start if start and world_date(start, "from", upper=False) > f"{year}-01-01" else year
    last = end if end and world_date(end, "to", upper=True) < f"{year}-12-31" else year
    return {"from": first, "to": last}


def _parameter_label(parameter: str) -> str:
    return {"from": "From", "to": "To", "q": "Query", "per_page": "Results a page", "page": "Page"}.get(parameter, parameter)


def _link(params: dict[str, str], **changes: Any) -> str:
    """A search URL: the current parameters (never the page, unless changed) with `changes`."""
    return link("/search", params, **changes)


# -- one fact ---------------------------------------------------------------------


def as_corrected(event: dict[str, Any], revision: int | None = None) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The fact as its corrections (the first `revision` of them, or all) left it, and each of those
    corrections with what it changed (before and after)."""
    data, occurred, sources = event["data"], event["occurred"], event["sources"]
    changes = []
    labels = {spec.name.partition(".")[0]: spec.label for spec in PAYLOAD_FIELDS.get(event["type"], ())}
    labels.update(occurred="When it happened", sources="Sources")
    for correction in event["corrections"][:revision]:
        fields = correction["data"].get("fields", {})
        changed = []
        for name, value in fields.items():
            before = occurred if name == "occurred" else sources if name == "sources" else data.get(name)
            changed.append({"field": labels.get(name, name.replace("_", " ").capitalize()), "before": before, "after": value})
        data = merged(data, fields)
        occurred = fields["occurred"] if isinstance(fields.get("occurred"), str) else occurred
        sources = fields["sources"] if isinstance(fields.get("sources"), list) else sources
        changes.append({"event": correction, "reason": correction["data"].get("reason"), "changed": changed})
    return {**event, "data": data, "occurred": occurred, "sources": sources}, changes


def event_page(
    request: Request, engine: Engine, event: dict[str, Any], revision: int | None = None, *, proof: dict[str, Any] | None = None
) -> Response:
    """A fact's page: what it says now (or after its first `revision` corrections), every source, its place
    in the chain, its corrections, how to cite the version shown, and `proof`: the signed checkpoint that
    holds it (see `Archive.proof_of`)."""
    current, changes = as_corrected(event, revision)
    data = current["data"]
    streams = {event["stream"]}
    for value in data.values():
        streams.update(_streams_in(value))
    with engine.connect() as connection:
        names = names_of(connection, streams)
        for stream in sorted(s for s in streams if s.startswith("agreement-") and s not in names):
            state = agreement(connection, stream, AsOf.now())
            if state is not None and state.title:
                names[stream] = state.title
    speaker = data.get("speaker")
    speaker_name = names.get(speaker) if isinstance(speaker, str) else None
    permalink = f"{str(request.base_url).rstrip('/')}/events/{event['id']}"
    correction = changes[-1]["event"] if changes else None
    if correction is not None:
        permalink += f"?revision={len(changes)}"  # the version shown, whatever corrections come later
    fields = []
    skip = {"quote", "original_text", "speaker", "speaker_description", "context"} if event["type"] == "StatementMade" else set()
    for spec in PAYLOAD_FIELDS.get(event["type"], ()):
        head = spec.name.partition(".")[0]
        if head in skip or head not in data or any(f["name"] == head for f in fields):
            continue
        label = "Tally" if head == "tally" else spec.label
        if head in ("unsourced", "languages"):  # shown where they apply: a note beside a field, `lang` on a name
            continue
        unsourced = head in (data.get("unsourced") or ())
        fields.append({"name": head, "label": label, "value": data[head], "edtf": spec.kind == "edtf", "unsourced": unsourced})
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
        "cite": cite(current, permalink, speaker_name, datetime.now(UTC).date().isoformat(), correction),
        "revision": len(changes),
        "later_corrections": len(event["corrections"]) - len(changes),
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
    """An agreement's state in words, its status history with the source of each change, its facts drawn
    on a time axis under a band of its statuses, and the statements about it."""
    streams = set(state.parties)
    for vote in [*state.votes, *([state.next_vote] if state.next_vote else [])]:
        streams.update(_streams_in(vote.body))
    streams.update(s.data.get("speaker", "") for s in state.statements)
    linked = [a for a in [state.superseded_by, *state.succeeds] if a]
    with engine.connect() as connection:
        names = names_of(connection, streams)
        others = {a: other for a in linked if (other := agreement(connection, a, state.as_of)) is not None}
    titles = {a: others[a].title if a in others and others[a].title else "an agreement with no recorded title" for a in linked}
    spans = []
    term = _term(state)
    if term:
        spans.append(Span(term, "Term of the agreement", None, "term"))
    for h in state.history:
        if h.basis == BY_DATE:
            continue
        href = f"/events/{h.fact.event_id}"
        if h.fact.stands_at != h.fact.occurred:  # a scheduled vote, at the date it is scheduled for
            spans.append(Span(h.fact.stands_at, f"Vote scheduled for {for_people(h.fact.stands_at)}", href, when=""))
        else:
            spans.append(Span(h.fact.stands_at, type_label(h.fact.type), href))
    stretches = [Stretch(h.on, h.status, h.basis, STATUS_LABELS.get(h.status, h.status)) for h in state.history if h.changed]
    today = datetime.now(UTC).date().isoformat()
    context = {
        "title": state.title or _untitled(state, names),
        "state": state,
        "names": names,
        "titles": titles,
        "sentence": status_sentence(state, titles),
        "drawing": draw(spans, stretches, state.as_of.valid_at, "today" if state.as_of.valid_at == today else for_people(state.as_of.valid_at)),
        "legend": sorted({(s.status, s.basis, s.label) for s in stretches}, key=lambda s: (STATUSES.index(s[0]), s[1])),
        **_as_of_form(request, state.as_of),
    }
    return render(request, "agreement.html", context)


def _untitled(state: AgreementState, names: dict[str, str]) -> str:
    """A heading for an agreement whose title the archive does not record: its parties, where known."""
    parties = [names.get(p) for p in state.parties]
    if parties and all(parties):
        return f"Agreement between {', '.join(parties[:-1])} and {parties[-1]} (title not recorded)"  # type: ignore[arg-type]
    return "Agreement (title not recorded)"


def _term(state: AgreementState) -> str | None:
    """The agreement's span as an EDTF interval, from its start (effective, else signed, else its first fact)
    to its end, where known."""
    first = next((h.fact.stands_at for h in state.history if h.basis != BY_DATE), None)
    start = state.effective or state.signed or first
    if not state.expires:
        return None
    begin = (start.split("/")[0] or start.split("/")[-1]) if start else ""
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


def timeline_page(request: Request, engine: Engine, page: TimelinePage, limit: int, offset: int) -> Response:
    params = _params(request, "offset")
    subject = params.get("entity")
    with engine.connect() as connection:
        named = names_of(connection, [subject]).get(subject) if subject else None
        if subject and named is None and (agreed := agreement(connection, subject, page.as_of)) is not None:
            named = agreed.title
    context = {
        "title": f"Timeline: {named}" if named else "Timeline",
        "subject_name": named,
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

