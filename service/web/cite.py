"""Ready-to-copy citations of a fact, each carrying its permalink: plain text, Markdown and CSL-JSON."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import orjson

from service.web.dates import for_people
from service.web.rendering import summary_of, type_label


@dataclass(frozen=True)
class Citations:
    plain: str
    markdown: str
    csl_json: str


def _md(text: str) -> str:
    """Markdown special characters escaped, so a quote cannot turn into a link or markup."""
    return re.sub(r"([\\`*_{}\[\]()#+\-.!<>|~])", r"\\\1", text)


def _quoted(title: str) -> str:
    """A title in quotation marks, unless it already starts with its own."""
    return title if title[:1] in "“\"«„" else f"“{title}”"


def _date_parts(edtf: str | None) -> dict[str, Any] | None:
    """CSL's date of an EDTF date: the parts its start gives (year, month, day), or the text as `raw`."""
    if not edtf:
        return None
    start, _, end = edtf.partition("/")
    first = (start if start not in ("", "..") else end).rstrip("?~%")
    match = re.fullmatch(r"([0-9]{4})(?:-([0-9]{2}))?(?:-([0-9]{2}))?", first)
    if match is None:
        return {"raw": edtf}
    parts = [int(p) for p in match.groups() if p]
    return {"date-parts": [parts if len(parts) == 1 or parts[1] <= 12 else parts[:1]]}


def cite(event: dict[str, Any], permalink: str, speaker_name: str | None, retrieved: str) -> Citations:
    """Citations of `event` (an envelope as JSON, as corrected) found at `permalink`, read on `retrieved` (ISO day)."""
    data, sources = event["data"], event["sources"]
    source = sources[0] if sources else {}
    words = summary_of(data, event["type"])
    who = speaker_name or data.get("speaker_description") or ""
    when = for_people(event["occurred"])
    said = f"“{words}”" if event["type"] == "StatementMade" else words
    published = [source.get("publisher"), _quoted(source["title"]) if source.get("title") else None,
                 for_people(source.get("published")) if source.get("published") else None]
    where = ", ".join(p for p in published if p)
    plain = " ".join(filter(None, [
        f"{who}, {said}, {when}." if who else f"{type_label(event['type'])}: {said}, {when}.",
        f"{where}." if where else None,
        f"{source['url']}." if source.get("url") else None,
        f"accord archive, fact {event['id']} (position {event['position']}, SHA-256 {event['hash']}),",
        f"{permalink} (retrieved {retrieved}).",
    ]))
    md_source = _md(where) if where else ""
    if source.get("url") and md_source:
        md_source = f"[{md_source}](<{source['url']}>)"
    markdown = " ".join(filter(None, [
        f"{_md(who)}, {_md(said)}, {_md(when)}." if who else f"{_md(said)}, {_md(when)}.",
        f"{md_source}." if md_source else None,
        f"Archived in accord as [fact {event['position']}](<{permalink}>) (retrieved {retrieved}).",
    ]))
    csl: dict[str, Any] = {
        "id": event["id"],
        "type": "speech" if event["type"] == "StatementMade" else "entry",
        "title": words,
        "URL": permalink,
        "accessed": {"date-parts": [[int(p) for p in retrieved.split("-")]]},
        "archive": "accord",
        "archive_location": f"position {event['position']}; sha256 {event['hash']}",
    }
    if who:
        csl["author"] = [{"literal": who}]
    issued = _date_parts(event["occurred"])
    if issued:
        csl["issued"] = issued
    if source.get("publisher"):
        csl["container-title"] = source["publisher"]
    if source.get("title"):
        csl["note"] = f"Source: {source['publisher']}, {_quoted(source['title'])}" + (f", {source['url']}" if source.get("url") else "")
    if data.get("context"):
        csl["event-title"] = data["context"]
    return Citations(plain, markdown, orjson.dumps([csl], option=orjson.OPT_INDENT_2).decode())
