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


def config_dir() -> Path:
    """Folder of the user's config file."""
    home = _home()
    if home:
        return home / "config"
    import platformdirs  # deferred: costs start-up time and only some commands need it

    return Path(platformdirs.user_config_dir(APP_NAME))


def data_dir() -> Path:
    """Folder of the database, indexes and run artefacts."""
    home = _home()
    if home:
        return home / "data"
    import platformdirs

    return Path(platformdirs.user_data_dir(APP_NAME))


def cache_dir() -> Path:
    """Folder of disposable caches."""
    home = _home()
    if home:
        return home / "cache"
    import platformdirs

    return Path(platformdirs.user_cache_dir(APP_NAME))


def user_config_file() -> Path:
    return config_dir() / USER_CONFIG_NAME


def default_database_path() -> Path:
    return data_dir() / DATABASE_FILE_NAME


def default_database_url() -> str:
    return f"sqlite:///{default_database_path()}"
