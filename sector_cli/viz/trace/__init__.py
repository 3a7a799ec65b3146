"""Execution traces: a Python program run under Sector's tracer in the sandbox, its trace
kept with the run, read back step by step (stack frames, heap, output) or as Python Tutor's
JSON, and drawn in the terminal or as SVG. The other trace-based families (calltree,
structures) read the Python Tutor form this package produces."""

from __future__ import annotations

from sector_cli.viz.trace.checks import check_out, check_var
from sector_cli.viz.trace.model import (
    Frame,
    ProgramSyntaxError,
    State,
    Step,
    Trace,
    TraceOptions,
    is_traced,
    open_trace,
    program_events,
    program_output,
    start_traced,
    traced_job,
    tutor_trace,
)
from sector_cli.viz.trace.view import (
    KEYS,
    Navigator,
    StepView,
    build_view,
    render_counts,
    render_svg,
    render_terminal,
)

__all__ = [
    "KEYS",
    "Frame",
    "Navigator",
    "ProgramSyntaxError",
    "State",
    "Step",
    "StepView",
    "Trace",
    "TraceOptions",
    "build_view",
    "check_out",
    "check_var",
    "is_traced",
    "open_trace",
    "program_events",
    "program_output",
    "render_counts",
    "render_svg",
    "render_terminal",
    "start_traced",
    "traced_job",
    "tutor_trace",
]
