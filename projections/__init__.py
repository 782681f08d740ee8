"""Folds of the log into read models: agreements, timelines and entities, in both times.

Imports `events` only. `FactsProjection` keeps every fact as bitemporal
revisions; `agreements`, `timeline` and `entities` answer from them as of any
`valid_at` and `known_at`; `Runner` keeps projections level with the log.
"""

from projections.facts import FactsProjection
from projections.runner import Checkpoint, Projection, Runner, SqlProjection
from projections.times import AsOf, BadTime

__all__ = ["AsOf", "BadTime", "Checkpoint", "FactsProjection", "Projection", "Runner", "SqlProjection"]
