"""Streaming overhead of the assistant, against the same model called directly, in one run.

Local: time to first token (TTFT) and tokens/s through Sector's local backend against
llama-cpp-python's own streaming on the same loaded model. OpenAI-compatible: Sector's
openai backend against `llama_cpp.server` hit directly with httpx. Same prompt, temperature 0,
fixed seed, same number of tokens. Then the cold `sector ask "hi"` process: command start to
first token on stdout.
Targets (issue 4): at most +5 ms TTFT, at least 97% of the raw tokens/s, cold first token
within 1.0 s.

    .venv/bin/python bench/stream.py [--runs N]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import httpx

from sector_cli.plugins.backend import GenerateOptions, Message, Token
from sector_cli.plugins.backends.local import LocalBackend, load, on_llama_thread
from sector_cli.plugins.backends.openai import OpenAIBackend

PROMPT = [
    Message("system", "You are a helpful assistant."),
    Message("user", "Write a short paragraph about how a hash table works."),
]
OPTIONS = GenerateOptions(temperature=0.0, max_tokens=96, seed=1)


def rates(arrivals: list[float]) -> tuple[float, float]:
    """(time to first token, tokens per second after it) from token arrival times (seconds
    since the request started)."""
    assert len(arrivals) > 1, "the model produced fewer than two tokens"
    return arrivals[0], (len(arrivals) - 1) / (arrivals[-1] - arrivals[0])


def through_sector(stream: Callable[[], AsyncIterator[object]]) -> list[float]:
    """Arrival times of the tokens of one of Sector's backend streams."""

    async def collect() -> list[float]:
        started = time.perf_counter()
        return [time.perf_counter() - started async for item in stream() if isinstance(item, Token)]

    return asyncio.run(collect())


def direct_local(path: Path, context: int) -> list[float]:
    """llama-cpp-python's own streaming, on the thread where the model lives (as Sector's)."""

    def collect() -> list[float]:
        llama = load(path, context)
        messages = [{"role": m.role, "content": m.content} for m in PROMPT]
        started = time.perf_counter()
        chunks = llama.create_chat_completion(
            messages=messages,
            stream=True,
            temperature=OPTIONS.temperature,
            max_tokens=OPTIONS.max_tokens,
            seed=OPTIONS.seed,
        )
        return [
            time.perf_counter() - started
            for chunk in chunks
            if isinstance(chunk, dict) and chunk["choices"][0].get("delta", {}).get("content")
        ]

    return on_llama_thread(collect)


def direct_http(base: str, model: str) -> list[float]:
    """The server's own stream, read with httpx and nothing else."""
    payload = {
        "model": model,
        "stream": True,
        "temperature": OPTIONS.temperature,
        "max_tokens": OPTIONS.max_tokens,
        "seed": OPTIONS.seed,
        "messages": [{"role": m.role, "content": m.content} for m in PROMPT],
    }
    arrivals = []
    started = time.perf_counter()
    with httpx.stream("POST", f"{base}/chat/completions", json=payload, timeout=60) as response:
        for line in response.iter_lines():
            if line.startswith("data:") and line[5:].strip() != "[DONE]":
                delta = json.loads(line[5:])["choices"][0].get("delta", {})
                if delta.get("content"):
                    arrivals.append(time.perf_counter() - started)
    return arrivals


Measure = Callable[[], list[float]]


def pair(runs: int, ours: Measure, raw: Measure) -> dict[str, tuple[float, float]]:
    rates(ours())  # warm up both
    rates(raw())
    samples: dict[str, list[tuple[float, float]]] = {"sector": [], "direct": []}
    for _ in range(runs):  # interleaved, so that both see the same machine
        samples["sector"].append(rates(ours()))
        samples["direct"].append(rates(raw()))
    return {
        name: (statistics.median(t for t, _ in values), statistics.median(r for _, r in values))
        for name, values in samples.items()
    }


def report(label: str, result: dict[str, tuple[float, float]]) -> None:
    (our_ttft, our_rate), (raw_ttft, raw_rate) = result["sector"], result["direct"]
    print(
        f"{label:<10} TTFT sector {our_ttft * 1000:7.1f} ms  direct {raw_ttft * 1000:7.1f} ms  "
        f"diff {(our_ttft - raw_ttft) * 1000:+6.1f} ms (target <= +5)"
    )
    print(
        f"{'':<10} tok/s sector {our_rate:7.1f}     direct {raw_rate:7.1f}     "
        f"ratio {our_rate / raw_rate:6.1%} (target >= 97%)"
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def cold_first_token(runs: int) -> float:
    sector = str(Path(sys.executable).with_name("sector"))
    times = []
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "SECTOR_HOME": home}
        subprocess.run([sector, "db", "upgrade"], env=env, capture_output=True, check=True)
        for _ in range(runs + 1):
            start = time.perf_counter()
            process = subprocess.Popen(
                [sector, "ask", "hi", "--json", "--max-tokens", "8"],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
            )
            assert process.stdout is not None
            process.stdout.readline()  # the first token event
            times.append(time.perf_counter() - start)
            process.wait()
    return statistics.median(times[1:])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    runs = parser.parse_args().runs
    backend = LocalBackend()
    path, context = backend._model_file(), backend.context
    print(f"model {path.name}, {runs} interleaved runs each, medians, {os.cpu_count()} CPUs")
    local = pair(
        runs,
        lambda: through_sector(lambda: backend.stream(PROMPT, OPTIONS)),
        lambda: direct_local(path, context),
    )
    report("local", local)
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "llama_cpp.server",
            "--model",
            str(path),
            "--port",
            str(port),
            "--n_ctx",
            str(context),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}/v1"
    try:
        for _ in range(300):
            try:
                if httpx.get(f"{base}/models", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        remote = OpenAIBackend()
        remote.base_url = base
        model = remote.default_model()
        options = GenerateOptions(model, OPTIONS.temperature, OPTIONS.max_tokens, OPTIONS.seed)
        openai = pair(
            runs,
            lambda: through_sector(lambda: remote.stream(PROMPT, options)),
            lambda: direct_http(base, model),
        )
        report("openai", openai)
    finally:
        server.terminate()
        server.wait()
    cold = cold_first_token(runs)
    print(
        f"cold `sector ask hi`: first token {cold * 1000:.0f} ms after the command started "
        "(target <= 1000 ms)"
    )


if __name__ == "__main__":
    main()
