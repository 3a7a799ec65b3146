"""`sector ask`, `sector chat`, `sector history ls|show|rm` and `sector models ls`."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated, Any

import typer

from sector_cli.cli.completion import complete_conversation_id
from sector_cli.cli.options import Json, ProjectName, Yes, confirm_removal
from sector_cli.cli.output import Output, ReaderLeft, console, leave_quietly, warn
from sector_cli.errors import EXIT_INTERRUPTED

if TYPE_CHECKING:
    from sector_cli.assistant.mentions import Grounding
    from sector_cli.assistant.prompt import PromptPlan
    from sector_cli.assistant.service import Answer, Assistant, Notice, Sources, Stats

history_app = typer.Typer(help="Past conversations with the assistant.", no_args_is_help=True)
models_app = typer.Typer(help="Models the backends offer.", no_args_is_help=True)

BackendOpt = Annotated[
    str | None,
    typer.Option("--backend", "-b", help="local, ollama or openai (default: assistant.backend)."),
]
ModelOpt = Annotated[
    str | None, typer.Option("--model", "-m", help="Model (default: the backend's).")
]


def _render_plan(plan: PromptPlan, model: str, backend: str) -> None:
    """The context-budget inspector: what would be sent, with token counts, and what not."""
    out = console()
    out.print(
        f"backend {backend} · model {model} · window {plan.window} tokens "
        f"({plan.reserved_for_answer} kept for the answer) · prompt {plan.prompt_tokens}",
        markup=False,
    )
    out.print(
        f"system prompt: {plan.system_tokens} tokens; question: {plan.question_tokens}; "
        f"history: {plan.history_kept} messages, {plan.history_tokens} tokens "
        f"({plan.history_dropped} left out)",
        markup=False,
    )
    for section in plan.sections:
        out.print(
            f"[{section.status}] {section.title}: {section.tokens}/{section.original_tokens} "
            "tokens",
            markup=False,
        )
    out.print("\n--- messages as sent ---", markup=False)
    for message in plan.messages:
        out.print(f"\n[{message.role}]\n{message.content}", markup=False, highlight=False)


def _emit(payload: dict[str, Any]) -> None:
    import json

    sys.stdout.write(json.dumps(payload) + "\n")
    sys.stdout.flush()


async def _stream(answer: Answer, as_json: bool, live: bool) -> Stats | None:
    """Show an answer as it comes: NDJSON events, live Markdown, or plain text."""
    import contextlib

    from sector_cli.assistant.mentions import Grounding
    from sector_cli.assistant.service import Notice, Sources, Stats
    from sector_cli.errors import SectorError
    from sector_cli.plugins.backend import Done, Token

    text, stats, finished, cut = "", None, False, False
    renderer = _LiveMarkdown() if live else None
    try:
        async with contextlib.aclosing(answer.events) as events:
            async for event in events:
                if as_json:
                    _emit(answer.wire(event))
                elif isinstance(event, Sources | Grounding | Notice):
                    if renderer:  # the answer is whole: print it before what follows it
                        renderer.stop(text)
                        renderer = None
                    elif text and not text.endswith("\n"):
                        sys.stdout.write("\n")
                        text += "\n"
                    _show_checks(event)
                elif isinstance(event, Token):
                    text += event.text
                    if renderer:
                        renderer.update(text)
                    else:
                        sys.stdout.write(event.text)
                        sys.stdout.flush()
                finished = finished or isinstance(event, Done)
                cut = cut or (isinstance(event, Done) and event.finish_reason == "length")
                if isinstance(event, Stats):
                    stats = event
    except SectorError as error:
        if as_json:
            _emit(answer.error_wire(error))
        raise
    except BrokenPipeError:
        raise ReaderLeft from None
    finally:
        if renderer:
            renderer.stop(text)
        elif not as_json and text and not text.endswith("\n"):
            with contextlib.suppress(BrokenPipeError):
                sys.stdout.write("\n")
        if as_json and not finished:  # stopped: the stream still says how it ended
            with contextlib.suppress(BrokenPipeError):
                _emit(answer.stopped_wire())
        if cut and not as_json:
            sys.stderr.write(CUT_NOTE)
    return stats


CUT_NOTE = (
    "cut off: the answer reached --max-tokens and is incomplete (kept as truncated); "
    "ask again with a larger --max-tokens, or set assistant.max_tokens\n"
)


def _show_checks(event: Sources | Grounding | Notice) -> None:
    """The Sources block (stdout: it belongs to the answer), then the grounding check's
    flags and the model's notice (stderr, like every other warning)."""
    from sector_cli.assistant.mentions import Grounding
    from sector_cli.assistant.service import Notice

    if isinstance(event, Notice):
        sys.stderr.write(f"note: {event.text}\n")
        return

    if isinstance(event, Grounding):
        flagged = event.unsupported
        if flagged:
            sys.stderr.write(
                f"grounding: {len(flagged)} of {len(event.sentences)} sentences are not "
                "supported by the sources:\n"
            )
            for check in flagged:
                sys.stderr.write(f"  ! {check.sentence} ({check.reason})\n")
        elif event.sentences:
            sys.stderr.write(f"grounding: all {len(event.sentences)} sentences supported\n")
        return
    sys.stdout.write("\nSources:\n")
    for citation in event.citations:
        mark = "" if citation.number in event.cited else "  (not cited)"
        sys.stdout.write(f"  [{citation.number}] {citation.label}{mark}\n")
    sys.stdout.flush()


