"""Every path Sector writes goes through this module, so `SECTOR_HOME` relocates all of them."""

from __future__ import annotations

import os
from pathlib import Path

from sector_cli.config import env

APP_NAME = "sector"
PROJECT_DIR_NAME = ".sector"
PROJECT_CONFIG_NAME = "config.toml"
USER_CONFIG_NAME = "config.toml"
DATABASE_FILE_NAME = "sector.db"


def _home() -> Path | None:
    value = os.environ.get(env.SECTOR_HOME)
    return Path(value).expanduser().resolve() if value else None


def _folder(kind: str) -> Path:
    """`SECTOR_HOME/<kind>`, else the platform's user folder of that kind (platformdirs)."""
    home = _home()
    if home:
        return home / kind
    import platformdirs  # deferred: costs start-up time and only some commands need it

    return Path(getattr(platformdirs, f"user_{kind}_dir")(APP_NAME))


def config_dir() -> Path:
    """Folder of the user's config file."""
    return _folder("config")


def data_dir() -> Path:
    """Folder of the database, indexes and run artefacts."""
    return _folder("data")


def cache_dir() -> Path:
    """Folder of disposable caches."""
    return _folder("cache")


def user_config_file() -> Path:
    return config_dir() / USER_CONFIG_NAME


def default_database_path() -> Path:
    return data_dir() / DATABASE_FILE_NAME


def default_database_url() -> str:
    return f"sqlite:///{default_database_path()}"
