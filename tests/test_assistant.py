"""`sector ask` and friends with the real bundled model (llama.cpp), a real OpenAI-compatible
server (llama_cpp.server), and a stand-in Ollama server."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fakes.faulty_proxy import faulty_proxy
from tests.fakes.ollama import MODEL, fake_ollama

SECTOR = Path(sys.executable).with_name("sector")
DETERMINISTIC = ["--temperature", "0", "--seed", "7", "--max-tokens", "48"]


def events(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def answer_text(result) -> str:
    return "".join(e["text"] for e in events(result.stdout) if e["event"] == "token")


def test_local_model_streams_ndjson_and_is_repeatable(sector, workdir, bundled_model) -> None:
    first = sector("ask", "What is a Python list? One sentence.", *DETERMINISTIC, "--json")
    assert first.exit_code == 0, first.output
    stream = events(first.stdout)
    kinds = [e["event"] for e in stream]
    assert kinds[0] == "token" and kinds[-4:] == ["usage", "done", "stats", "notice"]
    assert stream[-2]["backend"] == "local" and stream[-2]["completion_tokens"] > 0
    again = sector("ask", "What is a Python list? One sentence.", *DETERMINISTIC, "--json")
    assert answer_text(again) == answer_text(first) != ""


def test_plain_output_when_piped_and_stats_on_stderr(sector, workdir, bundled_model) -> None:
    result = sector("ask", "Say hello.", *DETERMINISTIC, "-v")
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() and "first token" not in result.stdout
    assert "first token" in result.stderr and "tok/s" in result.stderr and "local" in result.stderr


def test_conversations_continue_and_are_kept(sector, workdir, bundled_model) -> None:
    sector("ask", "My name is Ada.", *DETERMINISTIC)
    follow = sector("ask", "What is my name?", *DETERMINISTIC, "--continue", "--dry-run", "--json")
    plan = json.loads(follow.stdout)
    assert plan["history_kept"] == 2
    assert [m["role"] for m in plan["messages"]] == ["system", "user", "assistant", "user"]
    assert sector("ask", "What is my name?", *DETERMINISTIC, "--continue").exit_code == 0
    listed = json.loads(sector("history", "ls", "--json").stdout)
    assert len(listed) == 1 and listed[0]["messages"] == 4
    shown = json.loads(sector("history", "show", str(listed[0]["id"]), "--json").stdout)
    assert [m["status"] for m in shown["messages"]] == ["complete"] * 4
    assert shown["messages"][1]["stats"]["backend"] == "local"
    assert sector("history", "rm", str(listed[0]["id"]), "--yes").exit_code == 0
    assert json.loads(sector("history", "ls", "--json").stdout) == []


def test_dry_run_shows_sections_with_token_counts(sector, workdir, bundled_model) -> None:
    (workdir / "loop.py").write_text("i = 0\nwhile i < 10:\n    print(i)\n")
    result = sector("ask", "why does @file:loop.py:2-3 never end?", "--dry-run", "--json")
    plan = json.loads(result.stdout)
    (section,) = plan["sections"]
    assert section["title"] == "File loop.py:2-3" and section["status"] == "included"
    assert "   2 | while i < 10:" in section["text"] and "i = 0" not in section["text"]
    assert (
        section["tokens"] > 0
        and plan["messages"][-1]["content"] == "why does loop.py:2-3 never end?"
    )
    human = sector("ask", "why does @file:loop.py never end?", "--dry-run")
    assert (
        "[included] File loop.py:1-3" in human.stdout and "--- messages as sent ---" in human.stdout
    )


def test_what_does_not_fit_is_cut_or_left_out_and_said(
    sector, workdir, bundled_model, monkeypatch
) -> None:
    monkeypatch.setenv("SECTOR_LOCAL_CONTEXT", "512")
    (workdir / "big.py").write_text("".join(f"value_{n} = {n} * {n}\n" for n in range(400)))
    result = sector("ask", "explain @file:big.py", "--dry-run", "--json", "--max-tokens", "128")
    plan = json.loads(result.stdout)
    (section,) = plan["sections"]
    assert section["status"] == "truncated" and "cut to fit" in section["text"]
    assert plan["prompt_tokens"] <= 512 - 128
    assert plan["notes"] and "truncated" in plan["notes"][0]


def test_a_question_longer_than_the_context_is_refused(
    sector, workdir, bundled_model, monkeypatch
) -> None:
    monkeypatch.setenv("SECTOR_LOCAL_CONTEXT", "256")
    result = sector("ask", "why " * 400, "--max-tokens", "64")
    assert result.exit_code == 2
    assert "tokens" in result.stderr and "Shorten the question" in result.stderr


def test_run_and_project_mentions(database_url, sector, workdir, bundled_model) -> None:
    from sector_cli.plugins.runner import RunJob
    from sector_cli.services import open_services
    from sector_cli.store.models import Run, RunEventRow

    sector("init")
    (workdir / "sorting.py").write_text("def bubble_sort(items):\n    return sorted(items)\n")
    (workdir / "other.py").write_text("print('unrelated')\n")
    sector("file", "add", "sorting.py", "other.py")
    store = open_services().store
    with store.session() as session:
        files = {"main.py": b"import util\nprint(1/0)", "util.py": b"X = 1\n", "data.bin": b"\0\1"}
        job = RunJob("python", files, ["python3", "/work/main.py"])
        run = Run(
            source="main.py",
            language="python",
            runner="local",
            job=job.to_json(),
            verdict="wrong-exit",
            exit_code=1,
            wall=0.02,
        )
        session.add(run)
        session.flush()
        session.add(
            RunEventRow(
                run_id=run.id,
                seq=1,
                t=0.01,
                kind="stderr",
                data=b"ZeroDivisionError: division by zero\n",
            )
        )
        run_id = run.id
    asked = sector("ask", f"what failed in @run:{run_id}?", "--dry-run", "--json")
    assert asked.exit_code == 0, asked.output
    plan = json.loads(asked.stdout)
    titles = [s["title"] for s in plan["sections"]]
    assert titles == [
        f"Run #{run_id} result",
        f"Run #{run_id} file main.py",  # the program first, binary data left out
        f"Run #{run_id} file util.py",
        f"Run #{run_id} input",
        f"Run #{run_id} output",
    ]
    assert "ZeroDivisionError" in plan["sections"][4]["text"]
    plan = json.loads(
        sector("ask", "how does bubble_sort work? @project", "--dry-run", "--json").stdout
    )
    titles = [s["title"] for s in plan["sections"]]
    assert titles[0] == "Project work: files" and titles[1] == "File sorting.py"


@pytest.mark.parametrize(
    ("question", "words"),
    [
        ("@file:missing.py why?", ["missing.py does not exist"]),
        ("@run:9999 why?", ["no run #9999"]),
        ("@run:abc", ["@run needs a run number"]),
        ("@file:x.py:9-3", []),
    ],
)
def test_bad_mentions_are_usage_errors(sector, workdir, bundled_model, question, words) -> None:
    (workdir / "x.py").write_text("a = 1\n")
    result = sector("ask", question, "--dry-run")
    assert result.exit_code == 2, result.output
    for word in words:
        assert word in result.stderr


def test_email_addresses_and_unknown_mentions_stay_text(sector, workdir, bundled_model) -> None:
    plan = json.loads(
        sector("ask", "mail me@file.com about @nothing", "--dry-run", "--json").stdout
    )
    assert (
        plan["sections"] == []
        and plan["messages"][-1]["content"] == "mail me@file.com about @nothing"
    )


def test_models_ls(sector, workdir, bundled_model) -> None:
    with fake_ollama() as server:
        os.environ["OLLAMA_HOST"] = server.host
        try:
            rows = {r["backend"]: r for r in json.loads(sector("models", "ls", "--json").stdout)}
        finally:
            del os.environ["OLLAMA_HOST"]
    assert rows["local"]["models"] == [bundled_model.stem]
    assert rows["ollama"]["models"] == [MODEL] and rows["ollama"]["answers"]


# OpenAI-compatible: the real llama_cpp.server, and faults injected in front of it ------------


def test_openai_backend_streams_from_a_real_server(
    sector, workdir, llama_server, monkeypatch
) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", llama_server)
    result = sector("ask", "Say hi.", "-b", "openai", *DETERMINISTIC, "--json")
    assert result.exit_code == 0, result.output
    stream = events(result.stdout)
    assert answer_text(result) and stream[-1]["backend"] == "openai"
    assert stream[-1]["completion_tokens"] > 0  # counted from the stream when not reported


def test_openai_server_down(sector, workdir, monkeypatch) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    result = sector("ask", "hi", "-b", "openai", "-m", "any")
    assert result.exit_code == 1
    assert "cannot reach http://127.0.0.1:9/v1" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("fault", "exit_code", "words", "status"),
    [
        ("500-once", 0, [], "complete"),  # retried before the first token
        ("500", 1, ["HTTP 500", "injected failure"], "error"),
        ("401", 1, ["refused the API key", "OPENAI_API_KEY"], "error"),
        ("cut", 1, ["broke mid-answer"], "error"),
        ("malformed", 1, ["malformed stream chunk"], "error"),
        ("error-event", 1, ["the model crashed"], "error"),
    ],
)
def test_openai_faults(
    sector, workdir, llama_server, monkeypatch, fault, exit_code, words, status
) -> None:
    with faulty_proxy(llama_server.removesuffix("/v1"), fault) as proxy:
        monkeypatch.setenv("OPENAI_BASE_URL", proxy.base_url)
        result = sector("ask", "Count to twenty.", "-b", "openai", "-m", "m", *DETERMINISTIC)
    assert result.exit_code == exit_code, result.output
    for word in words:
        assert word in result.stderr
    conversation = json.loads(sector("history", "ls", "--json").stdout)[0]["id"]
    shown = json.loads(sector("history", "show", str(conversation), "--json").stdout)
    assert shown["messages"][-1]["status"] == status
    if fault in {"cut", "malformed", "error-event"}:
        assert shown["messages"][-1]["content"]  # the partial answer is kept


# Ollama: the documented API, served by a stand-in -------------------------------------------


def test_ollama_backend(sector, workdir, monkeypatch) -> None:
    with fake_ollama(answer=["Closures ", "capture ", "variables."]) as server:
        monkeypatch.setenv("OLLAMA_HOST", server.host)
        result = sector("ask", "closures?", "-b", "ollama", "--seed", "3", "--json")
        assert result.exit_code == 0, result.output
        assert answer_text(result) == "Closures capture variables."
        usage = next(e for e in events(result.stdout) if e["event"] == "usage")
        assert usage == {"event": "usage", "prompt_tokens": 26, "completion_tokens": 3}
        request = server.requests[-1]
        assert request["model"] == MODEL and request["options"]["seed"] == 3
        assert request["messages"][-1] == {"role": "user", "content": "closures?"}
        missing = sector("ask", "hi", "-b", "ollama", "-m", "mistral")
    assert missing.exit_code == 1 and "ollama pull mistral" in missing.stderr


def test_ollama_down(sector, workdir, monkeypatch) -> None:
    monkeypatch.setenv("OLLAMA_HOST", "127.0.0.1:9")
    result = sector("ask", "hi", "-b", "ollama", "-m", "llama3.2")
    assert result.exit_code == 1 and "ollama serve" in result.stderr


# Ctrl-C in a real process -------------------------------------------------------------------


def test_ctrl_c_keeps_the_partial_answer(workdir, sector_home, bundled_model) -> None:
    proc = subprocess.Popen(
        [
            SECTOR,
            "ask",
            "Count from one to two hundred, one number per line.",
            "--max-tokens",
            "1500",
            "--temperature",
            "0",
            "--json",
        ],
        cwd=workdir,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    for _ in range(5):  # a few tokens have arrived
        assert json.loads(proc.stdout.readline())["event"] == "token"
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    shown = subprocess.run(
        [SECTOR, "history", "show", "1", "--json"], cwd=workdir, capture_output=True, text=True
    )
    answer = json.loads(shown.stdout)["messages"][-1]
    assert answer["status"] == "interrupted" and answer["content"]


def test_chat_in_a_terminal(workdir, sector_home, bundled_model) -> None:
    from tests.test_runs import read_until, spawn_in_terminal

    pid, fd = spawn_in_terminal(["chat", "-v"], workdir)
    assert b"you> " in read_until(fd, b"you> ")
    os.write(fd, b"Name one sorting algorithm.\n")
    assert b"tok/s" in read_until(fd, b"tok/s", timeout=60)
    os.write(fd, b"/save talk.md\n")
    assert b"saved conversation #1" in read_until(fd, b"saved")
    os.write(fd, b"/exit\n")
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    saved = (workdir / "talk.md").read_text()
    assert saved.startswith("# Name one sorting algorithm.") and "## Sector (local," in saved


# Found by review -------------------------------------------------------------------------


def test_the_plan_leaves_room_for_the_chat_template(
    sector, workdir, bundled_model, monkeypatch
) -> None:
    monkeypatch.setenv("SECTOR_LOCAL_CONTEXT", "300")
    (workdir / "big.py").write_text("".join(f"v{n} = {n}\n" for n in range(500)))
    result = sector("ask", "@file:big.py explain", "--max-tokens", "16", "--temperature", "0")
    assert result.exit_code == 0, result.output
    assert "note: File big.py" in result.stderr


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--max-tokens", "0"], ["assistant.max_tokens"]),
        (["--max-tokens", "-50"], ["assistant.max_tokens"]),
        (["--temperature", "9"], ["assistant.temperature"]),
        (["--max-tokens", "32768"], ["leaves no room", "--max-tokens"]),
        (["-m", "not-this-model"], ["has no model not-this-model"]),
    ],
)
def test_bad_options(sector, workdir, bundled_model, args, words) -> None:
    result = sector("ask", "hi", *args)
    assert result.exit_code in {1, 2}, result.output
    assert len(result.stderr.strip().splitlines()) == 1
    for word in words:
        assert word in result.stderr


def test_a_file_that_is_not_a_model(sector, workdir, monkeypatch) -> None:
    (workdir / "junk.gguf").write_bytes(os.urandom(4096))
    monkeypatch.setenv("SECTOR_LOCAL_MODEL", str(workdir / "junk.gguf"))
    result = sector("ask", "hi")
    assert result.exit_code == 1 and "cannot load the model junk.gguf" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_odd_questions_and_empty_files(sector, workdir, bundled_model) -> None:
    (workdir / "empty.py").write_text("")
    plan = json.loads(sector("ask", "what is in @file:empty.py", "--dry-run", "--json").stdout)
    assert plan["sections"][0]["text"].endswith("(empty file)\n")
    odd = os.fsdecode(b"caf\xe9 \xff?")
    assert sector("ask", odd, "--dry-run").exit_code == 0


def test_history_sent_back_keeps_roles_alternating(
    sector, workdir, bundled_model, monkeypatch
) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    sector("ask", "first question", *DETERMINISTIC)
    sector("ask", "this one fails", "-b", "openai", "-m", "x", "--continue")
    plan = json.loads(sector("ask", "third", "--continue", "--dry-run", "--json").stdout)
    assert [m["role"] for m in plan["messages"]] == ["system", "user", "assistant", "user"]


def test_json_reports_errors_as_events(sector, workdir, monkeypatch) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    result = sector("ask", "hi", "-b", "openai", "-m", "x", "--json")
    assert result.exit_code == 1
    kinds = [e["event"] for e in events(result.stdout)]
    assert kinds == ["error", "done"]
    assert events(result.stdout)[1]["finish_reason"] == "interrupted"


def test_a_reader_that_leaves_stops_the_answer_quietly(workdir, sector_home, bundled_model) -> None:
    proc = subprocess.Popen(
        [SECTOR, "ask", "Count to one hundred.", "--max-tokens", "400"],
        cwd=workdir,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    proc.stdout.read(5)
    proc.stdout.close()
    _, err = proc.communicate(timeout=60)
    assert proc.returncode in {0, 141} and b"error" not in err


# Answers that loop, answers cut at --max-tokens, mentions in the question ---------------------


def repeated_share(text: str, n: int = 4) -> float:
    """The share of the text's n-word phrases that are repeats of an earlier one."""
    words = text.split()
    grams = [tuple(words[i : i + n]) for i in range(len(words) - n + 1)]
    return 1 - len(set(grams)) / len(grams) if grams else 0.0


