"""The errors the log raises; `service` maps each to one HTTP problem type."""

from __future__ import annotations

from dataclasses import dataclass


class EventStoreError(Exception):
    """Base of every error the log raises on purpose."""


@dataclass(frozen=True)
class FieldProblem:
    """One reason why input was refused, located by a dotted field path."""

    field: str
    reason: str

    def __str__(self) -> str:
        return f"{self.field}: {self.reason}" if self.field else self.reason


class InvalidEvent(EventStoreError):
    """The input does not describe a valid fact; `problems` says where and why."""

    def __init__(self, problems: list[FieldProblem]) -> None:
        self.problems = problems
        super().__init__("; ".join(str(p) for p in problems))

    @classmethod
    def single(cls, field: str, reason: str) -> InvalidEvent:
        return cls([FieldProblem(field, reason)])


class VersionConflict(EventStoreError):
    """The stream is not at the version the writer expected."""

    def __init__(self, stream: str, expected: int | str, actual: int | None) -> None:
        self.stream = stream
        self.expected = expected
        self.actual = actual
        shown = "no stream" if actual is None else f"version {actual}"
        super().__init__(f"stream {stream!r} is at {shown}, expected {expected}")


class DuplicateEvent(EventStoreError):
    """An event id is already stored with other content, or a batch mixes stored and new ids."""

    def __init__(self, event_id: str, reason: str) -> None:
        self.event_id = event_id
        super().__init__(f"event {event_id}: {reason}")
