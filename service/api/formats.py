"""The formats the server checks, stated in the OpenAPI document, so that a schema-valid request is never a 422.

A request the document calls valid may still meet the archive's state (an id
that is not there: 404; a version that moved on, an id in use, a fact that
cannot be amended: 409), but never a refusal of its form: every rule of form
the server applies is in the document. Most come from the types themselves
(the catalogue's patterns, an EDTF string's `format: edtf`); this module adds
what holds for every operation:

- an EDTF or `known_at` query parameter states its grammar as a pattern (and
  EDTF its `format`), with the spaces around it and the empty value that
  means "not given", as a form sends them;
- no string anywhere holds a character no text holds (`events.prepare.NOT_TEXT`:
  NUL, which no PostgreSQL row can, the other C0 controls but tab, line feed
  and carriage return, U+FFFE and U+FFFF; the edge refuses them in the URL,
  see `middleware.RequestContext`, and the log in a body), and free JSON
  (`metadata`, a correction's `fields`) is JSON without them;
- the depth `data` and `metadata` may nest to is said in words, as JSON
  Schema has no keyword for it.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import Query

from events.catalogue import EDTF_FORMAT
from events.edtf_dates import GRAMMAR, MAX_LENGTH
from events.prepare import MAX_NESTING
from projections.times import MOMENT_PATTERN
from service.api.problems import PROBLEM_JSON

TEXT = "^[^\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\ufffe\\uffff]*$"
"""A string of text: `events.prepare.NOT_TEXT` as a JSON Schema pattern."""
EDTF_QUERY_PATTERN = f"^ *(?:{GRAMMAR})? *$"
JSON_VALUE = "JsonValue"
"""The component every free JSON value refers to."""


def edtf_query(description: str, example: str, alias: str | None = None) -> Any:
    """An optional EDTF query parameter, read by the server's own EDTF reader (whose refusals say why in words)."""
    return Query(
        alias=alias, max_length=MAX_LENGTH, description=f"{description} (EDTF levels 0-1; empty: not given)",
        examples=[example], json_schema_extra={"format": EDTF_FORMAT, "pattern": EDTF_QUERY_PATTERN},
    )


def moment_query(description: str, example: str) -> Any:
    """An optional `known_at`: an RFC 3339 moment or a date, read by `projections.times.archive_moment`."""
    return Query(
        max_length=100, description=f"{description} (an RFC 3339 moment, or a date for the end of that day in UTC; "
        "empty: now)", examples=[example], json_schema_extra={"pattern": MOMENT_PATTERN},
    )


def state_formats(document: dict[str, Any]) -> dict[str, Any]:
    """Say in `document` what holds for every string and every free JSON value, in place; return it."""
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas[JSON_VALUE] = {
        "description": f"Any JSON value whose strings and keys are text (see TEXT), nesting at most {MAX_NESTING} levels",
        "anyOf": [
            {"type": "string", "pattern": TEXT},
            {"type": "number"},
            {"type": "boolean"},
            {"type": "null"},
            {"type": "array", "items": {"$ref": f"#/components/schemas/{JSON_VALUE}"}},
            {
                "type": "object", "propertyNames": {"pattern": TEXT},
                "additionalProperties": {"$ref": f"#/components/schemas/{JSON_VALUE}"},
            },
        ],
    }
    for name, schema in schemas.items():
        if name != JSON_VALUE:
            _walk(schema)
    for name in [name for name, schema in schemas.items() if _is_any(schema)]:
        schemas[name] = {**schemas[name], "$ref": f"#/components/schemas/{JSON_VALUE}"}
    for template, path in document.get("paths", {}).items():
        for operation in path.values():
            _edge_refusals(template, operation.setdefault("responses", {}))
            for parameter in operation.get("parameters", []):
                _walk(parameter.get("schema", {}))
            for content in operation.get("requestBody", {}).get("content", {}).values():
                _walk(content.get("schema", {}))
    return document


def _edge_refusals(template: str, responses: dict[str, Any]) -> None:
    """The answers the edge may give any operation before it runs: 422 for a query parameter that is not
    text, 404 for a path that is not (where the path has a parameter to hold it)."""
    problem = {"content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}}
    responses.setdefault("422", {"description": "A query parameter holds a character no text holds", **problem})
    if "{" in template:
        responses.setdefault("404", {"description": "Not found, as nothing is at a path that holds a character no text holds", **problem})


_ANNOTATIONS = frozenset({"title", "description", "examples", "default"})
_SUBSCHEMA_LISTS = ("anyOf", "oneOf", "allOf", "prefixItems")
_SUBSCHEMAS = ("not", "if", "then", "else", "propertyNames", "contains")


def _walk(schema: Any) -> None:
    if not isinstance(schema, dict):
        return
    _text_only(schema)
    if schema.get("additionalProperties") is True:
        schema["additionalProperties"] = {}
    for key in _SUBSCHEMA_LISTS:
        if key in schema:
            schema[key] = [_json_or_walked(item) for item in schema[key]]
    for key in ("items", "additionalProperties"):
        if key in schema:
            schema[key] = _json_or_walked(schema[key])
    if isinstance(schema.get("additionalProperties"), dict):  # names it does not list are text too
        schema.setdefault("propertyNames", {"pattern": TEXT})
    for key in _SUBSCHEMAS:  # where `{}` means what it says
        _walk(schema.get(key))
    properties: dict[str, Any] = schema.get("properties", {})
    for name, value in properties.items():
        properties[name] = _json_or_walked(value)


def _json_or_walked(schema: Any) -> Any:
    """A subschema that admits anything, as one that admits any JSON the archive can store; any other, walked."""
    if _is_any(schema):
        return {**schema, "$ref": f"#/components/schemas/{JSON_VALUE}"}
    _walk(schema)
    return schema


def _is_any(schema: Any) -> bool:
    """A schema that admits any JSON value: `{}`, or one with only annotations."""
    return isinstance(schema, dict) and set(schema) <= _ANNOTATIONS


def _text_only(schema: dict[str, Any]) -> None:
    kind = schema.get("type")
    if not (kind == "string" or (isinstance(kind, list) and "string" in kind)) or "enum" in schema or "const" in schema:
        return
    pattern = schema.get("pattern")
    if pattern is None:
        schema["pattern"] = TEXT
    elif not _only_printable(pattern) and {"pattern": TEXT} not in schema.get("allOf", []):
        schema["allOf"] = [*schema.get("allOf", []), {"pattern": TEXT}]


def _only_printable(pattern: str) -> bool:
    """Whether a pattern can only match text: anchored at both ends, and built of printable characters and
    classes that name what they admit (no `.`, `\\S`, `\\W`, `\\D` or negated class)."""
    return (
        pattern.startswith("^") and pattern.endswith("$")
        and re.search(r"(?<!\\)\.|\\[SWD]|\[\^", pattern) is None
    ) or pattern == TEXT