LOOPING = "Write bubble sort in Python and explain it."  # the bundled model loops on it


def test_the_repetition_penalty_keeps_the_bundled_model_from_looping(
    sector, workdir, bundled_model, monkeypatch
) -> None:
    args = ["--temperature", "0", "--seed", "7", "--max-tokens", "256", "--json"]
    monkeypatch.setenv("SECTOR_REPEAT_PENALTY", "1")  # off: the loop the issue saw
    looping = answer_text(sector("ask", LOOPING, *args))
    monkeypatch.delenv("SECTOR_REPEAT_PENALTY")  # the default
    answered = answer_text(sector("ask", LOOPING, *args))
    assert repeated_share(looping) > 0.15, looping
    assert repeated_share(answered) < 0.05, answered


def test_backends_are_sent_the_repetition_penalty(
    sector, workdir, monkeypatch, llama_server
) -> None:
    with fake_ollama(answer=["fine"]) as server:
        monkeypatch.setenv("OLLAMA_HOST", server.host)
        assert sector("ask", "hi", "-b", "ollama").exit_code == 0
        monkeypatch.setenv("SECTOR_REPEAT_PENALTY", "1.3")
        assert sector("ask", "hi", "-b", "ollama").exit_code == 0
    sent = [r["options"]["repeat_penalty"] for r in server.requests if "options" in r]
    assert sent == [1.15, 1.3]
    assert "from 1 to 2" in sector("config", "set", "assistant.repeat_penalty", "0.5").stderr
    # OpenAI's API has no repeat_penalty: its frequency_penalty, which the real server takes.
    from sector_cli.plugins.backend import GenerateOptions
    from sector_cli.plugins.backends.openai import OpenAIBackend

    payload = OpenAIBackend()._payload([], GenerateOptions("m", repeat_penalty=1.3))
    assert payload["frequency_penalty"] == 0.6
    monkeypatch.setenv("OPENAI_BASE_URL", llama_server)
    result = sector("ask", "Say hi.", "-b", "openai", *DETERMINISTIC)
    assert result.exit_code == 0 and result.stdout.strip(), result.output


