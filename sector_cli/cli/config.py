"""`sector config show|get|set|unset|path`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from sector_cli.cli.options import Json
from sector_cli.cli.output import Output
from sector_cli.config import env
from sector_cli.errors import ConfigError

if TYPE_CHECKING:
    from sector_cli.config.settings import Settings

app = typer.Typer(
    help="Read and write settings (flags > SECTOR_* env > project file > user file > defaults).",
    epilog=env.help_text(),
    no_args_is_help=True,
)


def _complete_key(incomplete: str) -> list[str]:
    """Setting names for shell completion (the key table only: no settings are loaded)."""
    from sector_cli.config.settings import known_keys

    return [name for name in known_keys().names() if name.startswith(incomplete)]


Key = Annotated[
    str,
    typer.Argument(help="Setting name, such as database.url.", autocompletion=_complete_key),
]
UserScope = Annotated[bool, typer.Option("--user", help="Write the user's config file.")]
ProjectScope = Annotated[
    bool, typer.Option("--project", help="Write the project's config file (default inside one).")
]


def _settings() -> Settings:
    from sector_cli.config.settings import load_settings

    return load_settings()


def _scope(user: bool, project: bool) -> str | None:
    if user and project:
        from sector_cli.errors import UsageError

        raise UsageError("--user and --project cannot be used together", "Choose one")
    return "user" if user else "project" if project else None


def _entry(settings: Settings, name: str) -> dict[str, Any]:
    key = settings.keys.lookup(name)
    return {
        "key": name,
        "value": settings.get(name),
        "source": settings.layer_of(name).label,
        "env": key.env,
        "default": key.default,
        "help": key.help,
    }


@app.command("show")
def show(as_json: Json = False) -> None:
    """Every setting with its value and where the value comes from."""
    out = Output(as_json)
    settings = _settings()
    out.table(
        [_entry(settings, name) for name in settings.keys.names()],
        [("key", "Key"), ("value", "Value"), ("source", "From"), ("env", "Environment")],
        empty="",
    )


@app.command("get")
def get(key: Key, as_json: Json = False) -> None:
    """Print one setting's value (empty when unset)."""
    out = Output(as_json)
    settings = _settings()
    entry = _entry(settings, key)
    if as_json:
        out.json(entry)
        return
    value = entry["value"]
    print(",".join(value) if isinstance(value, list) else "" if value is None else value)


@app.command("set")
def set_(
    key: Key,
    value: Annotated[str, typer.Argument(help="New value.")],
    user: UserScope = False,
    project: ProjectScope = False,
    as_json: Json = False,
) -> None:
    """Set a setting in the project's config (inside a project) or the user's."""
    from sector_cli.config.settings import change_setting

    out = Output(as_json)
    written, stored = change_setting(key, value, _scope(user, project))
    out.done(
        f"{key} = {stored} (in {written.label})",
        {"key": key, "value": stored, "file": written.label},
    )


@app.command("unset")
def unset(
    key: Key, user: UserScope = False, project: ProjectScope = False, as_json: Json = False
) -> None:
    """Remove a setting from a config file, so the next layer's value applies."""
    from sector_cli.config.settings import change_setting

    out = Output(as_json)
    written, _ = change_setting(key, None, _scope(user, project))
    out.done(f"{key} removed from {written.label}", {"key": key, "file": written.label})


@app.command("path")
def path(as_json: Json = False) -> None:
    """Where Sector reads config and keeps its data."""
    from sector_cli.config import paths
    from sector_cli.store.engine import parse_url

    out = Output(as_json)
    try:
        settings = _settings()
    except ConfigError as error:  # the paths are what a user needs to fix a broken file
        from sector_cli.cli.output import warn
        from sector_cli.config.settings import fallback_settings

        warn(error.one_line())
        settings = fallback_settings()
    folder = settings.project_folder
    out.record(
        {
            "user_config": str(paths.user_config_file()),
            "project_config": folder.config.label if folder else None,
            "data_dir": str(paths.data_dir()),
            "cache_dir": str(paths.cache_dir()),
            "database": parse_url(settings.database_url()).render_as_string(hide_password=True),
        }
    )
