"""The archivist's forms: one field list per catalogue type, what was typed turned into an event, and the
catalogue's own validation messages put back beside the fields they concern.

A form is validated by exactly the rules the JSON API applies
(`events.prepare`), so the page and the API can never disagree about what a
valid fact is; this module only translates between form fields and JSON.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, get_args

import orjson

from events.catalogue import CATALOGUE, EntityKind, MembershipStatus, StatusChange, VoteEffect, VoteOutcome
from events.errors import FieldProblem

LANGUAGE_HELP = "A language tag such as en, ru or ja."
EDTF_HELP = "EDTF: 2024-06-20, 2024-06, 2024, 2024-12~ (about), 2024-12/2025-03 (a range)."
STREAM_HELP = "A stream such as org-jinr or person-boris-grinev."
UNSOURCED_HELP = "The fields whose words no source prints, one a line (title, description…): pages show them as your notes."


@dataclass(frozen=True)
class FormField:
    """One field of a form. `name` is the payload key (`tally.yes` for a part of a nested one)."""

    name: str
    label: str
    kind: str = "text"
    """text, edtf (text that is a date), textarea, lines (a list, one item a line), choice, number, checkbox or json."""
    required: bool = False
    help: str = ""
    choices: tuple[str, ...] = ()


def _f(name: str, label: str, kind: str = "text", required: bool = False, help: str = "", choices: Any = ()) -> FormField:
    return FormField(name, label, kind, required, help, tuple(get_args(choices)) if choices else ())


def _edtf(name: str, label: str, required: bool = False) -> FormField:
    return _f(name, label, "edtf", required, EDTF_HELP)


PAYLOAD_FIELDS: dict[str, tuple[FormField, ...]] = {
    "StatementMade": (
        _f("speaker", "Speaker", required=True, help="The speaker's stream (person-…), or anonymous."),
        _f("speaker_description", "Speaker description", help="Needed for an anonymous speaker: “a JINR physicist”."),
        _f("quote", "Quote", "textarea", True, "The exact words as printed."),
        _f("language", "Language of the quote", help=LANGUAGE_HELP),
        _f("original_text", "Original text", "textarea", help="The words as first said, where the quote is a translation."),
        _f("original_language", "Original language", help=LANGUAGE_HELP),
        _f("context", "Context", "textarea", help="The occasion."),
        _f("medium", "Medium", help="interview, letter, speech…"),
        _f("about", "About", "lines", help="The agreements or entities it is about, by stream, one a line."),
    ),
    "EntityRegistered": (
        _f("kind", "Kind", "choice", True, choices=EntityKind),
        _f("name", "Name", required=True),
        _f("aliases", "Aliases", "lines", help="Other names in any language or script, one a line."),
        _f("languages", "Languages of the names (JSON)", "json", help='For names not in English: {"ОИЯИ": "ru"}.'),
        _f("description", "Description", "textarea"),
        _f("unsourced", "Written by the archivist", "lines", help=UNSOURCED_HELP),
    ),
    "AgreementSigned": (
        _f("title", "Title", required=True),
        _f("parties", "Parties", "lines", True, "The parties' streams, one a line (at least two)."),
        _edtf("signed", "Signed"),
        _edtf("effective", "Effective from"),
        _edtf("expires", "Expires"),
        _f("summary", "Summary", "textarea"),
        _f("unsourced", "Written by the archivist", "lines", help=UNSOURCED_HELP),
    ),
    "AgreementRenewed": (_edtf("effective", "Effective from"), _edtf("expires", "Expires"), _f("summary", "Summary", "textarea")),
    "AgreementAmended": (_f("summary", "Summary", "textarea", True, "How the terms change."), _edtf("effective", "Effective from")),
    "AgreementSuspended": (_edtf("effective", "Effective from"), _f("reason", "Reason", "textarea")),
    "AgreementTerminated": (_edtf("effective", "Effective from"), _f("reason", "Reason", "textarea")),
    "AgreementExpired": (_f("renewal_refused", "The parties refused to renew it", "checkbox"), _f("note", "Note", "textarea")),
    "AgreementSuperseded": (
        _f("by", "Superseded by", required=True, help="The successor agreement's stream, e.g. agreement-cern-russia."),
        _edtf("effective", "Effective from"),
    ),
    "DecisionTaken": (
        _f("by", "Decided by", required=True, help=STREAM_HELP),
        _f("decision", "Decision", "textarea", True, "What was decided, in the sources' words."),
        _f("agreement", "Agreement", help="The agreement's stream, e.g. agreement-cern-russia."),
        _f("effect", "Effect", "choice", choices=VoteEffect),
    ),
    "VoteScheduled": (
        _f("body", "Body", required=True, help=STREAM_HELP),
        _f("motion", "Motion", "textarea", True),
        _edtf("scheduled", "Scheduled for"),
        _f("agreement", "Agreement", help="The agreement's stream, e.g. agreement-cern-jinr."),
        _f("effect", "Effect if passed", "choice", choices=VoteEffect),
    ),
    "VoteHeld": (
        _f("body", "Body", required=True, help=STREAM_HELP),
        _f("motion", "Motion", "textarea", True),
        _f("outcome", "Outcome", "choice", True, choices=VoteOutcome),
        _f("tally.yes", "Votes for", "number"),
        _f("tally.no", "Votes against", "number"),
        _f("tally.abstain", "Abstentions", "number"),
        _f("tally.absent", "Absent", "number"),
        _f("threshold", "Threshold", help="The majority required: two-thirds, simple majority…"),
        _f("notes", "Notes", "textarea", help="Who abstained, and anything else the sources say."),
        _f("agreement", "Agreement", help="The agreement's stream, e.g. agreement-cern-jinr."),
        _f("effect", "Effect if passed", "choice", choices=VoteEffect),
    ),
    "VisitMade": (
        _f("visitors", "Visitors", "lines", True, "Streams or names of who came, one a line."),
        _f("host", "Host"),
        _f("place", "Place"),
        _f("purpose", "Purpose", "textarea"),
    ),
    "StatusChanged": (
        _f("party", "Party", required=True, help=STREAM_HELP),
        _f("organization", "Organization", required=True, help=STREAM_HELP),
        _f("status", "Status", "choice", True, choices=MembershipStatus),
        _f("change", "Change", "choice", help="granted when left empty", choices=StatusChange),
        _f("note", "Note", "textarea"),
    ),
    "FactCorrected": (
        _f("target", "Corrected fact", required=True, help="The id of the fact to correct."),
        _f("fields", "Corrected fields (JSON)", "json", True, 'For example {"medium": "interview"}; null removes a field.'),
        _f("reason", "Reason", "textarea", True),
    ),
    "FactRetracted": (
        _f("target", "Retracted fact", required=True, help="The id of the fact to withdraw."),
        _f("reason", "Reason", "textarea", True),
    ),
}
"""The payload fields of each type, in the order the form shows them; tests check they cover the catalogue."""

EVENT_FIELDS = (
    _f("stream", "Stream", help="Where the fact goes: the agreement's or the entity's stream. Left empty, a statement goes "
       "to its speaker's stream and a vote to its agreement's."),
    _edtf("occurred", "When it happened", required=True),
)
SOURCE_FIELDS = (
    _f("source.publisher", "Publisher", required=True),
    _f("source.title", "Title"),
    _f("source.url", "Link", help="An http(s) address. Never invent one: leave it empty where the material gives none."),
    _edtf("source.published", "Published"),
    _f("source.quote", "Words as printed in the source", "textarea"),
    _f("source.language", "Language", help=LANGUAGE_HELP),
    _f("source.archived_url", "Archived link", help="An http(s) address of an archived copy."),
)
TYPES = tuple(PAYLOAD_FIELDS)
assert set(TYPES) == set(CATALOGUE), "every catalogue type needs its form fields"


def _value(field: FormField, raw: str) -> Any:
    text = raw.strip()
    if field.kind == "lines":
        return [line.strip() for line in text.splitlines() if line.strip()] or None
    if field.kind == "checkbox":
        return True if text else None
    if not text:
        return None
    if field.kind == "number":
        return int(text) if re.fullmatch(r"[0-9]{1,9}", text) else text  # validation names what is wrong with the rest
    return text


class FormProblems(Exception):
    """What is wrong with a form: messages by field name, and those that belong to no field."""

    def __init__(self, by_field: dict[str, str], general: list[str]) -> None:
        super().__init__("; ".join([*by_field.values(), *general]))
        self.by_field = by_field
        self.general = general


def payload(event_type: str, form: Mapping[str, str]) -> dict[str, Any]:
    """The payload the form's fields for `event_type` say, with empty fields left out; raise FormProblems."""
    data: dict[str, Any] = {}
    for field in PAYLOAD_FIELDS[event_type]:
        value = _value(field, form.get(field.name, ""))
        if value is None:
            continue
        if field.kind == "json":
            try:
                value = orjson.loads(value)
            except orjson.JSONDecodeError as exc:
                raise FormProblems({field.name: f"is not JSON: {exc}"}, []) from None
        head, _, part = field.name.partition(".")
        if part:
            data.setdefault(head, {})[part] = value
        else:
            data[head] = value
    return data


