"""The tree of calls in an execution trace, folded to a size that can be read, drawn in the
terminal, as SVG and as an HTML page that replays the calls."""

from __future__ import annotations

from sector_cli.viz.calltree.model import (
    Call,
    CallNode,
    CallTree,
    CallView,
    build_calltree,
    fold,
    to_json,
)
from sector_cli.viz.calltree.render import terminal, write_drawing

__all__ = [
    "Call",
    "CallNode",
    "CallTree",
    "CallView",
    "build_calltree",
    "fold",
    "terminal",
    "to_json",
    "write_drawing",
]
