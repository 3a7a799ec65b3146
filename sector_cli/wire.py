"""The wire form of typed events: the plain JSON dicts every front end sends (the CLI's
NDJSON, the server's SSE, history). An event says its own wire form, so that no front end
names events or picks their fields itself."""

from __future__ import annotations

import base64
import dataclasses
from collections.abc import Mapping
from datetime import datetime
from enum import Enum
from pathlib import Path
from typing import Any, ClassVar

from sector_cli.timeutil import as_utc


def jsonable(value: Any) -> Any:
    """Plain JSON types for dataclasses, SQLModel rows, paths, enums and datetimes."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if hasattr(value, "model_dump"):
        return jsonable(value.model_dump())
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    if isinstance(value, datetime):
        return as_utc(value).isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Path):
        return str(value)
    return value


def bytes_wire(data: bytes, key: str = "data") -> dict[str, str]:
    """Program output for JSON: text, plus the exact bytes when they are not UTF-8."""
    text = data.decode("utf-8", errors="replace")
    exact = {} if text.encode() == data else {f"{key}_base64": base64.b64encode(data).decode()}
    return {key: text, **exact}


class WireEvent:
    """An event of a typed stream (a dataclass): `{"event": wire_name, **its fields}` on the
    wire; an event whose wire form differs overrides `to_wire`."""

    wire_name: ClassVar[str]

    def to_wire(self) -> dict[str, Any]:
        fields = jsonable(self)
        assert isinstance(fields, dict), "a WireEvent is a dataclass"
        return {"event": self.wire_name, **fields}