def test_an_answer_cut_at_max_tokens_says_so_and_is_not_stored_as_complete(
    sector, workdir, bundled_model
) -> None:
    result = sector("ask", LOOPING, "--temperature", "0", "--max-tokens", "8")
    assert result.exit_code == 0, result.output
    assert "cut off" in result.stderr and "--max-tokens" in result.stderr
    as_json = sector("ask", LOOPING, "--temperature", "0", "--max-tokens", "8", "--json")
    done = next(e for e in events(as_json.stdout) if e["event"] == "done")
    assert done["finish_reason"] == "length" and "cut off" not in as_json.stderr
    conversation = json.loads(sector("history", "ls", "--json").stdout)[0]["id"]
    shown = json.loads(sector("history", "show", str(conversation), "--json").stdout)
    assert [m["status"] for m in shown["messages"]] == ["complete", "truncated"]
    follow = sector("ask", "go on", "--continue", "--dry-run", "--json")
    sent = json.loads(follow.stdout)["messages"]
    assert sent[2]["role"] == "assistant" and "[this answer was cut off]" in sent[2]["content"]


def test_a_mention_leaves_a_readable_reference_in_the_question(
    sector, workdir, bundled_model
) -> None:
    from sector_cli.plugins.runner import RunJob
    from sector_cli.services import open_services
    from sector_cli.store.models import Run

    (workdir / "sorting.py").write_text("def bubble_sort(items):\n    return sorted(items)\n")
    job = RunJob("python", {"sorting.py": b"print(1/0)"}, ["python3", "/work/sorting.py"])
    with open_services().store.session() as session:  # a stored run, whichever sandbox exists
        run = Run(source="sorting.py", language="python", runner="local", job=job.to_json())
        session.add(run)
        session.flush()
        run_id = run.id
    question = f"what went wrong in @run:{run_id} and how? See @file:sorting.py."
    plan = json.loads(sector("ask", question, "--dry-run", "--json").stdout)
    asked = plan["messages"][-1]["content"]
    assert f"what went wrong in run #{run_id} and how? See sorting.py." in asked
    alone = json.loads(sector("ask", "@file:sorting.py", "--dry-run", "--json").stdout)
    assert alone["messages"][-1]["content"].endswith("Explain sorting.py.")


