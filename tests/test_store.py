"""The SQL store on SQLite and PostgreSQL: migrations, schema levels, unreachable databases."""

from __future__ import annotations

import json

import pytest
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlmodel import SQLModel, select

from sector_cli.errors import ConfigError, SchemaTooNewError
from sector_cli.store import migrate
from sector_cli.store.engine import Store
from sector_cli.store.models import Project


def test_revision_files_match_alembic_history() -> None:
    config = Config()
    config.set_main_option("script_location", str(migrate.MIGRATIONS_DIR))
    script = ScriptDirectory.from_config(config)
    history = [revision.revision for revision in reversed(list(script.walk_revisions()))]
    assert history == migrate.known_revisions()
    assert script.get_heads() == [migrate.known_revisions()[-1]]


def test_first_use_migrates_and_models_match_migrations(database_url: str) -> None:
    store = Store(database_url)
    assert store.level().current is None
    with store.session() as session:
        session.add(Project(name="p", root="/tmp/p"))
    level = store.level()
    assert level.up_to_date and level.current == level.head
    with store.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, SQLModel.metadata) == []
    store.close()


def test_database_from_a_newer_sector_is_refused_and_untouched(database_url: str) -> None:
    store = Store(database_url)
    store.upgrade()
    with store.session() as session:
        session.add(Project(name="kept", root="/tmp/kept"))
    with store.engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    fresh = Store(database_url)
    with pytest.raises(SchemaTooNewError, match="9999"):
        fresh.ensure_schema()
    with fresh.engine.connect() as connection:
        assert connection.execute(text("SELECT name FROM projects")).scalars().all() == ["kept"]
    store.close()
    fresh.close()


def test_newer_database_gives_exit_1_and_names_the_fix(database_url: str, sector) -> None:
    Store(database_url).upgrade()
    store = Store(database_url)
    with store.engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    result = sector("project", "ls")
    assert result.exit_code == 1
    assert "pip install -U sector" in result.stderr
    store.close()


def test_unreachable_database_is_a_one_line_error(sector, monkeypatch) -> None:
    monkeypatch.setenv("SECTOR_DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none")
    result = sector("project", "ls")
    assert result.exit_code == 1
    assert result.stderr.startswith("error: cannot use the database at postgresql")
    assert "sector doctor" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_invalid_database_url_is_a_usage_error(sector, monkeypatch) -> None:
    monkeypatch.setenv("SECTOR_DATABASE_URL", "mysql://x@y/z")
    result = sector("project", "ls")
    assert result.exit_code == 2
    assert "postgresql://" in result.stderr
    with pytest.raises(ConfigError):
        Store("::not a url::")


def test_password_never_shown(monkeypatch, sector) -> None:
    monkeypatch.setenv("SECTOR_DATABASE_URL", "postgresql://me:s3cret@127.0.0.1:1/none")
    assert "s3cret" not in sector("project", "ls").stderr
    assert "s3cret" not in sector("config", "path").stdout


def test_db_status_and_upgrade_commands(database_url: str, sector) -> None:
    status = json.loads(sector("db", "status", "--json").stdout)
    assert status["current"] is None and status["pending"] == migrate.known_revisions()
    upgraded = sector("db", "upgrade", "--json")
    assert upgraded.exit_code == 0, upgraded.output
    assert json.loads(upgraded.stdout)["current"] == migrate.known_revisions()[-1]
    again = json.loads(sector("db", "status", "--json").stdout)
    assert again["pending"] == []


def test_sqlite_is_shared_safely(sector_home) -> None:
    store = Store(f"sqlite:///{sector_home}/data/shared.db")
    with store.engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA busy_timeout")).scalar() >= 1000
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
    store.close()


def test_deleting_a_project_cascades_to_its_files(database_url: str) -> None:
    from datetime import UTC, datetime

    from sector_cli.store.models import SourceFile

    store = Store(database_url)
    with store.session() as session:
        project = Project(name="p", root="/tmp/p")
        session.add(project)
        session.flush()
        session.add(
            SourceFile(
                project_id=project.id or 0,
                path="a.py",
                language="python",
                sha256="0" * 64,
                size=1,
                mtime=datetime.now(UTC),
            )
        )
    with store.session() as session:
        session.delete(session.exec(select(Project)).one())
    with store.engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM source_files")).scalar() == 0
    store.close()
