"""`export run N`: a recorded run as a person hands it in: the program (every file of its
snapshot that is text, numbered and coloured), its input, the result (verdict, exit code,
timings, memory, runner, date), the compiler's output, and what it wrote."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from sector_cli.errors import NotFoundError, SectorError, UsageError
from sector_cli.export.kinds import ExportRequest, meta_for
from sector_cli.export.model import Block, Code, Document, Note, Paragraph, Section, Span, Table

if TYPE_CHECKING:
    from sector_cli.plugins.runner import RunJob
    from sector_cli.runs.service import Runs
    from sector_cli.services import Services
    from sector_cli.store.models import Run

MAX_LINES = 2000  # of one output, input or file: a long output is cut, and says so
MAX_CHARS = 200_000  # the same for output of few, enormous lines
MAX_FILES = 20  # files of a snapshot shown beside the program
MAX_FILES_CHARS = 300_000  # their total


def run_number(ref: str, what: str = "run") -> int | None:
    """A reference's number (`12`, `#12`), or None for `last`; anything else is refused."""
    text = ref.strip().removeprefix("#")
    if text.lower() in ("last", "latest"):
        return None
    if not text.isdigit():
        raise UsageError(
            f"{what} reference {ref!r} is not a number", f"Give a {what} number, or `last`"
        )
    return int(text)


def build_run(ref: str, request: ExportRequest, services: Services) -> Document:
    runs = services.runs
    number = run_number(ref)
    run = runs.get(number) if number is not None else latest_run(runs)
    assert run.id is not None
    recorded = Recorded.of(runs, run)
    sections = [
        _program(recorded),
        *_input(recorded),
        _result(run, recorded),
        *_outputs(run.id, recorded),
    ]
    meta = meta_for("run", f"run #{run.id}", services, _project_name(services, run))
    return Document(f"Run #{run.id}: {run.source}", meta, tuple(sections), notes=recorded.notes)


def latest_run(runs: Runs) -> Run:
    """The newest run, of the current project when there is one (as `sector runs ls`)."""
    found = runs.history(runs.project_id, limit=1)
    if not found:
        where = " in this project" if runs.project_id is not None else ""
        raise NotFoundError(f"there are no runs{where} yet", "Run a program: sector run FILE")
    return found[0]


@dataclass(frozen=True)
class Recorded:
    """What a run kept: its job (the tracer left out of a traced run), and its output (for
    a traced run, the program's own, decoded from the trace)."""

    job: RunJob
    program: str
    stdout: str
    stderr: str
    compile: str
    traced: bool = False
    notes: tuple[Note, ...] = ()

    @classmethod
    def of(cls, runs: Runs, run: Run) -> Recorded:
        from sector_cli.viz.trace.job import TRACER_FILE, is_traced, program_name

        assert run.id is not None
        job = runs.job(run)
        streams: dict[str, bytearray] = {"stdout": bytearray(), "stderr": bytearray()}
        streams["compile"] = bytearray()
        for row in runs.events(run.id):
            if row.kind in streams:
                streams[row.kind] += row.data
        text = {name: data.decode("utf-8", errors="replace") for name, data in streams.items()}
        if not is_traced(job):
            program = next(iter(job.files), "")
            return cls(job, program, text["stdout"], text["stderr"], text["compile"])
        files = {name: data for name, data in job.files.items() if name != TRACER_FILE}
        stdout, stderr = _traced_output(runs, run.id, text["stderr"])
        note = Note(f"A traced run: `sector export trace {run.id}` exports its steps.")
        program = program_name(job)
        return cls(replace(job, files=files), program, stdout, stderr, text["compile"], True,
                   (note,))  # fmt: skip


def _traced_output(runs: Runs, run_id: int, raw_stderr: str) -> tuple[str, str]:
    """The program's output as the trace recorded it (its stdout is the trace itself)."""
    from sector_cli.viz.trace.load import load_trace

    try:
        trace = load_trace(runs, run_id)
    except SectorError:  # a trace that cannot be read: what the run wrote on stderr
        return "", raw_stderr
    last = len(trace) - 1
    return trace.output(last, "stdout"), trace.output(last, "stderr")


def _project_name(services: Services, run: Run) -> str | None:
    from sector_cli.store.models import Project

    if run.project_id is None:
        return None
    with services.store.session() as session:
        project = session.get(Project, run.project_id)
    return project.name if project is not None else None


# the program


def language_of(name: str, fallback: str = "") -> str:
    """A Pygments lexer for a file name (its colours); `fallback` when it knows none."""
    from pygments.lexers import find_lexer_class_for_filename

    try:
        lexer = find_lexer_class_for_filename(name)
    except Exception:  # a plugin lexer that fails to load: no colours
        lexer = None
    return lexer.aliases[0] if lexer is not None and lexer.aliases else fallback


def _program(recorded: Recorded) -> Section:
    job = recorded.job
    blocks: list[Block] = []
    if recorded.program in job.files:
        data = job.files[recorded.program]
        blocks += _file(recorded.program, data, language_of(recorded.program, job.language))
    others = [(name, data) for name, data in job.files.items() if name != recorded.program]
    shown, budget = 0, MAX_FILES_CHARS
    left: list[tuple[str, int]] = []
    for name, data in others:
        text = _text(data)
        if text is None or shown >= MAX_FILES or len(text) > budget:
            left.append((name, len(data)))
            continue
        blocks += _file(name, data, language_of(name))
        shown, budget = shown + 1, budget - len(text)
    if left:
        blocks += _files_left(left)
    if not blocks:
        blocks.append(Paragraph.of("The run kept no code."))
    return Section("Program", tuple(blocks))


