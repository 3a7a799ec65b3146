"""Start-up time of `sector`, against the floors it cannot beat, measured in one run.

Floors: the bare interpreter (`python -c pass`) and a minimal two-command Typer app's `--help`.
Targets (issue 2): `sector --help` within 1.3x of the Typer app, `sector project ls` within 2x.
Also shown: the import of SQLModel alone, the floor of any command that reads the database.

    .venv/bin/python bench/startup.py [--runs N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MINIMAL_TYPER_APP = """\
import typer

app = typer.Typer()


@app.command()
def hello() -> None:
    print("hello")


@app.command()
def bye() -> None:
    print("bye")


app()
"""


def wall_time(command: list[str], env: dict[str, str], cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run(command, env=env, cwd=cwd, stdout=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=21)
    runs = parser.parse_args().runs
    python = sys.executable
    sector = str(Path(python).with_name("sector"))
    with tempfile.TemporaryDirectory() as temp:
        folder = Path(temp)
        (folder / "mini.py").write_text(MINIMAL_TYPER_APP)
        env = {**os.environ, "SECTOR_HOME": str(folder / "home"), "NO_COLOR": "1"}
        project = folder / "project"
        project.mkdir()
        (project / "a.py").write_text("print(1)\n")
        for setup in (["init"], ["file", "add", "a.py"]):
            subprocess.run([sector, *setup], env=env, cwd=project, check=True, capture_output=True)
        commands = {
            "python -c pass": [python, "-c", "pass"],
            "minimal Typer app --help": [python, str(folder / "mini.py"), "--help"],
            "import sqlmodel": [python, "-c", "import sqlmodel"],
            "sector --help": [sector, "--help"],
            "sector project ls": [sector, "project", "ls"],
        }
        samples: dict[str, list[float]] = {name: [] for name in commands}
        for command in commands.values():  # warm the caches once
            wall_time(command, env, project)
        for _ in range(runs):  # interleaved, so drift hits every command alike
            for name, command in commands.items():
                samples[name].append(wall_time(command, env, project))
    medians = {name: statistics.median(values) for name, values in samples.items()}
    floor = medians["minimal Typer app --help"]
    print(f"median of {runs} runs each, {os.cpu_count()} CPUs, Python {sys.version.split()[0]}")
    print(f"{'command':<28}{'median ms':>10}{'x Typer':>9}  target")
    targets = {"sector --help": 1.3, "sector project ls": 2.0}
    for name, median in medians.items():
        target = targets.get(name)
        mark = ""
        if target:
            mark = f"{target:.1f}x " + ("met" if median / floor <= target else "missed")
        print(f"{name:<28}{median * 1000:>10.0f}{median / floor:>8.2f}x  {mark}")


if __name__ == "__main__":
    main()
