"""The installed `sector` command as a real subprocess: exit codes, streams, colour, help."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from sector_cli import __version__

SECTOR = Path(sys.executable).with_name("sector")
HEAVY = {
    "torch",
    "sentence_transformers",
    "lancedb",
    "llama_cpp",
    "textual",
    "fastapi",
    "pygls",
    "docker",
    "weasyprint",
    "transformers",
    "pyarrow",
    "tree_sitter",
    "pypdf",
    "docx",
    "mcp",
}
STORAGE = {"sqlalchemy", "sqlmodel", "alembic", "pydantic", "psycopg"}
FRONT_ENDS = {"typer", "rich", "textual", "pygls", "fastapi", "uvicorn"}


def run(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None):
    return subprocess.run(
        [str(SECTOR), *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=60,
        env={**os.environ, **(env or {})},
    )


def test_version_and_help() -> None:
    assert run("--version").stdout.strip() == f"sector {__version__}"
    helped = run("--help")
    assert helped.returncode == 0
    for command in ("init", "project", "file", "config", "doctor", "plugins", "db"):
        assert command in helped.stdout
    assert "sector config --help" in helped.stdout
    assert "SECTOR_HOME" in run("config", "--help").stdout


def test_shell_completion_script() -> None:
    # --show-completion names the shell it runs in (typer asks the process tree), so run it
    # from bash itself (not exec-ed by it): under make or sh, "Shell sh not supported"
    result = subprocess.run(
        ["bash", "-c", f"{SECTOR} --show-completion; exit $?"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0 and "_SECTOR_COMPLETE" in result.stdout, result.stderr


def test_usage_error_exits_2() -> None:
    result = run("project", "frobnicate")
    assert result.returncode == 2
    assert result.stdout == ""


def test_a_whole_session_through_the_real_command(workdir: Path) -> None:
    (workdir / "hello.py").write_text("print('hello')\n")
    assert run("init", cwd=workdir).returncode == 0
    added = run("file", "add", "hello.py", "--json", cwd=workdir)
    assert added.returncode == 0 and json.loads(added.stdout)["added"] == 1
    listed = run("file", "ls", cwd=workdir)
    assert "hello.py" in listed.stdout and "python" in listed.stdout
    assert "\x1b[" not in listed.stdout  # not a terminal: no escape codes


def test_errors_are_one_line_on_stderr_and_json_when_asked(workdir: Path) -> None:
    plain = run("file", "add", "ghost.py", cwd=workdir)
    assert plain.returncode == 2 and plain.stdout == ""
    assert plain.stderr.count("\n") == 1 and plain.stderr.startswith("error: ")
    as_json = run("config", "get", "no.such", "--json", cwd=workdir)
    error = json.loads(as_json.stderr)
    assert as_json.returncode == 2 and error["exit_code"] == 2 and error["hint"]


def test_debug_shows_the_traceback(workdir: Path) -> None:
    result = run("config", "get", "no.such", cwd=workdir, env={"SECTOR_DEBUG": "1"})
    assert result.returncode != 0
    assert "Traceback" in result.stderr and "ConfigError" in result.stderr


def test_no_color_is_respected(workdir: Path) -> None:
    env = {"NO_COLOR": "1", "FORCE_COLOR": "", "TERM": "xterm-256color"}
    result = run("plugins", "ls", cwd=workdir, env=env)
    assert "\x1b[" not in result.stdout


def _modules_after(args: list[str], imports: str = "") -> set[str]:
    code = (
        "import sys\n" + imports + "\n"
        f"sys.argv = ['sector', *{args!r}]\n"
        "from sector_cli.__main__ import main\n"
        "try:\n    main() if sys.argv[1:] else None\nexcept SystemExit:\n    pass\n"
        "sys.stderr.write('\\n'.join(sorted(sys.modules)))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    return {name.split(".")[0] for name in done.stderr.splitlines()}


def test_help_imports_nothing_heavy() -> None:
    loaded = _modules_after(["--help"])
    assert not loaded & HEAVY, loaded & HEAVY
    assert not loaded & STORAGE, f"--help should not load storage: {loaded & STORAGE}"


@pytest.mark.parametrize(
    "module",
    [
        "sector_cli.services",
        "sector_cli.workspace.files",
        "sector_cli.workspace.projects",
        "sector_cli.doctor",
        "sector_cli.plugins.registry",
        "sector_cli.config.settings",
        "sector_cli.context.service",
        "sector_cli.context.mention",
        "sector_cli.context.sessions",
    ],
)
def test_core_never_imports_a_front_end(module: str) -> None:
    code = f"import sys, {module}; sys.stderr.write('\\n'.join(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    loaded = {name.split(".")[0] for name in done.stderr.splitlines()}
    assert not loaded & (FRONT_ENDS | HEAVY), loaded & (FRONT_ENDS | HEAVY)
