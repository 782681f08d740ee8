"""Read models folded from the log: agreements (bitemporal), timelines and entities.

Imports `events` only. The folds and their runner arrive with the projections work;
until then nothing here is imported by the service.
"""