def source(form: Mapping[str, str]) -> dict[str, Any]:
    found = {f.name.removeprefix("source."): _value(f, form.get(f.name, "")) for f in SOURCE_FIELDS}
    return {k: v for k, v in found.items() if v is not None}


def event_from_form(event_type: str, form: Mapping[str, str]) -> tuple[str, dict[str, Any]]:
    """The stream and the event (as the API's JSON) that an append form describes; raise FormProblems."""
    if event_type not in PAYLOAD_FIELDS:
        raise FormProblems({"type": "choose a type from the catalogue"}, [])
    data = payload(event_type, form)
    stream = form.get("stream", "").strip()
    if not stream:
        if event_type == "StatementMade" and data.get("speaker") not in (None, "anonymous"):
            stream = str(data["speaker"])
        elif isinstance(data.get("agreement"), str):
            stream = data["agreement"]
        else:
            raise FormProblems({"stream": "required: name the stream the fact goes into"}, [])
    event = {"type": event_type, "occurred": form.get("occurred", "").strip(), "data": data, "sources": [source(form)]}
    return stream, event


_PATH = re.compile(r"^events\[0\]\.?")


def field_of(problem: FieldProblem, event_type: str) -> str | None:
    """The form field a validation problem of the API (`events[0].data.tally.yes`) is about, if any."""
    path = _PATH.sub("", problem.field)
    path = re.sub(r"\[[0-9]+\]", "", path)
    if path.startswith("sources"):
        path = "source" + path.removeprefix("sources")
    path = path.removeprefix("data.")
    names = {f.name for f in (*EVENT_FIELDS, *SOURCE_FIELDS, *PAYLOAD_FIELDS.get(event_type, ()))}
    while path:
        if path in names:
            return path
        path = path.rpartition(".")[0]
    return None


