"""An agreement's status in words a journalist can repeat: what it is, since when, and whether a source
says so or only a date passing does ("expired on its end date, January 2025; no source reports it")."""

from __future__ import annotations

from projections.agreements import BY_DATE, AgreementState, HistoryEntry
from service.web.dates import dated, for_people
from service.web.rendering import STATUS_LABELS


def status_sentence(state: AgreementState, titles: dict[str, str]) -> str:
    """One sentence on the current status and its basis; `titles` names other agreements by stream."""
    setter = state.set_by
    label = STATUS_LABELS.get(state.status, state.status)
    if setter is None:
        return _first_upper(f"{label} as last reported {dated(state.last_reported)}.")
    if setter.basis == BY_DATE:
        if state.status == "in_force":
            return f"In force from its start date, {for_people(setter.on)}; no source reports that it came into force."
        if state.status == "not_renewed":
            return (f"Not renewed: it ran out on its end date, {for_people(setter.on)}, after renewal was refused; "
                    "no source reports that it ended.")
        return _first_upper(f"{label} on its end date, {for_people(setter.on)}; no source reports it.")
    if state.status == "superseded":
        successor = titles.get(state.superseded_by or "", "another agreement")
        before = _reported_before(state, setter)
        earlier = f"in force as last reported {dated(before.fact.stands_at)}; " if before else ""
        return _first_upper(f"{earlier}superseded by {successor} {dated(setter.on)}.")
    if state.status == "in_force":
        return f"In force as last reported {dated(state.last_reported)}."
    return _first_upper(f"{label} as reported {dated(setter.on)}.")


def _first_upper(text: str) -> str:
    return text[:1].upper() + text[1:]


def _reported_before(state: AgreementState, setter: HistoryEntry) -> HistoryEntry | None:
    """The last fact that reported the agreement in the status it had before `setter` changed it."""
    earlier = state.history[: state.history.index(setter)]
    return next((h for h in reversed(earlier) if h.basis != BY_DATE and h.status == setter.before), None)
