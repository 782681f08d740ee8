"""The archivist's pages: sign in with a token, append one sourced fact, correct or retract a fact.

Every POST carries a CSRF token (see `service.web.session`); a form with
mistakes comes back with 422, each message beside its field and everything
typed still in place. Facts are validated and appended exactly as the JSON
API does it, with the signed-in token's name as `recorded_by`.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from events import InvalidEvent
from events.errors import EventStoreError
from events.prepare import prepare_request_json
from service.queries import event_with_amendments
from service.tokens import authenticate
from service.web import forms
from service.web import session as sessions
from service.web.forms import EVENT_FIELDS, PAYLOAD_FIELDS, SOURCE_FIELDS, FormProblems
from service.web.pages import as_corrected, error_page
from service.web.rendering import render, type_label
from service.web.session import COOKIE, SIGN_IN_COOKIE, WebSession, current, engine_of, forget_cookie, same, set_cookie

router = APIRouter(include_in_schema=False)
APPEND_ROLES = ("archivist", "admin")
MAX_FORM_BYTES = 200_000


async def _form(request: Request) -> dict[str, str]:
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        return {}
    return dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))


def _see(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _local(url: str | None) -> str:
    """`url` if it is a path on this site (never another host), else the archivist's page."""
    if url and url.startswith("/") and not url.startswith("//") and "\\" not in url:
        return url
    return "/archivist"


def _refused(request: Request) -> Response:
    return error_page(request, 403, "This form has expired or did not come from this site. Reload the page and try again.", None)


# -- signing in and out -----------------------------------------------------------------


def _sign_in_page(request: Request, problem: str | None = None, status: int = 200) -> Response:
    token = secrets.token_urlsafe(32)
    context = {"title": "Sign in", "csrf": token, "problem": problem, "next": _local(request.query_params.get("next"))}
    response = render(request, "sign_in.html", context, status)
    set_cookie(response, request, SIGN_IN_COOKIE, token, 3600)
    return response


@router.post("/archivist/sign-in")
async def sign_in(request: Request) -> Response:
    form = await _form(request)
    if not same(request.cookies.get(SIGN_IN_COOKIE), form.get("csrf")):
        return _refused(request)
    token = form.get("token", "").strip()
    found = await run_in_threadpool(authenticate, request.app.state.archive.store.engine, token) if token else None
    if found is None:
        return _sign_in_page(request, "The archive knows no such token.", 401)
    name, role = found
    if role not in APPEND_ROLES:
        return _sign_in_page(request, f"A {role} token may read but not append; sign in with an archivist or admin token.", 403)
    cookie, _ = await run_in_threadpool(sessions.start, engine_of(request), name, role)
    response = _see(_local(form.get("next")))
    set_cookie(response, request, COOKIE, cookie, None)
    forget_cookie(response, request, SIGN_IN_COOKIE)
    return response


@router.post("/archivist/sign-out")
async def sign_out(request: Request) -> Response:
    form = await _form(request)
    session = await current(request)
    if session is None or not same(session.csrf, form.get("csrf")):
        return _refused(request)
    await run_in_threadpool(sessions.end, engine_of(request), request.cookies.get(COOKIE))
    response = _see("/archivist")
    forget_cookie(response, request, COOKIE)
    return response


# -- appending -------------------------------------------------------------------------


def _append_page(
    request: Request, session: WebSession, event_type: str | None, values: dict[str, str],
    problems: FormProblems | None = None, status: int = 200,
) -> Response:
    chosen = event_type if event_type in PAYLOAD_FIELDS else None
    context = {
        "title": "Append a fact",
        "types": [(t, type_label(t)) for t in PAYLOAD_FIELDS],
        "chosen": chosen,
        "chosen_label": type_label(chosen) if chosen else None,
        "event_fields": EVENT_FIELDS,
        "payload_fields": PAYLOAD_FIELDS.get(chosen or "", ()),
        "source_fields": SOURCE_FIELDS,
        "values": values,
        "errors": problems.by_field if problems else {},
        "general": problems.general if problems else [],
        "labels": {f.name: f.label for f in (*EVENT_FIELDS, *PAYLOAD_FIELDS.get(chosen or "", ()), *SOURCE_FIELDS)},
        "csrf": session.csrf,
    }
    return render(request, "append.html", context, status)


@router.get("/archivist")
async def archivist_page(request: Request) -> Response:
    session = await current(request)
    if session is None:
        return _sign_in_page(request)
    return _append_page(request, session, request.query_params.get("type"), {})


