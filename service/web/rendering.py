"""The Jinja2 environment of the pages, built here with autoescape on, and the one way pages are rendered.

Every quote and source text is untrusted. Autoescape is set explicitly
(Starlette turns it on only when it builds the environment itself), and the
only markup a template may mark safe is a search hit's `highlight`, which the
index has already escaped. Links go out only for http(s) URLs.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import jinja2
from starlette.requests import Request
from starlette.responses import Response
from starlette.templating import Jinja2Templates

import service
from service.web.dates import for_people, moment_for_people
from service.web.headers import ON_PAGES
from service.web.negotiation import varied

TEMPLATES = Path(service.__file__).resolve().parent.parent / "templates"
"""`templates/` beside the `service` package, in a checkout and in an installed wheel alike."""
STATIC = TEMPLATES / "static"

_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")
TYPE_LABELS = {
    "EntityRegistered": "Entity registered",
    "StatementMade": "Statement",
    "VoteHeld": "Vote held",
    "VoteScheduled": "Vote scheduled",
    "VisitMade": "Visit",
    "StatusChanged": "Status changed",
    "FactCorrected": "Correction",
    "FactRetracted": "Retraction",
}
STATUS_LABELS = {
    "pending": "pending",
    "in_force": "in force",
    "suspended": "suspended",
    "expired": "expired",
    "terminated": "terminated",
    "not_renewed": "not renewed",
    "superseded": "superseded",
}


def type_label(event_type: str) -> str:
    """"AgreementSigned" as "Agreement signed"."""
    return TYPE_LABELS.get(event_type) or _CAMEL.sub(" ", event_type).capitalize()


def web_url(value: Any) -> str | None:
    """`value` if it is an http(s) URL a link may point at, else None (so it is shown as text only)."""
    if isinstance(value, str) and re.match(r"^https?://[^\s\"'<>]+$", value, re.IGNORECASE):
        return value
    return None


def link(path: str, params: dict[str, Any] | None = None, **changes: Any) -> str:
    """`path` with the query `params` after `changes` (a None or empty value removes a parameter)."""
    merged = {**(params or {}), **changes}
    kept = [(k, v) for k, v in merged.items() if v not in (None, "")]
    return f"{path}?{urlencode(kept)}" if kept else path


def summary_of(data: dict[str, Any], event_type: str) -> str:
    """The words that best say what a fact is, for lists and timelines."""
    for key in ("quote", "title", "motion", "decision", "summary", "purpose", "note", "reason", "name", "description"):
        value = data.get(key)
        if isinstance(value, str) and value.strip():
            return value
    if event_type == "StatusChanged":
        return f"{data.get('party', '')}: {data.get('status', '')} of {data.get('organization', '')}"
    return type_label(event_type)


def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.ChainableUndefined,
    )
    env.filters.update(when=for_people, moment=moment_for_people, type_label=type_label, web_url=web_url,
                       status_label=lambda s: STATUS_LABELS.get(s, s), capitalize_first=lambda s: s[:1].upper() + s[1:] if s else s)
    env.globals.update(link=link, summary_of=summary_of)
    return env


templates = Jinja2Templates(env=environment())


def render(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> Response:
    """The page `name` with `context`, its Content-Security-Policy, and `Vary: Accept` (its JSON lives at the same URL)."""
    context.setdefault("session", getattr(request.state, "web_session", None))
    return varied(templates.TemplateResponse(request, name, context, status_code=status_code, headers=ON_PAGES))