class _LiveMarkdown:
    """Markdown drawn as it streams, kept within the screen (a taller answer would be drawn
    again and again), then printed whole once it is complete."""

    def __init__(self) -> None:
        from rich.live import Live
        from rich.markdown import Markdown

        self._markdown = Markdown
        self.live = Live(
            console=console(), refresh_per_second=12, transient=True, vertical_overflow="crop"
        )
        self.live.start()

    def update(self, text: str) -> None:
        self.live.update(self._markdown(text))

    def stop(self, text: str) -> None:
        self.live.stop()
        if text:
            console().print(self._markdown(text))


def _stats_line(stats: Stats) -> str:
    ttft = f"{stats.time_to_first_token:.2f}s" if stats.time_to_first_token is not None else "-"
    rate = f"{stats.tokens_per_second:.1f} tok/s" if stats.tokens_per_second else "- tok/s"
    return (
        f"first token {ttft} · {rate} · {stats.completion_tokens} tokens · "
        f"{stats.seconds:.2f}s · {stats.backend} · {stats.model}"
    )


def answer_once(assistant: Assistant, answer: Answer, as_json: bool, verbose: bool) -> Stats | None:
    """Stream one answer; Ctrl-C (or SIGTERM) stops it and keeps what came."""
    import asyncio
    import signal

    live = not as_json and sys.stdout.isatty()
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # stop like Ctrl-C, and save
    try:
        stats = asyncio.run(_stream(answer, as_json, live))
    except KeyboardInterrupt:
        sys.stderr.write(
            f"\ninterrupted: the partial answer is kept in conversation #{answer.conversation_id}\n"
        )
        raise typer.Exit(EXIT_INTERRUPTED) from None
    except ReaderLeft:
        leave_quietly()
    if verbose and stats and not as_json:
        sys.stderr.write(_stats_line(stats) + "\n")
    return stats


def ask(
    question: Annotated[
        str,
        typer.Argument(
            help="Your question; mentions: @file:PATH[:A-B] @run:ID @project @context @doc:NAME."
        ),
    ],
    backend: BackendOpt = None,
    model: ModelOpt = None,
    continue_: Annotated[
        bool, typer.Option("--continue", "-c", help="Continue the latest conversation.")
    ] = False,
    conversation: Annotated[
        int | None, typer.Option("--conversation", help="Continue this conversation.")
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what would be sent, section by section.")
    ] = False,
    temperature: Annotated[float | None, typer.Option("--temperature", help="0 to 2.")] = None,
    max_tokens: Annotated[int | None, typer.Option("--max-tokens", help="Longest answer.")] = None,
    seed: Annotated[int | None, typer.Option("--seed", help="Fixed seed (repeatable).")] = None,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Time to first token, tokens/s, model (stderr).")
    ] = False,
    project: ProjectName = None,
    as_json: Json = False,
) -> None:
    """Ask the assistant; the answer streams as it is written.

    Exit code 0 when the answer finished, 1 when the backend failed, 130 when interrupted.
    """
    from sector_cli.services import open_services

    out = Output(as_json)
    assistant = open_services({"project.default": project}).assistant
    engine = assistant.backend(backend)
    options = assistant.options(model, temperature, max_tokens, seed)
    thread = assistant.thread(conversation, continue_)
    if dry_run:
        chosen, plan = assistant.plan(question, engine, options, thread)
        if as_json:
            out.json(plan.to_wire(chosen, engine.name))
        else:
            _render_plan(plan, chosen, engine.name)
        return
    answer = assistant.ask(question, engine, options, thread)
    for note in answer.plan.notes:
        warn(note, label="note")
    answer_once(assistant, answer, as_json, verbose)