def reason_for_people(reason: str) -> str:
    return {"Field required": "required", "Input should be a valid integer": "must be a whole number"}.get(reason, reason)


def problems_by_field(problems: list[FieldProblem], event_type: str) -> FormProblems:
    by_field: dict[str, str] = {}
    general: list[str] = []
    for problem in problems:
        reason = reason_for_people(problem.reason)
        name = field_of(problem, event_type)
        if name is None:
            general.append(str(FieldProblem(_PATH.sub("", problem.field), reason)))
        elif name not in by_field:
            by_field[name] = reason
    return FormProblems(by_field, general)


def current_values(event_type: str, data: dict[str, Any], occurred: str) -> dict[str, str]:
    """A fact's payload as form values, to prefill the correction form."""
    values = {"occurred": occurred}
    for field in PAYLOAD_FIELDS.get(event_type, ()):
        head, _, part = field.name.partition(".")
        value = data.get(head)
        if part:
            value = value.get(part) if isinstance(value, dict) else None
        if value is None:
            continue
        if field.kind == "lines" and isinstance(value, list):
            values[field.name] = "\n".join(str(v) for v in value)
        elif field.kind == "checkbox":
            values[field.name] = "on" if value else ""
        elif field.kind == "json":
            values[field.name] = orjson.dumps(value).decode()
        else:
            values[field.name] = str(value)
    return values


def changed_fields(event_type: str, data: dict[str, Any], occurred: str, form: Mapping[str, str]) -> dict[str, Any]:
    """What a correction form changes: new values by field, None for a field emptied, `occurred` if changed."""
    new = payload(event_type, form)
    fields: dict[str, Any] = {}
    for name in {f.name.partition(".")[0] for f in PAYLOAD_FIELDS.get(event_type, ())}:
        if new.get(name) != data.get(name):
            fields[name] = new.get(name)
    new_occurred = form.get("occurred", "").strip()
    if new_occurred and new_occurred != occurred:
        fields["occurred"] = new_occurred
    return fields


def correction_problems(problems: list[FieldProblem], target_type: str) -> FormProblems:
    """Problems with a correction or retraction, by the correction form's fields: the corrected fields under
    their own names, the correction's reason as `why`, its date as `when`, its source as `source.*`."""
    by_field: dict[str, str] = {}
    general: list[str] = []
    for problem in problems:
        path = _PATH.sub("", problem.field)
        reason = reason_for_people(problem.reason)
        if path == "data.reason":
            name: str | None = "why"
        elif path == "occurred":
            name = "when"
        elif path.startswith("data.fields."):
            name = field_of(FieldProblem("data." + path.removeprefix("data.fields."), reason), target_type)
        elif path.startswith("sources"):
            name = field_of(FieldProblem(path, reason), target_type)
        else:
            name = None
        if name is None:
            general.append(str(FieldProblem(path, reason)))
        else:
            by_field.setdefault(name, reason)
    return FormProblems(by_field, general)