def _text(data: bytes) -> str | None:
    """A file's text, or None for a binary file (a NUL, or mostly not UTF-8)."""
    if b"\x00" in data[:8192]:
        return None
    text = data.decode("utf-8", errors="replace")
    return None if text.count("\ufffd") > max(8, len(text) // 100) else text


def shown_name(name: str) -> str:
    """A file name as text: the bytes of a name that was not UTF-8 (kept by os.fsdecode as
    surrogates, which no file format can hold) replaced."""
    return name.encode("utf-8", errors="surrogateescape").decode("utf-8", errors="replace")


def _file(name: str, data: bytes, language: str) -> list[Block]:
    name = shown_name(name)
    text = _text(data)
    if text is None:
        return [Paragraph.of(f"{name}: a binary file of {len(data):,} bytes, not shown.")]
    shown, note = capped(text, f"{name} has", "See the whole file in the run's folder")
    code = Code(shown, language, numbered=True, caption=name)
    return [code, note] if note else [code]


def _files_left(left: list[tuple[str, int]]) -> list[Block]:
    from sector_cli.runs.describe import human_bytes

    rows = tuple((shown_name(name), human_bytes(size)) for name, size in left[:200])
    more = f"; {len(left) - 200:,} more not listed" if len(left) > 200 else ""
    return [
        Table(("File", "Size"), rows, "Also in the run's snapshot", frozenset({0})),
        Note(f"{len(left):,} more files of the run are listed, not shown{more}."),
    ]


def _input(recorded: Recorded) -> list[Section]:
    if not recorded.job.stdin:
        return []
    text = recorded.job.stdin.decode("utf-8", errors="replace")
    shown, note = capped(text, "The input has", "The whole input is in `sector runs show`")
    blocks: list[Block] = [Code(shown, caption="stdin")]
    return [Section("Input", (*blocks, *([note] if note else [])))]


# the result


def _result(run: Run, recorded: Recorded) -> Section:
    from sector_cli.runs.describe import command_text, human_bytes, human_seconds, limits_text
    from sector_cli.timeutil import as_utc

    job = recorded.job
    verdict = run.verdict or "running"
    rows = [
        ("Verdict", verdict),
        ("Why", run.detail or ""),
        ("Exit code", "-" if run.exit_code is None else str(run.exit_code)),
        ("Wall time", human_seconds(run.wall)),
        ("CPU time", human_seconds(run.cpu)),
        ("Peak memory", human_bytes(run.peak_memory)),
        ("Runner", run.runner),
        ("Language", run.language),
        # A traced run's command is the tracer's: not what the learner ran.
        ("Command", "" if recorded.traced else command_text(job.run)),
        ("Compiled with", command_text(job.compile)),
        ("Limits", limits_text(job.limits)),
        ("Date", as_utc(run.created_at).strftime("%Y-%m-%d %H:%M:%S UTC")),
        ("Replay of", f"run #{run.replay_of}" if run.replay_of else ""),
    ]
    always = {"Exit code", "Wall time", "CPU time", "Peak memory"}
    kept = tuple((name, value) for name, value in rows if name in always or value not in ("", "-"))
    summary = Paragraph((Span("Verdict: "), Span(verdict, bold=True), Span(f" · {run.source}")))
    blocks: list[Block] = [summary, Table(("Item", "Value"), kept)]
    if run.verdict is None:
        blocks.append(Note("The run had not finished when this was exported.", "warning"))
    return Section("Result", tuple(blocks))


# output


def _outputs(run_id: int, recorded: Recorded) -> list[Section]:
    sections: list[Section] = []
    hint = f"All of it: `sector runs show {run_id}`"
    if recorded.compile.strip():
        sections.append(_stream("Compiler output", "compile", recorded.compile, hint))
    if recorded.stdout:
        sections.append(_stream("Output", "stdout", recorded.stdout, hint))
    if recorded.stderr:
        sections.append(_stream("Errors", "stderr", recorded.stderr, hint))
    if not recorded.stdout and not recorded.stderr:
        sections.append(Section("Output", (Paragraph.of("The program wrote nothing."),)))
    return sections


def _stream(heading: str, name: str, text: str, hint: str) -> Section:
    shown, note = capped(text, f"The {name} has", hint)
    return Section(heading, (Code(shown, caption=name), *([note] if note else [])))


def capped(text: str, whose: str, hint: str) -> tuple[str, Note | None]:
    """The first MAX_LINES lines (and MAX_CHARS characters) of `text`, and a note saying
    how much there is when that is not all of it."""
    text = text.replace("\r\n", "\n").removesuffix("\n")  # Windows' line ends are line ends
    lines = text.count("\n") + 1
    if lines <= MAX_LINES and len(text) <= MAX_CHARS:
        return text, None
    shown = "\n".join(text.split("\n", MAX_LINES)[:MAX_LINES])[:MAX_CHARS]
    kept = shown.count("\n") + 1
    size = f"{lines:,} lines" if lines > 1 else f"{len(text):,} characters on one line"
    what = f"the first {kept:,}" if kept < lines else f"the first {len(shown):,} characters"
    return shown, Note(f"{whose} {size}; {what} are shown. {hint}.", "warning")
