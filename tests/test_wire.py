"""Every typed event has one wire form (`to_wire()`), and it is exactly what `--json` prints:
the same keys, in the same order, with the same values, for every front end to send."""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator, AsyncIterator
from dataclasses import fields
from typing import Any, ClassVar

import pytest

from sector_cli.assistant.mentions import Citation, Grounding, SentenceCheck
from sector_cli.assistant.service import Answer, Notice, Sources, Stats
from sector_cli.context.ingest import AddEvent, Indexed, Progress, Pruned, Skipped, Summary
from sector_cli.errors import PluginError
from sector_cli.plugins.backend import (
    Backend,
    BackendEvent,
    Done,
    GenerateOptions,
    Message,
    Token,
    Usage,
)
from sector_cli.plugins.runner import (
    Output,
    RunEvent,
    RunFinished,
    RunJob,
    Runner,
    RunStarted,
    Verdict,
)
from sector_cli.runs.service import Execution, Runs, exit_code_for

CITATION = Citation(1, "notes.md:1-2", "notes.md", None, 1, 2, "A closure keeps its scope.")
CHECK = SentenceCheck("Closures keep scope [1].", True, 1, 0.91, "")
FAILED = SentenceCheck("They are fast.", False, None, 0.12, "no source says so")
FINISHED = RunFinished(Verdict.TIME_LIMIT, None, 1.5, 1.25, 4096, 1.5, "wall time limit 1 s")

# Each event type's wire form, as `sector run --json` / `sector ask --json` print it.
WIRE = [
    (RunStarted("local"), '{"event": "started", "runner": "local", "t": 0.0}'),
    (
        Output("stdout", "héllo\n".encode(), 0.12345678),
        '{"event": "output", "stream": "stdout", "data": "h\\u00e9llo\\n", "t": 0.123457}',
    ),
    (
        Output("stderr", b"\xff\n", 2.0),
        '{"event": "output", "stream": "stderr", "data": "\\ufffd\\n", "data_base64": "/wo=", '
        '"t": 2.0}',
    ),
    (
        FINISHED,
        '{"event": "finished", "verdict": "time-limit", "exit_code": null, "wall": 1.5, '
        '"cpu": 1.25, "peak_memory": 4096, "t": 1.5, "detail": "wall time limit 1 s", '
        '"signal": null}',
    ),
    (Token("Hi"), '{"event": "token", "text": "Hi"}'),
    (Usage(12, 3), '{"event": "usage", "prompt_tokens": 12, "completion_tokens": 3}'),
    (Done("length"), '{"event": "done", "finish_reason": "length"}'),
    (
        Stats("local", "m", 0.5, None, 12, 3, 1.0),
        '{"event": "stats", "backend": "local", "model": "m", "time_to_first_token": 0.5, '
        '"tokens_per_second": null, "prompt_tokens": 12, "completion_tokens": 3, "seconds": 1.0}',
    ),
    (
        Sources([CITATION], [1]),
        '{"event": "sources", "citations": [{"number": 1, "label": "notes.md:1-2", "path": '
        '"notes.md", "page": null, "line_start": 1, "line_end": 2, "text": "A closure keeps its '
        'scope."}], "cited": [1]}',
    ),
    (
        Grounding([CHECK, FAILED]),
        '{"event": "grounding", "sentences": [{"sentence": "Closures keep scope [1].", '
        '"supported": true, "source": 1, "similarity": 0.91, "reason": ""}, {"sentence": '
        '"They are fast.", "supported": false, "source": null, "similarity": 0.12, "reason": '
        '"no source says so"}], "unsupported": 1}',
    ),
    (Notice("a tiny model"), '{"event": "notice", "text": "a tiny model"}'),
    (
        Indexed("a.md", "added", 3),
        '{"event": "indexed", "path": "a.md", "status": "added", "chunks": 3}',
    ),
    (
        Skipped("b.bin", "not a document"),
        '{"event": "skipped", "path": "b.bin", "reason": "not a document"}',
    ),
    (
        Progress(1, 2, 3, 0.5),
        '{"event": "progress", "files_done": 1, "files_total": 2, "chunks": 3, "seconds": 0.5}',
    ),
    (Pruned("gone.md"), '{"event": "pruned", "path": "gone.md"}'),
    (
        Summary(added=1, skipped=1, chunks=10, seconds=3.0, load_seconds=1.0),
        '{"event": "summary", "added": 1, "updated": 0, "unchanged": 0, "skipped": 1, '
        '"pruned": 0, "chunks": 10, "seconds": 3.0, "load_seconds": 1.0, '
        '"chunks_per_second": 5.0}',
    ),
]


@pytest.mark.parametrize(("event", "line"), WIRE, ids=lambda value: type(value).__name__)
def test_each_event_type_has_its_wire_form(event: Any, line: str) -> None:
    assert json.dumps(event.to_wire()) == line
    assert event.to_wire()["event"] == type(event).wire_name


