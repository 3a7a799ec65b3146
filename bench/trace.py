"""Speed and size of execution traces, against the targets, measured in one run.

For bubble sort of 200 items, recursive Fibonacci and breadth-first search on a grid: the
tracer script run directly by the host's Python (as the sandbox runs it) against the same
program untraced. Prints steps per second, bytes per step and the slowdown, then traces a
program of about a million steps and checks that its trace decodes whole. Then the same
bubble sort through the local sandbox (bubblewrap), traced and untraced, when it can run.
Targets (issue 6): at least 100,000 steps/s with full capture (frames, locals and heap
deltas), at most 200 bytes per step.

A traced time is the best of N runs less the tracer's time on an empty program (the
interpreter's start and the tracer's), so that short programs are not charged for it; an
untraced time is measured inside the interpreter (the best of N), start excluded.

    .venv/bin/python bench/trace.py [--runs N] [--python /usr/bin/python3]
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import tempfile
import time
from pathlib import Path

from sector_cli.plugins.runner import Limits, Output, RunFinished, RunJob
from sector_cli.viz.trace import Trace, traced_job, tracer_script

TARGET_STEPS_PER_S = 100_000
TARGET_BYTES_PER_STEP = 200
MILLION = 1_000_000

PROGRAMS = {
    "bubble sort, 200 items": """\
import random
random.seed(1)
data = [random.randint(0, 999) for _ in range(200)]

def bubble_sort(items):
    n = len(items)
    for i in range(n):
        swapped = False
        for j in range(n - 1 - i):
            if items[j] > items[j + 1]:
                items[j], items[j + 1] = items[j + 1], items[j]
                swapped = True
        if not swapped:
            break
    return items

print(bubble_sort(data)[:5])
""",
    "recursive fibonacci(20)": """\
def fib(n):
    if n < 2:
        return n
    return fib(n - 1) + fib(n - 2)

print(fib(20))
""",
    "BFS on a 30x30 grid": """\
from collections import deque

ROWS, COLS = 30, 30
grid = [[0] * COLS for _ in range(ROWS)]
for r in range(3, 27):
    grid[r][15] = 1

def bfs(grid, start, goal):
    queue = deque([start])
    dist = {start: 0}
    while queue:
        r, c = queue.popleft()
        if (r, c) == goal:
            return dist[(r, c)]
        for dr, dc in ((1, 0), (-1, 0), (0, 1), (0, -1)):
            nr, nc = r + dr, c + dc
            if 0 <= nr < ROWS and 0 <= nc < COLS and grid[nr][nc] == 0 and (nr, nc) not in dist:
                dist[(nr, nc)] = dist[(r, c)] + 1
                queue.append((nr, nc))
    return -1

print(bfs(grid, (0, 0), (ROWS - 1, COLS - 1)))
""",
}
# 2 steps an iteration: a program of just under a million steps, within the default budget
MILLION_STEPS = """\
total = 0
for i in range(499_990):
    total += i
print(total)
"""


def best(runs: int, command: list[str]) -> tuple[float, bytes]:
    """The fastest of `runs` runs of a command, and its stdout."""
    fastest, output = float("inf"), b""
    for _ in range(runs):
        start = time.perf_counter()
        done = subprocess.run(command, capture_output=True, check=True)
        elapsed = time.perf_counter() - start
        if elapsed < fastest:
            fastest, output = elapsed, done.stdout
    return fastest, output


def steps_of(trace: bytes) -> int:
    last = trace.rstrip(b"\n").rsplit(b"\n", 1)[-1]
    assert last.startswith(b'["X",'), f"the trace did not end: {last[:80]!r}"
    return int(last.split(b",")[2].rstrip(b"]"))


UNTRACED = """\
import io, sys, time
code = compile(open(sys.argv[1]).read(), sys.argv[1], "exec")
best = float("inf")
for _ in range(int(sys.argv[2])):
    sys.stdout = io.StringIO()
    start = time.perf_counter()
    exec(code, {"__name__": "__main__"})
    best = min(best, time.perf_counter() - start)
