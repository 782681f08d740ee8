"""Bring a database to the newest schema with Alembic, once, even with several processes starting."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from events.store.dialects import lock_migrations, write_transaction

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(extra_version_locations: Sequence[Path | str] = ()) -> Config:
    """Alembic's configuration: the log's migrations plus those of packages built on it."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("path_separator", "os")
    locations = [MIGRATIONS / "versions", *map(Path, extra_version_locations)]
    config.set_main_option("version_locations", os.pathsep.join(str(p) for p in locations))
    return config


def upgrade(engine: Engine, extra_version_locations: Sequence[Path | str] = ()) -> bool:
    """Apply every pending migration; return whether anything was applied."""
    config = alembic_config(extra_version_locations)
    wanted = set(ScriptDirectory.from_config(config).get_heads())
    # A database migrated by a package built on the log also holds that
    # package's revisions; the log's own being there is what counts here.
    with engine.connect() as connection:
        if wanted <= set(MigrationContext.configure(connection).get_current_heads()):
            return False
    with write_transaction(engine) as connection:
        lock_migrations(connection)
        if wanted <= set(MigrationContext.configure(connection).get_current_heads()):
            return False
        config.attributes["connection"] = connection
        command.upgrade(config, "heads")
    return True
