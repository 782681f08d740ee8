"""Which rendering a request gets: the page when its `Accept` prefers text/html, JSON otherwise.

A permalink serves people and programs alike. A browser's Accept puts
text/html first; curl's `*/*`, a client's `application/json` or no Accept at
all get JSON, and `?format=json` forces JSON whatever the Accept says. Both
renderings say `Vary: Accept` so caches keep them apart.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

VARY = "Accept"


def _quality(accept: str, wanted: str) -> float:
    """The q-value `accept` gives `wanted`: its most specific matching range wins, as RFC 9110 says."""
    kind = wanted.split("/")[0]
    best, specificity = 0.0, -1
    for item in accept.split(","):
        media, *params = (part.strip() for part in item.split(";"))
        media = media.lower()
        if media == wanted:
            rank = 2
        elif media == f"{kind}/*":
            rank = 1
        elif media == "*/*":
            rank = 0
        else:
            continue
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if rank > specificity:
            best, specificity = q, rank
    return best


def wants_html(request: Request) -> bool:
    """Whether the request gets the page: Accept prefers text/html to JSON and `format=json` is absent."""
    if request.query_params.get("format") == "json":
        return False
    accept = request.headers.get("accept", "")
    if "html" not in accept:
        return False
    return _quality(accept, "text/html") > _quality(accept, "application/json")


def varied(response: Response) -> Response:
    """`response` with `Vary: Accept` (a page and its JSON share the URL)."""
    vary = response.headers.get("vary")
    if vary is None:
        response.headers["Vary"] = VARY
    elif VARY.lower() not in vary.lower():
        response.headers["Vary"] = f"{vary}, {VARY}"
    return response