@history_app.command("ls")
def history_ls(
    limit: Annotated[int, typer.Option("--limit", "-n")] = 50, as_json: Json = False
) -> None:
    """Conversations, most recent first."""
    from sector_cli.services import open_services

    out = Output(as_json)
    rows = [
        {"id": c.id, "title": c.title, "messages": n, "updated_at": c.updated_at}
        for c, n in open_services().assistant.conversations(limit)
    ]
    out.table(
        rows,
        [("id", "#"), ("title", "Title"), ("messages", "Messages"), ("updated_at", "Updated")],
        empty='No conversations yet. Try `sector ask "..."`.',
    )


@history_app.command("show")
def history_show(
    conversation_id: Annotated[
        int, typer.Argument(help="Conversation number.", autocompletion=complete_conversation_id)
    ],
    as_json: Json = False,
) -> None:
    """Every message of a conversation, with how each answer was produced."""
    import json

    from sector_cli.services import open_services

    out = Output(as_json)
    assistant = open_services().assistant
    found = assistant.conversation(conversation_id)
    messages = [
        {
            "id": m.id,
            "role": m.role,
            "status": m.status,
            "content": m.content,
            "backend": m.backend,
            "model": m.model,
            "stats": json.loads(m.stats) if m.stats else None,
            # The sources a sourced answer was given, which it cited, and its grounding.
            "checks": json.loads(m.checks) if m.checks else None,
            "created_at": m.created_at,
        }
        for m in assistant.messages(conversation_id)
    ]
    if as_json:
        out.json({"id": found.id, "title": found.title, "messages": messages})
        return
    for message in messages:
        status = "" if message["status"] == "complete" else f" ({message['status']})"
        console().print(f"\n[{message['role']}{status}]", markup=False)
        console().print(message["content"], markup=False, highlight=False)


@history_app.command("rm")
def history_rm(
    conversation_ids: Annotated[
        list[int],
        typer.Argument(help="Conversation numbers.", autocompletion=complete_conversation_id),
    ],
    yes: Yes = False,
    as_json: Json = False,
) -> None:
    """Delete conversations and their messages (all named ones exist, or none is deleted)."""
    from sector_cli.services import open_services

    out = Output(as_json)
    assistant = open_services().assistant
    for cid in conversation_ids:
        assistant.conversation(cid)  # every id is checked before anything is deleted
    names = ", ".join(map(str, conversation_ids))
    confirm_removal(f"Delete conversation(s) {names} and their messages?", yes)
    removed = [assistant.remove(cid).id for cid in conversation_ids]
    out.done(f"Removed conversation(s) {', '.join(map(str, removed))}", {"removed": removed})


@models_app.command("ls")
def models_ls(backend: BackendOpt = None, as_json: Json = False) -> None:
    """The models each backend offers (or one backend's), and whether it answers."""
    from sector_cli.services import open_services

    out = Output(as_json)
    reports = open_services().assistant.model_reports(backend)
    out.table(
        [report.to_wire() for report in reports],
        [
            ("backend", "Backend"),
            ("answers", "Answers"),
            ("shown", "Models"),
            ("problem", "Problem"),
        ],
        empty="No backends registered.",
    )


