"""Execution traces: a Python program run under Sector's tracer in the sandbox, its trace
kept with the run, read back step by step (stack frames, heap, output) or as Python Tutor's
JSON, and drawn in the terminal or as SVG. The other trace-based families (calltree,
structures) read the Python Tutor form this package produces."""

from __future__ import annotations

from sector_cli.viz.trace.checks import check_out, check_program_var, check_var
from sector_cli.viz.trace.job import ProgramSyntaxError, is_traced, max_steps, traced_job
from sector_cli.viz.trace.live import program_events
from sector_cli.viz.trace.load import TraceOptions, open_trace, trace_options, tutor_trace
from sector_cli.viz.trace.model import Frame, State, Step, Trace
from sector_cli.viz.trace.tutor_format import (
    VALUE_NAMES,
    Encoded,
    Heap,
    current_frame,
    heap_entry,
    instance_parts,
    is_primitive,
    is_ref,
    key_of,
    live_frames,
    ref_id,
    run_of,
    sequence_items,
    stop_message,
    value_text,
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
    "VALUE_NAMES",
    "Encoded",
    "Frame",
    "Heap",
    "Navigator",
    "ProgramSyntaxError",
    "State",
    "Step",
    "StepView",
    "Trace",
    "TraceOptions",
    "build_view",
    "check_out",
    "check_program_var",
    "check_var",
    "current_frame",
    "heap_entry",
    "instance_parts",
    "is_primitive",
    "is_ref",
    "is_traced",
    "key_of",
    "live_frames",
    "max_steps",
    "open_trace",
    "program_events",
    "ref_id",
    "render_counts",
    "render_svg",
    "render_terminal",
    "run_of",
    "sequence_items",
    "stop_message",
    "trace_options",
    "traced_job",
    "tutor_trace",
    "value_text",
]
