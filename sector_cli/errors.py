"""The error tree every front end catches at its edge.

A `SectorError` carries a one-line message and a hint naming the next step. Its exit code is
fixed by its class: 1 for a failure of the machine or a service, 2 for bad input or usage.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2


class SectorError(Exception):
    """Something went wrong that the user can act on."""

    exit_code = EXIT_FAILURE

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def one_line(self) -> str:
        """The message and its hint, on one line, as printed on stderr."""
        text = self.message.rstrip(".")
        return f"{text}. {self.hint}" if self.hint else text


class UsageError(SectorError):
    """The user asked for something that cannot be done as asked (bad input)."""

    exit_code = EXIT_USAGE


class NotFoundError(UsageError):
    """A named project, file or key does not exist."""


class AlreadyExistsError(UsageError):
    """Creating something whose name is taken."""


class ConfigError(UsageError):
    """A config file or value is invalid, or a key is unknown."""


class StoreError(SectorError):
    """The database cannot be reached or used."""


class SchemaTooNewError(StoreError):
    """The database was migrated by a newer Sector than this one."""


class PluginError(SectorError):
    """A plugin is missing or broken."""