sys.stdout = sys.__stdout__
print(best)
"""


def measure(python: str, runs: int, folder: Path, name: str, code: str) -> dict[str, float]:
    program, empty = folder / "program.py", folder / "empty.py"
    program.write_text(code)
    empty.write_text("")
    tracer = [python, tracer_script.__file__, str(MILLION), "600"]
    traced_start, _ = best(runs, [*tracer, str(empty)])
    traced, trace = best(runs, [*tracer, str(program)])
    steps = steps_of(trace)
    traced_s = max(traced - traced_start, 1e-6)
    untraced = [python, "-c", UNTRACED, str(program), str(runs)]
    plain_s = float(subprocess.run(untraced, capture_output=True, check=True, text=True).stdout)
    return {
        "steps": steps,
        "steps_per_s": steps / traced_s,
        "bytes_per_step": len(trace) / steps,
        "slowdown": traced_s / plain_s,
        "traced_s": traced_s,
        "plain_s": plain_s,
    }


def million(python: str, folder: Path) -> None:
    program = folder / "million.py"
    program.write_text(MILLION_STEPS)
    start = time.perf_counter()
    done = subprocess.run(
        [python, tracer_script.__file__, str(MILLION), "600", str(program)],
        capture_output=True,
        check=True,
    )
    elapsed = time.perf_counter() - start
    steps = steps_of(done.stdout)
    start = time.perf_counter()
    trace = Trace(done.stdout, MILLION_STEPS, "million.py")
    last = trace.state(len(trace) - 1)
    decoded = time.perf_counter() - start
    assert len(trace) == steps and not trace.stopped and trace.finished, "cut short"
    assert last.globals["total"] == sum(range(499_990)), "wrong final state"
    print(
        f"\n{steps:,} steps traced without error in {elapsed:.2f} s "
        f"({steps / elapsed:,.0f} steps/s including start), {len(done.stdout) / 1e6:.1f} MB "
        f"({len(done.stdout) / steps:.1f} bytes/step); decoded and the last step rebuilt "
        f"in {decoded:.2f} s"
    )


def through_sandbox(runs: int) -> None:
    """Bubble sort through the local runner (bubblewrap), traced against untraced."""
    from sector_cli.plugins.runners.local import LocalRunner

    runner = LocalRunner()
    if not runner.availability().ok:
        print("\nlocal sandbox: not usable here, skipped")
        return
    source = PROGRAMS["bubble sort, 200 items"].encode()
    job = RunJob("python", {"sort.py": source}, ["python3", "/work/sort.py"], limits=Limits())
    traced = traced_job(job, MILLION)

    async def once(chosen: RunJob) -> tuple[float, bytes]:
        start, out = time.perf_counter(), b""
        async for event in runner.run(chosen):
            if isinstance(event, Output) and event.stream == "stdout":
                out += event.data
            if isinstance(event, RunFinished):
                assert event.verdict.value == "accepted", event.detail
        return time.perf_counter() - start, out

    plain = min(asyncio.run(once(job))[0] for _ in range(runs))
    timings = [asyncio.run(once(traced)) for _ in range(runs)]
    wall, trace = min(timings)
    steps = steps_of(trace)
    print(
        f"\nthrough the local sandbox: bubble sort {plain * 1000:.0f} ms untraced, "
        f"{wall * 1000:.0f} ms traced ({steps:,} steps, {steps / wall:,.0f} steps/s "
        f"including the sandbox's start, {len(trace) / steps:.1f} bytes/step)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="runs of each, the best is kept")
    parser.add_argument("--python", default="/usr/bin/python3", help="the sandbox's Python")
    options = parser.parse_args()
    version = subprocess.run(
        [options.python, "--version"], capture_output=True, text=True, check=True
    ).stdout.strip()
    print(f"tracer on {version} ({options.python}), best of {options.runs}")
    print(
        f"{'program':<26} {'steps':>8} {'steps/s':>9} {'x target':>8} {'B/step':>7} "
        f"{'x target':>8} {'traced':>8} {'plain':>8} {'slowdown':>8}"
    )
    with tempfile.TemporaryDirectory() as folder:
        for name, code in PROGRAMS.items():
            m = measure(options.python, options.runs, Path(folder), name, code)
            print(
                f"{name:<26} {m['steps']:>8,.0f} {m['steps_per_s']:>9,.0f} "
                f"{m['steps_per_s'] / TARGET_STEPS_PER_S:>7.2f}x "
                f"{m['bytes_per_step']:>7.1f} "
                f"{TARGET_BYTES_PER_STEP / m['bytes_per_step']:>7.1f}x "
                f"{m['traced_s'] * 1000:>6.0f}ms {m['plain_s'] * 1000:>6.2f}ms "
                f"{m['slowdown']:>7.0f}x"
            )
        print(
            f"(x target: steps/s over {TARGET_STEPS_PER_S:,}, and {TARGET_BYTES_PER_STEP} "
            "bytes over bytes/step; above 1 meets the target)"
        )
        million(options.python, Path(folder))
    through_sandbox(options.runs)


if __name__ == "__main__":
    main()