def test_every_event_type_is_pinned() -> None:
    pinned = {type(event) for event, _ in WIRE}
    answers = {*BackendEvent.__args__, Stats, Sources, Grounding, Notice}
    streams = {*RunEvent.__args__, *answers, *AddEvent.__args__}
    assert pinned == streams


def _finished_events() -> list[RunEvent]:
    return [
        RunStarted("fake"),
        Output("stdout", b"out\n", 0.25),
        Output("stderr", b"\xfe\xff", 0.5),
        Output("stdout", b"", 0.75),
        FINISHED,
    ]


class _ScriptedRunner(Runner):
    """Gives the same events whatever it is asked to run."""

    name: ClassVar[str] = "fake"
    isolation: ClassVar[str] = "none: a test double that runs nothing"

    async def run(
        self, job: RunJob, stdin: AsyncIterator[bytes] | None = None
    ) -> AsyncGenerator[RunEvent, None]:
        for event in _finished_events():
            yield event


def test_sector_run_json_prints_each_events_wire_form(
    sector: Any, workdir: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(Runs, "runner", lambda self, name=None: _ScriptedRunner())
    (workdir / "p.py").write_text("print('out')\n")
    result = sector("run", "p.py", "--json")
    execution = Execution(1, "fake", _no_events())
    assert result.stdout.splitlines() == [
        json.dumps(execution.wire(event)) for event in _finished_events()
    ]
    assert result.exit_code == exit_code_for(FINISHED) == 124
    assert [json.loads(line)["run"] for line in result.stdout.splitlines()] == [1] * 5


async def _no_events() -> AsyncGenerator[RunEvent, None]:
    return
    yield


class _ScriptedBackend(Backend):
    name: ClassVar[str] = "scripted"

    async def stream(
        self, messages: list[Message], options: GenerateOptions
    ) -> AsyncIterator[BackendEvent]:
        for event in (Token("Hel"), Token("lo."), Usage(9, 2), Done()):
            yield event

    def default_model(self) -> str:
        return "scripted-1"

    def advice(self, model: str) -> str | None:
        return "a scripted model knows nothing"


class _FailingBackend(_ScriptedBackend):
    async def stream(
        self, messages: list[Message], options: GenerateOptions
    ) -> AsyncIterator[BackendEvent]:
        yield Token("Hel")
        raise PluginError("the server went away", "Start it again")


def _rebuilt(line: dict[str, Any]) -> Any:
    """The event a wire line was made from, built again from its fields."""
    kinds = {cls.wire_name: cls for cls in (Token, Usage, Done, Stats, Notice)}
    cls = kinds[line["event"]]
    return cls(**{f.name: line[f.name] for f in fields(cls)})


def _answer(conversation: int, message: int) -> Answer:
    return Answer(conversation, message, "scripted", "scripted-1", None, None)  # type: ignore[arg-type]


def test_sector_ask_json_prints_each_events_wire_form(
    sector: Any, workdir: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sector_cli.assistant.service import Assistant

    monkeypatch.setattr(Assistant, "backend", lambda self, name=None: _ScriptedBackend())
    result = sector("ask", "Say hello.", "--json")
    assert result.exit_code == 0, result.output
    lines = [json.loads(text) for text in result.stdout.splitlines()]
    assert [line["event"] for line in lines] == [
        "token",
        "token",
        "usage",
        "done",
        "stats",
        "notice",
    ]
    answer = _answer(lines[3]["conversation"], lines[3]["message"])
    assert result.stdout.splitlines() == [json.dumps(answer.wire(_rebuilt(x))) for x in lines]
    assert list(lines[3]) == ["event", "finish_reason", "conversation", "message"]


def test_a_failed_answer_ends_with_the_error_wire_form(
    sector: Any, workdir: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sector_cli.assistant.service import Assistant

    monkeypatch.setattr(Assistant, "backend", lambda self, name=None: _FailingBackend())
    result = sector("ask", "Say hello.", "--json")
    assert result.exit_code == PluginError.exit_code
    *_, failed, last = result.stdout.splitlines()
    ids = json.loads(last)
    answer = _answer(ids["conversation"], ids["message"])
    error = PluginError("the server went away", "Start it again")
    assert failed == json.dumps(answer.error_wire(error))
    assert last == json.dumps(answer.stopped_wire())  # a stream always says how it ended
    # the message's number takes the "message" key from the error's text (as it always has):
    # the text is on stderr
    assert list(json.loads(failed).items()) == [
        ("event", "error"),
        ("message", answer.message_id),
        ("hint", "Start it again"),
        ("conversation", answer.conversation_id),
    ]
    assert "the server went away" in result.stderr


@pytest.mark.parametrize(
    ("summary", "code"),
    [
        (Summary(added=2), 0),
        (Summary(unchanged=1, skipped=1), 1),
        (Summary(skipped=2), 2),
    ],
)
def test_an_adds_exit_code_is_the_summarys(summary: Summary, code: int) -> None:
    assert summary.exit_code == code
