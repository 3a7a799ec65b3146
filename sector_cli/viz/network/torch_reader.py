"""Python files that build a PyTorch module, for `sector viz nn`.

The learner's file is untrusted, so it runs in the local sandbox with a small probe
(`torch_probe.py`, standard library and torch only) that builds the module, runs it
once on zeros of the sample shape with forward hooks, and prints JSON.

torch is not under /usr, where the sandbox looks for programs: the job shows the folders of
Sector's own environment that hold packages (its site-packages, where torch is) read-only
under /opt/sector/, and runs a python of the same version from /usr on the probe, which puts
them first on sys.path. The Docker sandbox image has no torch, so these runs always use the
local sandbox.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import sysconfig
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from sector_cli.config import keys
from sector_cli.errors import PluginError, UsageError
from sector_cli.plugins.runner import WORK_DIR, Limits, Output, RunFinished, RunJob, Runner, Verdict
from sector_cli.runs.prepare import MAX_SOURCE_BYTES
from sector_cli.viz.network.model import Layer, Network, Shape, Tensor

if TYPE_CHECKING:
    from sector_cli.config.settings import Settings
    from sector_cli.services import Services
    from sector_cli.viz.network.model import Reader

PROBE = Path(__file__).with_name("torch_probe.py")
PROBE_NAME = "_sector/nn_probe.py"
MARKER = "SECTOR-NN-RESULT "
MOUNT_BASE = "/opt/sector/python"
VISIBLE = ("/usr/", "/bin/", "/lib/", "/lib64/")  # what the local sandbox shows of the host
MIN_SECONDS = 120.0  # importing torch alone takes seconds on a busy machine
MIN_MEMORY = 2 * 1024**3
OUTPUT_BYTES = 16 * 1024 * 1024
TORCH_HINT = "Install it where Sector runs: pip install torch (the CPU build is enough)"


def choose_runner(configured: str, plugin: Callable[[str], Runner]) -> tuple[Runner, str | None]:
    """The local sandbox (and a warning when another runner is configured): the Docker
    image has no torch. PluginError, with the fix, when the local sandbox cannot work here."""
    runner = plugin("local")
    availability = runner.availability()
    if not availability.ok or not runner.read_only_mounts:
        raise PluginError(
            "a PyTorch model runs in the local sandbox, which cannot work here: "
            + (availability.detail or "it cannot mount folders"),
            f"{availability.fix or 'Install bubblewrap'} (the Docker image has no torch; "
            "or export the model to ONNX and give the .onnx file)",
        )
    warning = None
    if configured == "docker":
        warning = "the Docker sandbox image has no torch: this model runs in the local sandbox"
    return runner, warning


def sandbox_python() -> str:
    """A python of Sector's own version that the sandbox can see (under /usr): compiled
    packages such as torch only load in the version they were built for."""
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    base = Path(getattr(sys, "_base_executable", sys.executable)).resolve()
    for candidate in (base, Path("/usr/local/bin", version), Path("/usr/bin", version)):
        visible = str(candidate).startswith(VISIBLE)
        if visible and candidate.is_file() and candidate.name.startswith(version):
            return str(candidate)
    raise PluginError(
        f"no {version} under /usr for the sandbox (Sector runs on {sys.executable})",
        f"Install it: apt-get install {version}",
    )


def package_folders() -> list[str]:
    """Folders of Sector's environment that hold packages, torch's first; PluginError
    naming the fix when torch is not installed there."""
    import importlib.util

    spec = importlib.util.find_spec("torch")  # finds it without importing it
    if spec is None or not spec.submodule_search_locations:
        raise PluginError("torch is not installed in Sector's Python environment", TORCH_HINT)
    torch_home = str(Path(next(iter(spec.submodule_search_locations))).parent.resolve())
    folders = [torch_home]
    for name in ("purelib", "platlib"):
        folders.append(str(Path(sysconfig.get_paths()[name]).resolve()))
    for entry in sys.path:
        if entry.endswith(("site-packages", "dist-packages")) and Path(entry).is_dir():
            folders.append(str(Path(entry).resolve()))
    return [f for i, f in enumerate(folders) if f not in folders[:i] and Path(f).is_dir()]


def make_job(
    path: Path,
    shapes: list[tuple[int, ...]],
    module: str | None,
    timeout: float = MIN_SECONDS,
    memory: int = MIN_MEMORY,
) -> RunJob:
    """The sandbox job that probes `path`: its file and the probe in /work, Sector's package
    folders read-only under /opt/sector/python/N."""
    if not shapes:
        raise UsageError(
            "a PyTorch model needs a sample input shape",
            "Add --input-shape, such as --input-shape 1,3,32,32 (batch, channels, height, width)",
        )
    if path.stat().st_size > MAX_SOURCE_BYTES:
        raise UsageError(f"{path} is larger than {MAX_SOURCE_BYTES:,} bytes", "Give a source file")
    mounts: dict[str, str] = {}
    paths = []
    for folder in package_folders():
        if (folder + "/").startswith(VISIBLE):
            paths.append(folder)  # already visible at the same path
        else:
            inside = f"{MOUNT_BASE}/{len(mounts)}"
            mounts[inside] = folder
            paths.append(inside)
    name = path.name
    config = {
        "file": str(PurePosixPath(WORK_DIR) / name),
        "shapes": [list(s) for s in shapes],
        "module": module,
        "paths": paths,
    }
    return RunJob(
        language="python",
        files={name: path.read_bytes(), PROBE_NAME: PROBE.read_bytes()},
        run=[sandbox_python(), "-I", "-S", f"{WORK_DIR}/{PROBE_NAME}", json.dumps(config)],
        limits=Limits(
            wall_seconds=max(timeout, MIN_SECONDS),
            cpu_seconds=max(timeout, MIN_SECONDS),
            memory_bytes=max(memory, MIN_MEMORY),
            output_bytes=OUTPUT_BYTES,
        ),
        read_only=mounts,
    )


async def _collect(runner: Runner, job: RunJob) -> tuple[bytes, bytes, RunFinished | None]:
    stdout, stderr = bytearray(), bytearray()
    finished = None
    async with contextlib.aclosing(runner.run(job)) as events:
        async for event in events:
            if isinstance(event, Output):
                (stdout if event.stream == "stdout" else stderr).extend(event.data)
            elif isinstance(event, RunFinished):
                finished = event
    return bytes(stdout), bytes(stderr), finished


def run_probe(runner: Runner, job: RunJob) -> dict[str, Any]:
    """Run the probe; its JSON, or the error it reported (UsageError for the learner's file,
    PluginError for the sandbox or torch)."""
    stdout, stderr, finished = asyncio.run(_collect(runner, job))
    lines = [line for line in stdout.decode("utf-8", errors="replace").splitlines() if line.strip()]
    found = [line for line in lines if line.startswith(MARKER)]
    if not found:
        raise _no_result(finished, stderr, job.limits)
    try:
        result: dict[str, Any] = json.loads(found[-1][len(MARKER) :])
    except ValueError:
        raise PluginError("the model probe printed something that is not JSON") from None
    if not result.get("ok"):
        error = UsageError if result.get("kind") == "usage" else PluginError
        raise error(str(result.get("error")), str(result.get("hint") or "") or None)
    return result


def _no_result(finished: RunFinished | None, stderr: bytes, limits: Limits) -> Exception:
    verdict = finished.verdict if finished else Verdict.INTERNAL_ERROR
    if verdict is Verdict.TIME_LIMIT:
        return UsageError(
            f"building and running the model took over {limits.wall_seconds:g}s",
            "Try a smaller --input-shape, or a smaller model",
        )
    if verdict is Verdict.MEMORY_LIMIT:
        return UsageError(
            f"the model needed over {limits.memory_bytes // 1024**2} MiB",
            "Try a smaller --input-shape, or raise runs.memory (sector config set runs.memory 4G)",
        )
    if verdict is Verdict.OUTPUT_LIMIT:
        return UsageError("the model printed too much", "Remove the prints from the file")
    tail = stderr.decode("utf-8", errors="replace").strip().splitlines()[-1:]
    detail = finished.detail if finished and finished.detail else verdict.value
    return PluginError(
        f"the model probe stopped without a result ({detail}): {tail[0] if tail else '-'}",
        "Run again with SECTOR_DEBUG=1, or check `sector runner ls`",
    )


def read_torch(
    path: Path,
    shapes: list[tuple[int, ...]],
    module: str | None,
    runner: Runner,
    timeout: float = MIN_SECONDS,
    memory: int = MIN_MEMORY,
) -> Network:
    """The network a Python file builds, probed in `runner`'s sandbox."""
    job = make_job(path, shapes, module, timeout, memory)
    return to_network(path.name, run_probe(runner, job))


