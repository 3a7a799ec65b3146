"""The text kinds exported: real runs in the local sandbox, real answers of the bundled model
(llama.cpp) with their sources and grounding, and real context search results, written as
HTML and Markdown and read back; and what each refuses, in one line."""

from __future__ import annotations

import json
import os
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from sector_cli.errors import NotFoundError, SectorError, UsageError
from sector_cli.export.kinds import ExportRequest
from sector_cli.export.service import Exports
from sector_cli.services import open_services
from tests.test_context import CLOSURES, SORTING, events

DETERMINISTIC = ["--temperature", "0", "--seed", "7"]


class _Page(HTMLParser):
    """An HTML page's visible text (line numbers of code left out) and its elements."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.tags: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        if self._skip or ("class", "ln") in attrs or tag in ("style", "script"):
            self._skip += 1

    def handle_endtag(self, tag: str) -> None:
        self._skip = max(0, self._skip - 1) if self._skip else 0

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def page(path: Path) -> _Page:
    parsed = _Page()
    parsed.feed(path.read_text(encoding="utf-8"))
    return parsed


def html_text(path: Path) -> str:
    return "".join(page(path).parts)


def export(kind: str, ref: str, out: Path, request: ExportRequest | None = None) -> Path:
    report = Exports(open_services()).export(kind, ref, out=str(out), request=request)
    assert Path(report.path) == out.absolute() and report.size == out.stat().st_size
    return out


def both(kind: str, ref: str, folder: Path) -> tuple[str, str]:
    """The document exported as HTML and as Markdown: (the page's text, the Markdown)."""
    html = export(kind, ref, folder / f"{kind}.html")
    md = export(kind, ref, folder / f"{kind}.md")
    return html_text(html), md.read_text(encoding="utf-8")


def run(sector, *args: str, input: str | None = None) -> int:
    result = sector("run", *args, "--runner", "local", "--json", input=input)
    started = json.loads(result.stdout.splitlines()[0])
    return int(started["run"])


# runs -------------------------------------------------------------------------------------


def test_a_run_has_its_code_input_verdict_timings_and_output(
    sector, workdir, local_runner, tmp_path
) -> None:
    (workdir / "greet.py").write_text(
        "import sys\nfrom helper import shout\nname = input()\nprint(shout(name))\n"
        "print('careful', file=sys.stderr)\n"
    )
    (workdir / "helper.py").write_text("def shout(text):\n    return text.upper() + '!'\n")
    number = run(sector, "greet.py", input="ada\n")
    for text in both("run", str(number), tmp_path):
        assert "import sys" in text and "from helper import shout" in text
        assert "def shout(text):" in text  # the other file of the snapshot
        assert "ada" in text  # the input
        assert "ADA!" in text and "careful" in text  # stdout and stderr
        assert "accepted" in text and "local" in text and "Peak memory" in text
        assert f"run #{number}" in text.replace("\\#", "#")
    md = (tmp_path / "run.md").read_text()
    assert "```python" in md  # the program in its language's colours
    assert md.index("import sys") < md.index("def shout")  # the program first


def test_last_is_the_newest_run_and_unknown_runs_are_one_line(
    sector, workdir, local_runner, tmp_path
) -> None:
    exports = Exports(open_services())
    with pytest.raises(NotFoundError, match="there are no runs yet") as none:
        exports.export("run", "last", out=str(tmp_path / "none.md"))
    assert "sector run FILE" in none.value.hint
    first = run(sector, "-c", "print('first')", "--lang", "python")
    second = run(sector, "-c", "print('second')", "--lang", "python")
    assert second > first
    md = export("run", "last", tmp_path / "last.md").read_text()
    assert "second" in md and "'first'" not in md
    with pytest.raises(NotFoundError, match=f"no run #{second + 10}"):
        exports.export("run", str(second + 10), out=str(tmp_path / "x.md"))
    with pytest.raises(UsageError, match="not a number"):
        exports.export("run", "fib.py", out=str(tmp_path / "x.md"))
    assert not (tmp_path / "x.md").exists()
    result = sector("export", "run", "4242", "-o", str(tmp_path / "y.md"))
    assert result.exit_code == 2 and result.stderr.count("\n") == 1
    assert "no run #4242" in result.stderr and "Traceback" not in result.output


def test_output_that_is_not_utf8_with_control_characters_is_exported_cleanly(
    sector, workdir, local_runner, tmp_path
) -> None:
    code = (
        "import sys\nsys.stdout.buffer.write(b'bad \\xff\\xfe bytes\\n\\x00nul \\x1b[31mred"
        "\\x1b[0m bell\\x07 back\\x08 cr\\r\\n')\n"
        "sys.stderr.buffer.write(b'\\x1b]0;title\\x07err\\n')"
    )
    number = run(sector, "-c", code, "--lang", "python")
    html_page, md = both("run", str(number), tmp_path)
    for text in (html_page, md):
        assert "bad \ufffd\ufffd bytes" in text  # the bytes that are not UTF-8, replaced
        assert "^@nul" in text and "red bell^G" in text and "back^H" in text  # as cat -v
        assert "cr^M" not in text  # \r\n ends a line
        errors = text.split("Errors")[-1]
        assert "err" in errors and "title" not in errors  # a terminal's title sequence dropped
        assert not any(ord(c) < 32 and c not in "\n\t" for c in text)
    raw = (tmp_path / "run.html").read_bytes()
    raw.decode("utf-8")  # the file itself is UTF-8
    assert b"\x1b" not in raw and b"\x00" not in raw


def test_enormous_output_keeps_the_first_lines_and_says_how_to_see_all(
    sector, workdir, local_runner, tmp_path
) -> None:
    number = run(sector, "-c", "for i in range(5000): print('line', i)", "--lang", "python")
    md = export("run", str(number), tmp_path / "big.md").read_text()
    assert "line 0\n" in md and "line 1999\n" in md and "line 2000\n" not in md
    assert "5,000 lines; the first 2,000 are shown" in md
    assert f"sector runs show {number}" in md
    one_line = run(sector, "-c", "print('x' * 300_000)", "--lang", "python")
    md = export("run", str(one_line), tmp_path / "wide.md").read_text()
    assert "300,000 characters on one line" in md and "x" * 200_000 in md
    assert "x" * 200_001 not in md


def test_a_compile_error_shows_the_compiler_output(sector, workdir, local_runner, tmp_path) -> None:
    number = run(sector, "-c", "int main(void) { return nope; }", "--lang", "c")
    md = export("run", str(number), tmp_path / "c.md").read_text()
    assert "compile-error" in md and "## Compiler output" in md and "nope" in md
    assert "```c\n" in md


def test_a_traced_run_shows_the_programs_output_not_the_trace(
    sector, workdir, local_runner, tmp_path
) -> None:
    (workdir / "count.py").write_text("for i in range(3):\n    print('n =', i)\n")
    result = sector("run", "count.py", "--runner", "local", "--trace")
    assert result.exit_code == 0, result.output
    md = export("run", "last", tmp_path / "traced.md").read_text()
    assert "n = 0\nn = 1\nn = 2" in md and "sector export trace" in md
    assert ".sector_tracer.py" not in md and '["c"' not in md


def test_the_cli_reports_what_it_wrote(sector, workdir, local_runner, tmp_path) -> None:
    number = run(sector, "-c", "print('hi from the cli')", "--lang", "python")
    out = tmp_path / "x.md"
    result = sector("export", "run", str(number), "--format", "md", "--out", str(out), "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["path"] == str(out) and report["format"] == "md" and report["kind"] == "run"
    assert report["bytes"] == out.stat().st_size > 0
    assert "hi from the cli" in out.read_text()


# conversations and answers ------------------------------------------------------------


def ask(sector, question: str, *extra: str) -> list[dict]:
    result = sector("ask", question, *DETERMINISTIC, *extra, "--json")
    assert result.exit_code == 0, result.output
    return events(result.stdout)


def done(stream: list[dict]) -> dict:
    return next(e for e in stream if e["event"] == "done")


def history(sector, conversation: int) -> dict:
    return json.loads(sector("history", "show", str(conversation), "--json").stdout)


def test_a_conversation_has_every_message_and_its_stats(
    sector, workdir, bundled_model, tmp_path, monkeypatch
) -> None:
    first = done(ask(sector, "Name one sorting algorithm.", "--max-tokens", "40"))
    ask(sector, "Show it in a Python code block.", "-c", "--max-tokens", "80")
    conversation = first["conversation"]
    messages = history(sector, conversation)["messages"]
    assert len(messages) == 4
    html_page, md = both("conversation", str(conversation), tmp_path)
    for text in (html_page, md):
        assert "Name one sorting algorithm." in text and "Show it in a Python code block." in text
        assert text.count("Sector (local, ") == 2 and "tokens/s" in text
        for answer in messages[1::2]:
            # the answer's words are all there, whatever Markdown they were in
            assert _words(re.sub(r"```\S*", "", answer["content"])) <= _words(text)
    # an enormous conversation stops at the cap, and says where the rest is
    monkeypatch.setattr("sector_cli.export.kinds.conversation.MAX_MESSAGES", 3)
    capped = export("conversation", "last", tmp_path / "capped.md").read_text()
    capped = capped.replace("\\`", "`")  # Markdown's escapes of a note's plain text
    assert f"The first 3 of 4 messages; all of them: `sector history show {conversation}`" in capped
    assert capped.count("## You") == 2 and capped.count("## Sector (") == 1


def _words(text: str) -> set[str]:
    return set(re.findall(r"[A-Za-z]{4,}", text))


def test_an_answer_cut_at_max_tokens_is_marked(sector, workdir, bundled_model, tmp_path) -> None:
    message = done(ask(sector, "Explain recursion in detail.", "--max-tokens", "8"))["message"]
    md = export("answer", str(message), tmp_path / "cut.md").read_text()
    assert "· truncated" in md and "This answer is truncated" in md
    assert "Explain recursion in detail." in md  # the question before it


@pytest.fixture
def notes(sector, workdir: Path, bundled_model) -> Path:
    folder = workdir / "notes"
    folder.mkdir()
    (folder / "closures.md").write_text(CLOSURES)
    (folder / "sorting.txt").write_text(SORTING)
    (folder / "calc.py").write_text(
        'def add(a, b):\n    """Add two numbers."""\n    return a + b\n'
    )
    assert sector("context", "add", "notes").exit_code == 0
    return folder


def test_a_sourced_answer_keeps_and_exports_its_citations_and_grounding(
    sector, notes, tmp_path
) -> None:
    stream = ask(sector, "@context Why do closures made in a loop see the last value?",
                 "--max-tokens", "64")  # fmt: skip
    sources = next(e for e in stream if e["event"] == "sources")
    grounding = next(e for e in stream if e["event"] == "grounding")
    ids = done(stream)
    # what was checked is kept with the answer, as the stream said it
    saved = history(sector, ids["conversation"])["messages"][-1]["checks"]
    assert saved["cited"] == sources["cited"]
    assert [c["label"] for c in saved["citations"]] == [c["label"] for c in sources["citations"]]
    assert saved["grounding"]["sentences"] == grounding["sentences"]
    html_page, md = both("answer", str(ids["message"]), tmp_path)
    for text in (html_page, md):
        text = text.replace("\\[", "[").replace("\\]", "]")
        assert "Why do closures made in a loop see the last value?" in text
        for citation in sources["citations"]:
            assert citation["label"] in text
        for check in grounding["sentences"]:
            assert _words(check["sentence"]) <= _words(text)
        assert "Sources" in text and "Grounding" in text
    rows = [line for line in md.splitlines() if line.startswith("| \\[")]
    for citation in sources["citations"]:
        row = next(r for r in rows if f"`{citation['label']}`" in r)
        assert ("| cited |" in row) == (citation["number"] in sources["cited"])
    unsupported = grounding["unsupported"]
    said = f"{unsupported} of {len(grounding['sentences'])} sentences are not supported"
    assert (said in md) == bool(unsupported)
    assert ("Every sentence" in md) == (not unsupported)
    # the question's own number exports the same exchange
    question = ids["message"] - 1
    again = export("answer", str(question), tmp_path / "question.md").read_text()
    assert again.count("### Sources") == 1 and "closures" in again


def test_arbitrary_stored_markdown_is_exported_as_text(sector, workdir, tmp_path) -> None:
    """What a backend sends is whatever it sends: raw HTML, an unclosed fence, a huge line,
    an old answer saved before checks were kept. It is stored as text and exported as text."""
    from sector_cli.store.models import Conversation, Message

    services = open_services()
    with services.store.session() as session:
        conversation = Conversation(title="odd")
        session.add(conversation)
        session.flush()
        assert conversation.id is not None
        hostile = (
            '<script>alert("x")</script> <img src="http://example.com/t.png">\n\n'
            + "long " * 20_000
            + "\n\nCited [2].\n\n```python\nwhile True:\n    pass\n"
            + "\n\nSources:\n[1] notes/a.md:1-3\n[2] book.pdf, p. 4"
        )
        session.add(Message(conversation_id=conversation.id, role="user", content="hi?"))
        session.add(Message(conversation_id=conversation.id, role="assistant", content=hostile,
                            status="interrupted", backend="openai", model="m"))  # fmt: skip
        number = conversation.id
    out = export("conversation", str(number), tmp_path / "odd.html")
    parsed = page(out)
    text = "".join(parsed.parts)
    assert "script" not in parsed.tags and "img" not in parsed.tags
    assert '<script>alert("x")</script>' in text and "while True:" in text
    assert text.count("long") == 20_000
    assert "This answer is interrupted" in text
    assert "notes/a.md:1-3" in text and "book.pdf, p. 4" in text
    assert "not checked against its sources" in text
    md = export("conversation", str(number), tmp_path / "odd.md").read_text()
    assert "| \\[2\\] | `book.pdf, p. 4` | cited |" in md
    assert "| \\[1\\] | `notes/a.md:1-3` | not cited |" in md


def test_unknown_conversations_and_messages_are_one_line(sector, workdir, tmp_path) -> None:
    exports = Exports(open_services())
    out = str(tmp_path / "x.md")
    for kind, ref, words in [
        ("conversation", "last", "there are no conversations yet"),
        ("answer", "last", "there are no conversations yet"),
        ("conversation", "7", "no conversation #7"),
        ("answer", "7", "no message #7"),
    ]:
        with pytest.raises(NotFoundError, match=words):
            exports.export(kind, ref, out=out)
    with pytest.raises(UsageError, match="not a number"):
        exports.export("answer", "the last one", out=out)
    assert not Path(out).exists()
    result = sector("export", "answer", "99", "-o", out)
    assert result.exit_code == 2 and "no message #99" in result.stderr
    assert "history show" in result.stderr and "Traceback" not in result.output


# search -------------------------------------------------------------------------------------


def test_search_results_have_their_provenance_and_passages(sector, notes, tmp_path) -> None:
    found = json.loads(
        sector("context", "search", "closures in a loop", "-k", "3", "--json").stdout
    )
    request = ExportRequest(limit=3)
    out = export("document", "closures in a loop", tmp_path / "search.md", request).read_text()
    html_out = html_text(export("document", "closures in a loop", tmp_path / "s.html", request))
    for text in (out, html_out):
        for hit in found:
            assert hit["label"] in text and f"{hit['score']:.4f}" in text
            assert "+".join(hit["retrievers"]) in text
        assert "Late binding" in text and "loop variable's last value" in text.replace("\n", " ")
    code = export("document", "add two numbers", tmp_path / "code.md", ExportRequest(limit=1))
    assert '```python\ndef add(a, b):\n    """Add two numbers."""' in code.read_text()


def test_search_of_an_empty_index_names_the_next_step(sector, workdir, tmp_path) -> None:
    with pytest.raises(SectorError, match="the context index is empty") as error:
        Exports(open_services()).export("document", "closures", out=str(tmp_path / "x.md"))
    assert "sector context add PATH" in error.value.hint
    result = sector("export", "document", "   ", "-o", str(tmp_path / "y.md"))
    assert result.exit_code == 2 and "the question is empty" in result.stderr


def test_a_snapshot_shows_its_text_files_and_lists_the_rest(
    sector, workdir, local_runner, tmp_path
) -> None:
    (workdir / "main.py").write_text("print(open('data.bin', 'rb').read()[:2])\n")
    (workdir / "data.bin").write_bytes(b"\x00\x01\x02binary\xff" * 100)
    for index in range(25):
        (workdir / f"note{index:02}.txt").write_text(f"note number {index}\n")
    number = run(sector, "main.py")
    md = export("run", str(number), tmp_path / "files.md").read_text()
    assert "print(open('data.bin'" in md and "b'\\x00\\x01'" in md
    shown = [index for index in range(25) if f"note number {index}\n" in md]
    assert len(shown) == 20  # the files beside the program, at most
    assert "| `data.bin` | 1000 B |" in md  # listed, not shown
    assert "6 more files of the run are listed, not shown" in md


# what is kept of an answer's checks ---------------------------------------------------------


def test_answers_saved_before_checks_were_kept_survive_the_migration(database_url: str) -> None:
    """0006 adds the column; messages saved at 0005 keep their text and have no checks; the
    downgrade takes the column away again, on SQLite and PostgreSQL."""
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import create_engine, inspect, text

    from sector_cli.store import migrate
    from sector_cli.store.engine import Store

    if database_url.startswith("sqlite:///"):
        Path(database_url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(database_url.replace("postgresql://", "postgresql+psycopg://"))

    def alembic(action, target: str) -> None:  # type: ignore[no-untyped-def]
        with engine.begin() as connection:
            config = Config()
            config.set_main_option("script_location", str(migrate.MIGRATIONS_DIR))
            config.attributes["connection"] = connection
            action(config, target)

    alembic(command.upgrade, "0005")
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO conversations (id, title, created_at, updated_at) "
                "VALUES (1, 't', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            )
        )
        connection.execute(text("INSERT INTO messages (conversation_id, role, content, status, "
                                "created_at) VALUES (1, 'assistant', 'kept', 'complete', "
                                "CURRENT_TIMESTAMP)"))  # fmt: skip
    alembic(command.upgrade, "head")
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT content, checks FROM messages")).all()
    assert [tuple(row) for row in rows] == [("kept", None)]
    alembic(command.downgrade, "0005")
    assert "checks" not in {c["name"] for c in inspect(engine).get_columns("messages")}
    alembic(command.upgrade, "head")
    engine.dispose()
    store = Store(database_url)
    assert store.level().up_to_date
    store.close()


def test_checks_that_cannot_be_read_leave_the_answer_readable() -> None:
    from sector_cli.assistant.mentions import Citation, Grounding, SentenceCheck
    from sector_cli.assistant.service import Checks

    citation = Citation(1, "a.md:1-2", "/x/a.md", None, 1, 2, "text")
    checks = Checks([citation], [1], Grounding([SentenceCheck("It is.", True, 1, 0.9, "ok")]))
    assert Checks.from_json(checks.to_json()) == checks
    assert Checks.from_json(Checks([citation], []).to_json()) == Checks([citation], [])
    for broken in (None, "", "{", "[]", '{"citations": [{"number": 1}]}', '{"cited": []}'):
        assert Checks.from_json(broken) is None


def test_a_file_name_that_is_not_utf8_is_shown_replaced(
    sector, workdir, local_runner, tmp_path
) -> None:
    (workdir / "main.py").write_text("import os\nprint(sorted(os.listdir(b'.')))\n")
    (workdir / os.fsdecode(b"caf\xe9.txt")).write_text("latin-1 name\n")
    number = run(sector, "main.py")
    for text in both("run", str(number), tmp_path):
        assert "caf\ufffd.txt" in text and "latin-1 name" in text
        assert "b'caf\\xe9.txt'" in text.replace("\\\\", "\\")  # the program saw the bytes
