"""Alembic versions of the service's own tables, applied with the log's migrations."""

from pathlib import Path

VERSIONS = Path(__file__).resolve().parent / "versions"
