"""The Store: one database engine, its schema brought up to date on first use."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Engine, create_engine, event, exc
from sqlalchemy.engine import URL, make_url
from sqlmodel import Session

from sector_cli.errors import ConfigError, StoreError
from sector_cli.store import migrate

T = TypeVar("T")
SQLITE_BUSY_TIMEOUT_MS = 10_000
POSTGRES_CONNECT_TIMEOUT_S = 5
DATABASE_HINT = "Check database.url (`sector config get database.url`) or run `sector doctor`"


def parse_url(raw: str) -> URL:
    """A SQLAlchemy URL; plain `postgresql://` URLs use the psycopg 3 driver."""
    try:
        url = make_url(raw)
    except exc.ArgumentError:
        raise ConfigError(
            f"database URL {raw!r} is not valid",
            "Use sqlite:///PATH or postgresql://USER@HOST:PORT/DATABASE",
        ) from None
    if url.drivername in {"postgresql", "postgres"}:
        url = url.set(drivername="postgresql+psycopg")
    if url.get_backend_name() not in {"sqlite", "postgresql"}:
        raise ConfigError(
            f"database {url.get_backend_name()!r} is not supported",
            "Use SQLite (sqlite:///PATH) or PostgreSQL (postgresql://...)",
        )
    return url


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL and a busy timeout let the CLI, TUI and language server share one file.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _create_engine(url: URL) -> Engine:
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            Path(url.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(
        url, connect_args={"connect_timeout": POSTGRES_CONNECT_TIMEOUT_S}, pool_pre_ping=True
    )


class Store:
    """Access to Sector's SQL database. Migrations run the first time it is used."""

    def __init__(self, raw_url: str, *, auto_upgrade: bool = True) -> None:
        self.url = parse_url(raw_url)
        self.engine = _create_engine(self.url)
        self._auto_upgrade = auto_upgrade
        self._ready = False

    @property
    def display_url(self) -> str:
        return self.url.render_as_string(hide_password=True)

    @contextmanager
    def _errors(self) -> Iterator[None]:
        try:
            yield
        except exc.DBAPIError as error:  # unreachable, not a database, a constraint, ...
            reason = str(error.orig).strip().splitlines()[0] if error.orig else str(error)
            raise StoreError(
                f"cannot use the database at {self.display_url}: {reason}", DATABASE_HINT
            ) from error

    def level(self) -> migrate.SchemaLevel:
        with self._errors(), self.engine.connect() as connection:
            return migrate.schema_level(connection)

    def upgrade(self) -> migrate.SchemaLevel:
        """Apply every pending migration; returns the level reached."""
        with self._errors(), self.engine.begin() as connection:
            if not migrate.schema_level(connection).up_to_date:
                migrate.upgrade(connection)
            level = migrate.schema_level(connection)
        self._ready = True
        return level

    def ensure_schema(self) -> None:
        if self._ready:
            return
        level = self.level()
        if not level.up_to_date:
            if not self._auto_upgrade:
                raise StoreError(
                    f"the database schema is at {level.current or 'nothing'}, "
                    f"Sector needs {level.head}",
                    "Run `sector db upgrade`",
                )
            self.upgrade()
        self._ready = True

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session whose work is committed when the block ends without error."""
        self.ensure_schema()
        with self._errors(), Session(self.engine, expire_on_commit=False) as session:
            yield session
            session.commit()

    def transaction(self, work: Callable[[Session], T], attempts: int = 3) -> T:
        """Run `work` in one committed session, again when a concurrent writer got there first
        (a unique constraint), so that the CLI, TUI and language server can write at once."""
        attempt = 1
        while True:
            try:
                with self.session() as session:
                    return work(session)
            except StoreError as error:
                if attempt >= attempts or not isinstance(error.__cause__, exc.IntegrityError):
                    raise
                attempt += 1

    def close(self) -> None:
        self.engine.dispose()
