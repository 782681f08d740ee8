"""The log: the event envelope, the catalogue, EDTF dates, the store and the hash chain.

Imports nothing else of accord's; everything else is a fold over this.
"""

from events.catalogue import CATALOGUE
from events.envelope import AppendResult, EventEnvelope, ExpectedVersion, Head
from events.errors import DuplicateEvent, EventStoreError, FieldProblem, InvalidEvent, VersionConflict
from events.prepare import PreparedEvent, PreparedRequest, prepare_envelope, prepare_event, prepare_request

__all__ = [
    "CATALOGUE",
    "AppendResult",
    "DuplicateEvent",
    "EventEnvelope",
    "EventStoreError",
    "ExpectedVersion",
    "FieldProblem",
    "Head",
    "InvalidEvent",
    "PreparedEvent",
    "PreparedRequest",
    "VersionConflict",
    "prepare_envelope",
    "prepare_event",
    "prepare_request",
]
