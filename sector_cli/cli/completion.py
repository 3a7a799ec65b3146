"""Shell completion of run and conversation numbers, read straight from the store.

A TAB press must answer at once and never print into the shell: only settings and the SQL
store are loaded (no service, no plugin), nothing is written or migrated, and any failure
(no database yet, a broken file, an unreachable server) offers nothing.
"""

from __future__ import annotations

from pathlib import Path

RECENT = 20  # how many numbers a TAB offers, newest first


def complete_run_id(incomplete: str) -> list[tuple[str, str]]:
    """Recent run numbers with their verdict and source (shown where the shell can)."""
    return _offered("runs", incomplete)


def complete_conversation_id(incomplete: str) -> list[tuple[str, str]]:
    """Recent conversation numbers with their titles."""
    return _offered("conversations", incomplete)


def _offered(table: str, incomplete: str) -> list[tuple[str, str]]:
    if incomplete and not incomplete.isdigit():
        return []
    try:
        return _recent(table, incomplete)
    except Exception:  # completion runs inside the shell: a failure offers nothing, silently
        return []


def _recent(table: str, incomplete: str) -> list[tuple[str, str]]:
    from sqlalchemy import String, cast
    from sqlmodel import col, select

    from sector_cli.config.settings import load_settings
    from sector_cli.store.engine import Store, parse_url
    from sector_cli.store.models import Conversation, Run

    url = parse_url(load_settings().database_url())
    if url.get_backend_name() == "sqlite" and not Path(url.database or "").expanduser().is_file():
        return []  # no database yet: do not create one on a TAB press
    store = Store(url.render_as_string(hide_password=False), auto_upgrade=False)
    try:
        with store.session() as session:
            if table == "runs":
                runs = select(Run).order_by(col(Run.id).desc()).limit(RECENT)
                runs = runs.where(cast(Run.id, String).startswith(incomplete))
                return [
                    (str(r.id), f"{r.verdict or 'running'} {r.source}") for r in session.exec(runs)
                ]
            talks = select(Conversation).order_by(col(Conversation.updated_at).desc()).limit(RECENT)
            talks = talks.where(cast(Conversation.id, String).startswith(incomplete))
            return [(str(c.id), c.title) for c in session.exec(talks)]
    finally:
        store.close()
