"""Latency and throughput of runs, against the floors, measured in one run.

For each runner and language: the median time from a prepared job to its verdict for a
hello-world program, against the same program run directly on the host (the floor) and, for
Docker, against the `docker run` CLI on the same image. Then 50 runs at concurrency 2.
Targets (issue 3): local runner within 30 ms of the floor; Docker runner no slower than
`docker run`.

    .venv/bin/python bench/runs.py [--runs N] [--image IMAGE] [--runners local,docker]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

from sector_cli.plugins.runner import Limits, RunFinished, RunJob, Runner, Verdict
from sector_cli.plugins.runners.docker import DockerRunner
from sector_cli.plugins.runners.local import SANDBOX_PATH, LocalRunner

PROGRAMS = {
    "python": ("hello.py", b"print('hello')\n", None, ["python3", "/work/hello.py"]),
    "c": (
        "hello.c",
        b'#include <stdio.h>\nint main(void) { puts("hello"); return 0; }\n',
        ["gcc", "-O2", "-o", "/work/hello", "/work/hello.c"],
        ["/work/hello"],
    ),
    "javascript": ("hello.js", b"console.log('hello')\n", None, ["node", "/work/hello.js"]),
}


def median_of(runs: int, measure: Callable[[], float]) -> float:
    measure()  # warm caches, images, page cache
    return statistics.median(measure() for _ in range(runs))


def job_for(language: str, image: str) -> RunJob:
    name, source, compile_, run = PROGRAMS[language]
    return RunJob(language, {name: source}, run, compile=compile_, image=image, limits=Limits())


def runner_time(runner: Runner, job: RunJob) -> float:
    async def once() -> float:
        start = time.perf_counter()
        async for event in runner.run(job):
            if isinstance(event, RunFinished) and event.verdict is not Verdict.ACCEPTED:
                raise SystemExit(f"{runner.name} {job.language}: {event.verdict} {event.detail}")
        return time.perf_counter() - start

    return asyncio.run(once())


def on_host(job: RunJob, folder: Path, prefix: list[str] | None = None) -> float:
    """The same commands directly (prefix: run them through `docker run` instead)."""
    for name, data in job.files.items():
        (folder / name).write_bytes(data)

    def local(command: list[str]) -> list[str]:
        return [part.replace("/work", str(folder)) for part in command]

    env = {**os.environ, "PATH": SANDBOX_PATH}  # the same programs the sandbox finds
    start = time.perf_counter()
    for command in filter(None, [job.compile, job.run]):
        argv = [*prefix, *command] if prefix else local(command)
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, env=env)
    return time.perf_counter() - start


def throughput(runner: Runner, job: RunJob, total: int = 50, concurrency: int = 2) -> float:
    async def all_runs() -> float:
        gate = asyncio.Semaphore(concurrency)

        async def one() -> None:
            async with gate:
                async for _ in runner.run(job):
                    pass

        start = time.perf_counter()
        await asyncio.gather(*(one() for _ in range(total)))
        return total / (time.perf_counter() - start)

    return asyncio.run(all_runs())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--image", default="sector-sandbox:bookworm")
    parser.add_argument("--runners", default="local,docker")
    options = parser.parse_args()
    runners: list[Runner] = []
    for runner in (LocalRunner(), DockerRunner()):
        availability = runner.availability()
        if runner.name in options.runners.split(",") and availability.ok:
            runners.append(runner)
        elif runner.name in options.runners.split(","):
            print(f"skipping {runner.name}: {availability.detail}")
    print(f"median of {options.runs} runs each; hello world; times in ms")
    print(f"{'runner':<8}{'language':<12}{'sector':>9}{'floor':>9}{'diff':>9}{'docker run':>12}")
    for runner in runners:
        for language in PROGRAMS:
            job = job_for(language, options.image)
            ours = median_of(options.runs, partial(runner_time, runner, job))
            with tempfile.TemporaryDirectory() as temp:
                floor = median_of(options.runs, partial(on_host, job, Path(temp)))
            cli = ""
            if runner.name == "docker" and shutil.which("docker"):
                with tempfile.TemporaryDirectory() as temp:
                    prefix = [
                        "docker",
                        "run",
                        "--rm",
                        "--network",
                        "none",
                        "-v",
                        f"{temp}:/work",
                        "-w",
                        "/work",
                        options.image,
                    ]
                    docker_cli = median_of(options.runs, partial(on_host, job, Path(temp), prefix))
                cli = f"{docker_cli * 1000:>9.0f} ({ours / docker_cli:.2f}x)"
            print(
                f"{runner.name:<8}{language:<12}{ours * 1000:>9.0f}{floor * 1000:>9.0f}"
                f"{(ours - floor) * 1000:>+9.0f}  {cli}"
            )
    for runner in runners:
        rate = throughput(runner, job_for("python", options.image))
        print(f"{runner.name}: 50 python runs at concurrency 2: {rate:.1f} runs/s")


if __name__ == "__main__":
    main()