def test_the_bundled_model_says_so_once_per_answer(
    sector, workdir, bundled_model, monkeypatch
) -> None:
    result = sector("ask", "Say hello.", *DETERMINISTIC)
    assert result.exit_code == 0, result.output
    notes = [line for line in result.stderr.splitlines() if "demo model" in line]
    assert len(notes) == 1 and "sector models pull" in notes[0] and "ollama" in notes[0]
    assert "demo model" not in result.stdout
    # The same file under another name is the user's choice of model: nothing to say.
    (workdir / "mine.gguf").symlink_to(bundled_model)
    monkeypatch.setenv("SECTOR_LOCAL_MODEL", str(workdir / "mine.gguf"))
    chosen = sector("ask", "Say hello.", *DETERMINISTIC, "--json")
    assert "notice" not in {e["event"] for e in events(chosen.stdout)}
    monkeypatch.delenv("SECTOR_LOCAL_MODEL")
    with fake_ollama(answer=["Hello."]) as server:
        monkeypatch.setenv("OLLAMA_HOST", server.host)
        other = sector("ask", "Say hello.", "-b", "ollama")
    assert other.exit_code == 0 and "demo model" not in other.stderr


def test_context_answers_on_the_bundled_model_are_short_and_quoted(
    sector, workdir, bundled_model
) -> None:
    (workdir / "notes.md").write_text(
        "# Limits\n\nA run's memory is limited with `sector run --memory 256m prog.py`.\n"
    )
    assert sector("context", "add", "notes.md").exit_code == 0
    question = "@context how do I limit the memory of a run?"
    plan = json.loads(sector("ask", question, "--dry-run", "--json").stdout)
    assert plan["reserved_for_answer"] == 160 and "quoting" in plan["messages"][0]["content"]
    plain = json.loads(sector("ask", "how do I limit memory?", "--dry-run", "--json").stdout)
    assert plain["reserved_for_answer"] == 512 and "quoting" not in plain["messages"][0]["content"]
    answered = sector("ask", question, "--temperature", "0", "--seed", "7", "--json")
    stream = events(answered.stdout)
    usage = next(e for e in stream if e["event"] == "usage")
    assert 0 < usage["completion_tokens"] <= 160
    assert [e["event"] for e in stream].count("notice") == 1
