"""Ready-to-copy citations of a fact, each carrying its permalink: plain text, Markdown and CSL-JSON.

A corrected fact is cited as the version shown: its permalink names the
revision, and the citation carries the hash of the correction that made it,
which is what the chain vouches for. Quotations inside a quotation or a title
take single marks, as style guides nest them. Markdown is escaped only where a
character would be read as markup, and a URL in a link is percent-encoded so
that nothing in it can end the link.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import orjson

from service.web.dates import for_people
from service.web.rendering import summary_of, type_label

URL_SAFE = "!#$%&'()*+,/:;=?@[]~-._"
"""What a URL keeps as it is inside `<…>` in Markdown; everything else (`<`, `>`, spaces, quotes,
backslashes, letters beyond ASCII) is percent-encoded."""

_MARKUP = re.compile(r"([\\`*_\[\]<~])|&(?=#?[0-9A-Za-z]+;)")
_BLOCK_START = re.compile(r"^(\s*)([#>+=-]|\d+[.)])")
_STRAIGHT = re.compile(r'"([^"]*)"')
_EDTF_DAY = re.compile(r"([0-9]{4})(?:-([0-9]{2}))?(?:-([0-9]{2}))?([?~%])?")


@dataclass(frozen=True)
class Citations:
    plain: str
    markdown: str
    csl_json: str


def _md(text: str) -> str:
    """`text` as Markdown that renders as the same text: only characters that would be markup escaped."""
    escaped = _MARKUP.sub(lambda m: "\\" + (m[1] or "&"), text)
    return _BLOCK_START.sub(lambda m: m[1] + "\\" + m[2] if not m[2][0].isdigit() else m[1] + m[2][:-1] + "\\" + m[2][-1], escaped)


def _md_url(url: str) -> str:
    """A link destination in `<…>` that no character of the URL can end or break."""
    return "<" + quote(url, safe=URL_SAFE) + ">"


def _inner(text: str) -> str:
    """Quotation marks inside a quotation, made single: “Window to the West” becomes ‘Window to the West’."""
    return _STRAIGHT.sub(r"‘\1’", text.replace("“", "‘").replace("”", "’"))


def _quoted(text: str) -> str:
    """`text` in quotation marks, the marks it holds turned into the inner ones."""
    return f"“{_inner(text)}”"


def _parts(side: str) -> tuple[list[int], bool] | None:
    match = _EDTF_DAY.fullmatch(side)
    if match is None:
        return None
    parts = [int(p) for p in match.groups()[:3] if p]
    if len(parts) > 1 and not 1 <= parts[1] <= 12:
        parts = parts[:1]  # a season: the year alone
    return parts, match[4] is not None


def csl_date(edtf: str | None) -> dict[str, Any] | None:
    """CSL-JSON's date for an EDTF date: `date-parts` with one date, or two for an interval, `circa` for
    an approximate or uncertain one, and the date in words as `literal` where a side is open."""
    if not edtf:
        return None
    start, slash, end = edtf.partition("/")
    if slash and (start in ("", "..") or end in ("", "..")):
        return {"literal": for_people(edtf)}
    sides = [_parts(side) for side in ((start, end) if slash else (start,))]
    if any(side is None for side in sides):
        return {"literal": for_people(edtf)}
    date: dict[str, Any] = {"date-parts": [side[0] for side in sides if side]}
    if any(side[1] for side in sides if side):
        date["circa"] = True
    return date


def _speaker(data: dict[str, Any], speaker_name: str | None) -> str:
    """Who spoke: the speaker's name, or an anonymous speaker's description."""
    if data.get("speaker") == "anonymous" or not speaker_name:
        description = data.get("speaker_description") or ""
        return description[:1].upper() + description[1:]
    return speaker_name


def cite(
    event: dict[str, Any], permalink: str, speaker_name: str | None, retrieved: str,
    correction: dict[str, Any] | None = None,
) -> Citations:
    """Citations of `event` (an envelope as JSON, as corrected) found at `permalink`, read on `retrieved` (ISO day);
    `correction` is the envelope of the correction that made the version shown, if any."""
    data, sources = event["data"], event["sources"]
    source = sources[0] if sources else {}
    words = summary_of(data, event["type"])
    statement = event["type"] == "StatementMade"
    who = _speaker(data, speaker_name) if statement else ""
    when = for_people(event["occurred"])
    said = _quoted(words) if statement else words
    title = _quoted(source["title"]) if source.get("title") else None
    published = for_people(source.get("published")) if source.get("published") else None
    where = ", ".join(p for p in [source.get("publisher"), title, published] if p)
    if correction is not None:
        archived = (f"accord archive, fact {event['id']} as corrected by fact {correction['id']} "
                    f"(position {correction['position']}, SHA-256 {correction['hash']}),")
    else:
        archived = f"accord archive, fact {event['id']} (position {event['position']}, SHA-256 {event['hash']}),"
    plain = " ".join(filter(None, [
        f"{who}, {said}, {when}." if who else f"{type_label(event['type'])}: {said}, {when}.",
        f"{where}." if where else None,
        f"{source['url']}." if source.get("url") else None,
        archived,
        f"{permalink} (retrieved {retrieved}).",
    ]))
    md_source = _md(where) if where else ""
    if source.get("url") and md_source:
        md_source = f"[{md_source}]({_md_url(source['url'])})"
    version = f" as corrected (SHA-256 of the correction {correction['hash']})" if correction is not None else ""
    markdown = " ".join(filter(None, [
        f"{_md(who)}, {_md(said)}, {_md(when)}." if who else f"{_md(type_label(event['type']))}: {_md(said)}, {_md(when)}.",
        f"{md_source}." if md_source else None,
        f"Archived in accord as [fact {event['position']}]({_md_url(permalink)}){version} (retrieved {retrieved}).",
    ]))
    location = f"position {event['position']}; sha256 {event['hash']}"
    if correction is not None:
        location = f"position {event['position']}, corrected at position {correction['position']}; sha256 {correction['hash']}"
    csl: dict[str, Any] = {
        "id": event["id"],
        "type": "speech" if statement else "entry",
        "title": words,
        "URL": permalink,
        "accessed": {"date-parts": [[int(p) for p in retrieved.split("-")]]},
        "archive": "accord",
        "archive_location": location,
    }
    if who:
        csl["author"] = [{"literal": who}]
    issued = csl_date(event["occurred"])
    if issued:
        csl["issued"] = issued
    if source.get("publisher"):
        csl["container-title"] = source["publisher"]
    if source.get("title"):
        csl["note"] = f"Source: {source['publisher']}, {title}" + (f", {source['url']}" if source.get("url") else "")
    if data.get("context"):
        csl["event-title"] = data["context"]
    return Citations(plain, markdown, orjson.dumps([csl], option=orjson.OPT_INDENT_2).decode())
