"""Recorded runs on the wire: a run's row, its full record, and its logged events, as every
front end lists, shows and exports them (`sector runs ls|show|log --json`)."""

from __future__ import annotations

import json
from typing import Any

from sector_cli.plugins.runner import RunJob
from sector_cli.store.models import Run, RunEventRow
from sector_cli.wire import bytes_wire

# Event kinds the journal keeps as the event's JSON; the others are a stream's bytes.
JSON_KINDS = frozenset({"started", "finished"})


def run_wire(run: Run) -> dict[str, Any]:
    """A run as a row: a run without a verdict yet is "running"."""
    return {
        "id": run.id,
        "source": run.source,
        "language": run.language,
        "runner": run.runner,
        "verdict": run.verdict or "running",
        "detail": run.detail,
        "exit_code": run.exit_code,
        "wall": round(run.wall, 3) if run.wall is not None else None,
        "cpu": round(run.cpu, 3) if run.cpu is not None else None,
        "peak_memory": run.peak_memory,
        "replay_of": run.replay_of,
        "created_at": run.created_at,
    }


def run_details_wire(run: Run, job: RunJob, stdout: bytes, stderr: bytes) -> dict[str, Any]:
    """A run with its job (code, files, input, limits) and its output."""
    program = next(iter(job.files), None)
    return run_wire(run) | {
        "command": job.run,
        "compile": job.compile,
        "limits": job.limits,
        "stdin": job.stdin.decode("utf-8", errors="replace"),
        "program": program or None,
        "code": job.files[program].decode("utf-8", errors="replace") if program else "",
        "files": [{"path": name, "size": len(data)} for name, data in job.files.items()],
        **bytes_wire(stdout, "stdout"),
        **bytes_wire(stderr, "stderr"),
    }


def logged_wire(row: RunEventRow) -> dict[str, Any]:
    """One logged event: started and finished carry their event's fields, the others bytes."""
    if row.kind in JSON_KINDS:
        event: dict[str, Any] = {"data": json.loads(row.data.decode("utf-8", errors="replace"))}
    else:
        event = bytes_wire(row.data)
    return {"seq": row.seq, "t": row.t, "kind": row.kind, **event}
