"""The Whoosh full-text index over quotes and sources, kept as one more projection.

Imports `events` and `projections` only. The index arrives with the search work.
"""
