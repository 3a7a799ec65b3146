"""Schema level of a database, and upgrading it with Alembic.

Reading the level costs one query and no Alembic import, so every command can check it. The
revisions are the `NNNN_*.py` files in `migrations/versions`; a test keeps them in step with
Alembic's own view of the history.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection, inspect, text

from sector_cli.errors import SchemaTooNewError

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
VERSION_TABLE = "alembic_version"


def known_revisions() -> list[str]:
    """Revision ids in order, from the migration file names (`0001_projects.py` is `0001`)."""
    names = (path.name for path in (MIGRATIONS_DIR / "versions").glob("[0-9]*_*.py"))
    return sorted(name.split("_", 1)[0] for name in names)


@dataclass(frozen=True)
class SchemaLevel:
    current: str | None
    head: str
    pending: tuple[str, ...]

    @property
    def up_to_date(self) -> bool:
        return not self.pending


def schema_level(connection: Connection) -> SchemaLevel:
    """Where the database stands; a revision this Sector does not know means a newer Sector."""
    revisions = known_revisions()
    current = None
    if inspect(connection).has_table(VERSION_TABLE):
        current = connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalar()
    if current is not None and current not in revisions:
        raise SchemaTooNewError(
            f"the database is at schema {current}, newer than this Sector knows "
            f"(latest {revisions[-1]})",
            "Upgrade Sector (`pip install -U sector`) or point database.url at another database",
        )
    done = revisions.index(current) + 1 if current else 0
    return SchemaLevel(current, revisions[-1], tuple(revisions[done:]))


def upgrade(connection: Connection, target: str = "head") -> None:
    """Apply pending migrations on this connection (imports Alembic, so only when needed)."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    command.upgrade(config, target)