def _append(request: Request, session: WebSession, stream: str, event: dict[str, Any]) -> str:
    """Validate and append one event as the API does; its id. Raises InvalidEvent."""
    archive = request.app.state.archive
    prepared = prepare_request_json({"stream": stream, "expected_version": "any", "events": [event]})
    result = archive.store.append_batch([prepared], recorded_by=session.name)[0]
    return str(result.ids[0])


async def _write(request: Request, session: WebSession, stream: str, event: dict[str, Any]) -> str:
    event_id = await run_in_threadpool(_append, request, session, stream, event)
    request.app.state.archive.appended(1)
    return event_id


@router.post("/archivist/facts")
async def append_fact(request: Request) -> Response:
    form = await _form(request)
    session = await current(request)
    if session is None:
        return _see("/archivist")
    if not same(session.csrf, form.get("csrf")):
        return _refused(request)
    event_type = form.get("type", "")
    try:
        stream, event = forms.event_from_form(event_type, form)
        event_id = await _write(request, session, stream, event)
    except FormProblems as problems:
        return _append_page(request, session, event_type, form, problems, 422)
    except InvalidEvent as exc:
        return _append_page(request, session, event_type, form, forms.problems_by_field(exc.problems, event_type), 422)
    except EventStoreError as exc:
        return _append_page(request, session, event_type, form, FormProblems({}, [str(exc)]), 409)
    return _see(f"/events/{event_id}?appended=1")


# -- corrections -----------------------------------------------------------------------


def _correction_page(
    request: Request, session: WebSession, target: dict[str, Any], values: dict[str, str],
    problems: FormProblems | None = None, status: int = 200,
) -> Response:
    context = {
        "title": "Correct a fact",
        "target": target,
        "payload_fields": PAYLOAD_FIELDS.get(target["type"], ()),
        "source_fields": SOURCE_FIELDS,
        "values": values,
        "errors": problems.by_field if problems else {},
        "general": problems.general if problems else [],
        "labels": {"occurred": "When it happened", "why": "Why", "when": "Date of the correction",
                   **{f.name: f.label for f in (*PAYLOAD_FIELDS.get(target["type"], ()), *SOURCE_FIELDS)}},
        "csrf": session.csrf,
    }
    return render(request, "correct.html", context, status)


def _target(request: Request, event_id: str) -> dict[str, Any] | None:
    return event_with_amendments(request.app.state.archive.store, event_id)


def _today() -> str:
    return datetime.now(UTC).date().isoformat()


@router.get("/events/{event_id}/correct")
async def correction_form(request: Request, event_id: str) -> Response:
    session = await current(request)
    if session is None:
        return _see(f"/archivist?next=/events/{event_id}/correct")
    target = await run_in_threadpool(_target, request, event_id)
    if target is None or target["retraction"] is not None or target["type"] in ("FactCorrected", "FactRetracted"):
        return error_page(request, 404, f"no fact {event_id} that can be corrected", None)
    now, _ = as_corrected(target)
    values = forms.current_values(target["type"], now["data"], now["occurred"])
    values["when"] = _today()
    return _correction_page(request, session, target, values)


@router.post("/events/{event_id}/correct")
async def correct(request: Request, event_id: str) -> Response:
    form = await _form(request)
    session = await current(request)
    if session is None:
        return _see(f"/archivist?next=/events/{event_id}/correct")
    if not same(session.csrf, form.get("csrf")):
        return _refused(request)
    target = await run_in_threadpool(_target, request, event_id)
    if target is None:
        return error_page(request, 404, f"no fact {event_id}", None)
    now, _ = as_corrected(target)
    retract = form.get("action") == "retract"
    try:
        why = form.get("why", "").strip()
        reason = {"reason": why} if why else {}  # left out when empty, so validation says it is required
        if retract:
            event_type, data = "FactRetracted", {"target": target["id"], **reason}
        else:
            fields = forms.changed_fields(target["type"], now["data"], now["occurred"], form)
            if not fields:
                raise FormProblems({}, ["Nothing was changed: edit a field, or retract the fact."])
            event_type, data = "FactCorrected", {"target": target["id"], "fields": fields, **reason}
        event = {"type": event_type, "occurred": form.get("when", "").strip(), "data": data, "sources": [forms.source(form)]}
        await _write(request, session, target["stream"], event)
    except FormProblems as problems:
        return _correction_page(request, session, target, form, problems, 422)
    except InvalidEvent as exc:
        return _correction_page(request, session, target, form, forms.correction_problems(exc.problems, target["type"]), 422)
    return _see(f"/events/{target['id']}")