@models_app.command("pull")
def models_pull(
    name: Annotated[str, typer.Argument(help="Hugging Face OWNER/REPO/FILE.gguf, or a URL.")],
    sha256: Annotated[
        str | None, typer.Option("--sha256", help="Expected sha256 (default: the server's).")
    ] = None,
    as_json: Json = False,
) -> None:
    """Download a GGUF model into Sector's model folder (resumes a cut download)."""
    from sector_cli.assistant.models import pull

    out = Output(as_json)
    if as_json or not sys.stderr.isatty():
        pulled = pull(name, sha256)
    else:
        from rich.progress import DownloadColumn, Progress, TransferSpeedColumn

        with Progress(
            *Progress.get_default_columns(), DownloadColumn(), TransferSpeedColumn()
        ) as bar:
            task = bar.add_task(name.rsplit("/", 1)[-1], total=None)
            pulled = pull(
                name, sha256, lambda done, total: bar.update(task, completed=done, total=total)
            )
    row = {
        "path": str(pulled.path),
        "size": pulled.size,
        "sha256": pulled.sha256,
        "resumed_from": pulled.resumed_from,
    }
    if as_json:
        out.json(row)
        return
    sys.stdout.write(f"{pulled.path} ({pulled.size / 1e6:.0f} MB, sha256 {pulled.sha256[:12]}…)\n")
    sys.stderr.write(f"use it: sector config set local.model_path {pulled.path}\n")


CHAT_HELP = """Commands: /model NAME · /backend NAME · /clear (new conversation) · /save FILE ·
/help · /exit (or Ctrl-D). End a line with \\ to go on to the next; Ctrl-C stops an answer."""


def _read_question(prompt: str) -> str:
    """One question: lines ending in a backslash continue on the next line."""
    lines: list[str] = []
    while True:
        line = input(prompt if not lines else "...> ")
        if line.endswith("\\"):
            lines.append(line[:-1])
            continue
        lines.append(line)
        return "\n".join(lines).strip()


def chat(
    backend: BackendOpt = None,
    model: ModelOpt = None,
    conversation: Annotated[
        int | None, typer.Option("--conversation", help="Continue this conversation.")
    ] = None,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Stats after each answer.")
    ] = False,
    project: ProjectName = None,
) -> None:
    """An interactive conversation with the assistant (history, /model, /backend, /save)."""
    import asyncio
    from pathlib import Path

    from sector_cli.errors import SectorError
    from sector_cli.services import open_services

    Output(False)
    assistant = open_services({"project.default": project}).assistant
    engine = assistant.backend(backend)
    chosen_model = model
    thread = assistant.thread(conversation, continue_latest=False)
    _enable_line_editing()
    sys.stderr.write(
        f"Sector chat · {engine.name} · {chosen_model or engine.default_model()}\n{CHAT_HELP}\n"
    )
    while True:
        try:
            question = _read_question("you> ")
        except (EOFError, KeyboardInterrupt):
            sys.stderr.write("\n")
            return
        if not question:
            continue
        try:
            if question.startswith("/"):
                command, _, argument = question[1:].partition(" ")
                argument = argument.strip()
                if command in {"exit", "quit"}:
                    return
                if command == "help":
                    sys.stderr.write(CHAT_HELP + "\n")
                elif command == "model":
                    chosen_model = argument or chosen_model
                    sys.stderr.write(f"model: {chosen_model or engine.default_model()}\n")
                elif command == "backend" and argument:
                    engine, chosen_model = assistant.backend(argument), None
                elif command == "clear":
                    thread = None
                elif command == "save" and argument:
                    if thread is None or thread.id is None:
                        sys.stderr.write("nothing to save yet\n")
                        continue
                    Path(argument).write_text(assistant.markdown(thread.id), encoding="utf-8")
                    sys.stderr.write(f"saved conversation #{thread.id} to {argument}\n")
                else:
                    sys.stderr.write(f"unknown command: {question}\n{CHAT_HELP}\n")
                continue
            options = assistant.options(chosen_model)
            answer = assistant.ask(question, engine, options, thread)
            thread = assistant.conversation(answer.conversation_id)
            try:
                stats = asyncio.run(_stream(answer, False, sys.stdout.isatty()))
            except KeyboardInterrupt:
                sys.stderr.write("\n(stopped; the partial answer is kept)\n")
                continue
            if verbose and stats:
                sys.stderr.write(_stats_line(stats) + "\n")
        except SectorError as error:  # say it and stay in the chat
            sys.stderr.write(f"error: {error.one_line()}\n")
        except OSError as error:  # /save to a folder, a full disk: the chat goes on
            sys.stderr.write(f"error: {error}\n")


def _enable_line_editing() -> None:
    import contextlib

    with contextlib.suppress(ImportError):
        import readline  # noqa: F401  (importing it gives input() editing and history)