def read_torch_model(
    path: Path,
    shapes: list[tuple[int, ...]],
    module: str | None,
    settings: Settings,
    plugin: Callable[[str], Runner],
    warn: Callable[[str], None],
) -> Network:
    """The network a Python file builds, probed in the local sandbox within the run limits of
    the settings; `warn` hears when the configured runner is passed over for it."""
    runner, warning = choose_runner(settings.get(keys.RUNS_RUNNER), plugin)
    if warning:
        warn(warning)
    timeout, memory = settings.get(keys.RUNS_TIMEOUT), settings.get(keys.RUNS_MEMORY)
    return read_torch(path, shapes, module, runner, timeout, memory)


def sandbox_reader(services: Callable[[], Services], warn: Callable[[str], None]) -> Reader:
    """The `read_network` reader of Python files for a front end: `services` is called only
    when a Python file is read (an ONNX file needs none)."""

    def read(path: Path, shapes: list[tuple[int, ...]], module: str | None) -> Network:
        from functools import partial

        opened = services()
        runners = partial(opened.plugin, Runner)
        return read_torch_model(path, shapes, module, opened.settings, runners, warn)

    return read


def _shape(value: Any) -> Shape | None:
    return None if value is None else tuple(int(d) for d in value)


def to_network(title: str, result: dict[str, Any]) -> Network:
    """The probe's JSON as a Network (module names give the blocks)."""
    layers = []
    for item in result["layers"]:
        name = str(item["name"])
        unknown = item["flops"] is None
        layers.append(
            Layer(
                name,
                str(item["op"]),
                list(item["inputs"]),
                list(item["outputs"]),
                int(item["params"]),
                None if unknown else int(item["flops"]),
                tuple(name.split(".")[:-1]) if "." in name else (),
                str(item.get("note") or ("FLOPs unknown for this module" if unknown else "")),
                int(item.get("call", 1)),
            )
        )
    notes = [f"PyTorch {result['torch']}, module `{result['model']}` ({result['class']})"]
    if result.get("dtype") == "int64":
        notes.append("the sample input is int64 zeros: the model did not take float32 ones")
    if result.get("truncated"):
        notes.append(f"only the first {len(layers):,} layer calls were recorded")
    return Network(
        title=title,
        format="pytorch",
        layers=layers,
        inputs=[Tensor(t["name"], _shape(t["shape"])) for t in result["inputs"]],
        outputs=[Tensor(t["name"], _shape(t["shape"])) for t in result["outputs"]],
        shapes={k: _shape(v) for k, v in result["shapes"].items()},
        total_params=int(result["total_params"]),
        separator=".",
        notes=notes,
        block_shapes={k: _shape(v) for k, v in result["blocks"].items()},
    )
