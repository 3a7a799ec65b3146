"""`sector viz trace FILE|RUN`: step through a Python program's execution: the current line,
the frames and their variables, the heap with its references, and the output so far."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from sector_cli.cli.options import Json, Out
from sector_cli.cli.viz_program import (
    Memory,
    Runner,
    Stdin,
    Timeout,
    open_program,
    trace_options,
)

if TYPE_CHECKING:
    from sector_cli.viz.trace import Navigator, Trace

MAX_FRAMES = 300  # frames written by --out without --step


def trace(
    target: Annotated[
        str,
        typer.Argument(help="A Python file to trace now, or a run number.", show_default=False),
    ],
    step: Annotated[
        int | None,
        typer.Option("--step", "-s", min=1, help="Show step N (1 is the first) and exit."),
    ] = None,
    runner: Runner = None,
    timeout: Timeout = None,
    memory: Memory = None,
    stdin: Stdin = None,
    as_json: Json = False,
    out: Out = None,
) -> None:
    """Step through an execution trace: like Python Tutor, with no step limit.

    A FILE is run now in the sandbox under the tracer (and kept as a run); a RUN number reads
    the trace of `sector run FILE --trace`. In a terminal: n next, p previous, j N step N,
    l N run to line N, e run on (to a breakpoint or the end), b N breakpoint, q quit.
    --step N prints one step; --json prints the trace in Python Tutor's format.
    """
    from sector_cli.cli.output import Output

    Output(as_json)
    from sector_cli.viz.trace import ProgramSyntaxError

    try:
        found = open_program(target, trace_options(runner, timeout, memory, stdin))
    except ProgramSyntaxError as error:
        if as_json:  # Python Tutor's one-step trace, that its front end draws; still exit 2
            import json

            sys.stdout.write(json.dumps(error.tutor) + "\n")
        raise
    if step is not None and step > len(found):
        from sector_cli.errors import UsageError

        raise UsageError(f"no step {step}: the trace has {len(found)}", "Pick a smaller --step")
    if out is not None:
        _write(found, out, step)
    if as_json:
        import json

        sys.stdout.write(json.dumps(found.to_tutor()) + "\n")
        return
    if step is None and out is None and sys.stdin.isatty() and sys.stdout.isatty():
        _interactive(found)
        return
    if step is not None or out is None:
        _print(found, (step or len(found)) - 1)


def _print(found: Trace, index: int) -> None:
    from sector_cli.cli.output import console
    from sector_cli.viz.trace import build_view, render_counts, render_terminal

    if not len(found):
        console(stderr=True).print(found.stop_message() or "the trace has no steps")
        return
    console().print(render_terminal(build_view(found, index)))
    if found.stopped == "steps" and index == len(found) - 1:
        console().print(render_counts(found))


def _write(found: Trace, out: Path, step: int | None) -> None:
    from sector_cli.cli.output import console
    from sector_cli.viz.drawing import write_output
    from sector_cli.viz.trace import build_view, render_svg

    indexes = [step - 1] if step is not None else list(range(min(len(found), MAX_FRAMES)))
    views = [build_view(found, index) for index in indexes]
    title = f"Trace of {found.label}"
    write_output(out, title, [render_svg(view, title) for view in views],
                 [view.caption() for view in views])  # fmt: skip
    more = (
        f" (the first {MAX_FRAMES} of {len(found)} steps)" if len(found) > len(indexes) > 1 else ""
    )
    console(stderr=True).print(f"wrote {out}{more}", markup=False)


def _interactive(found: Trace) -> None:
    from sector_cli.cli.output import console
    from sector_cli.viz.trace import KEYS, Navigator, render_terminal

    navigator = Navigator(found)
    screen = console()
    message = ""
    while not navigator.done:
        screen.clear()
        # Two rows below the step: the status line, and the one a j/l/b number is typed on.
        step = render_terminal(navigator.view(), navigator.breakpoints, screen.height - 2)
        screen.print(step)
        status = message or (Navigator.HELP if len(Navigator.HELP) < screen.width else KEYS)
        screen.print(status, style="dim", markup=False, no_wrap=True, overflow="ellipsis")
        message = navigator.command(_read_command(navigator))


def _read_command(navigator: Navigator) -> str:
    """One command from the keyboard, in raw mode: a key, and a number for j, l and b."""
    import termios
    import tty

    fd = sys.stdin.fileno()
    saved = termios.tcgetattr(fd)
    try:
        tty.setraw(fd, termios.TCSANOW)  # keys typed ahead count too
        key = sys.stdin.read(1)
        if key in ("\x03", "\x04"):  # Ctrl-C, Ctrl-D
            return "q"
        if key not in ("j", "l", "b"):
            return {"\r": "n", " ": "n", "k": "p"}.get(key, key)
        prompt = {"j": "step", "l": "run to line", "b": "breakpoint on line"}[key]
        sys.stdout.write(f"\r{prompt}: ")
        sys.stdout.flush()
        digits = ""
        while (char := sys.stdin.read(1)) not in ("\r", "\n", "\x03", "\x1b"):
            if char.isdigit():
                digits += char
                sys.stdout.write(char)
            elif char == "\x7f" and digits:
                digits = digits[:-1]
                sys.stdout.write("\b \b")
            sys.stdout.flush()
        return f"{key} {digits}" if char in ("\r", "\n") else ""
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)
