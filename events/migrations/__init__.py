"""Alembic migrations of the database accord keeps (the log's schema and, through
extra version folders, the tables of the packages above it)."""
