"""`sector tui` driven by Pilot: the same app the command builds (`build_app`), the real
services, the real local sandbox. Screens are checked by widget state and SVG text."""

from __future__ import annotations

import html
import re
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from textual.pilot import Pilot

from sector_cli.runs.describe import recorded_verdict_line
from sector_cli.services import open_services
from sector_cli.tui.app import SectorApp, build_app, key_rows
from sector_cli.tui.screens.help import HelpScreen
from sector_cli.tui.screens.no_project import NoProjectScreen
from sector_cli.tui.screens.workspace import WorkspaceScreen
from sector_cli.tui.widgets.file_tree import FileTree
from sector_cli.tui.widgets.run_history import RunHistory
from sector_cli.tui.widgets.run_output import RunOutput
from sector_cli.tui.widgets.run_panel import RunPanel
from sector_cli.tui.widgets.source_view import SourceView
from sector_cli.tui.widgets.stdin_input import StdinInput

pytestmark = pytest.mark.anyio  # anyio's pytest plugin runs the async tests

SIZE = (120, 40)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


FILES = {
    "hello.py": "print('hello from sector')\n",
    "ask.py": "name = input('Name? ')\nprint('hello', name)\n",
    "spin.py": "while True:\n    pass\n",
    "slow.py": "import time\nprint('first', flush=True)\ntime.sleep(1.5)\nprint('second')\n",
    "src/ten.py": (
        "import time\nfor i in range(40):\n    print('tick', i, flush=True)\n    time.sleep(0.25)\n"
    ),
}


@pytest.fixture
def project(workdir: Path, local_runner, monkeypatch: pytest.MonkeyPatch) -> Path:  # type: ignore[no-untyped-def]
    """A project whose FILES are tracked, run with the local sandbox (runs.runner)."""
    monkeypatch.setenv("SECTOR_RUNNER", "local")
    open_services(cwd=workdir).projects.init(workdir)
    for name, code in FILES.items():
        (workdir / name).parent.mkdir(parents=True, exist_ok=True)
        (workdir / name).write_text(code)
    open_services(cwd=workdir).files().add([workdir / name for name in FILES])
    return workdir


@pytest.fixture
def cli_runs(project: Path, sector) -> Path:  # type: ignore[no-untyped-def]
    """The project, with hello.py and spin.py (1 s limit) run by `sector run` before."""
    assert sector("run", "hello.py").exit_code == 0
    assert sector("run", "-t", "1", "spin.py").exit_code == 124
    return project


def app_for(folder: Path) -> SectorApp:
    return build_app(open_services(cwd=folder), folder)


async def until(pilot: Pilot[None], check: Callable[[], bool], timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out waiting for the app"
        await pilot.pause(0.05)


def screen_text(app: SectorApp) -> str:
    """The text of the app's SVG screenshot, in order (segments joined, spaces restored)."""
    svg = app.export_screenshot()
    return html.unescape("".join(re.findall(r"<text[^>]*>([^<]*)</text>", svg))).replace(
        "\xa0", " "
    )


def workspace(app: SectorApp) -> WorkspaceScreen:
    screen = app.screen
    assert isinstance(screen, WorkspaceScreen), screen
    return screen


def output(app: SectorApp) -> str:
    return "\n".join(app.screen.query_one(RunOutput).lines)


def panel(app: SectorApp) -> RunPanel:
    return app.screen.query_one(RunPanel)


async def run_to_end(pilot: Pilot[None], app: SectorApp, file: str) -> str:
    assert workspace(app).open_file(file)
    await pilot.press("f5")
    await until(pilot, lambda: panel(app).worker is not None and not panel(app).running)
    await pilot.pause()
    return panel(app).verdict_text()


async def test_the_tree_lists_tracked_files_with_their_last_verdicts(cli_runs) -> None:
    async with app_for(cli_runs).run_test(size=SIZE) as pilot:
        await pilot.pause()
        entries = {e.path: e for e in app_for_tree(pilot.app).entries()}
        assert set(entries) == set(FILES)
        assert entries["hello.py"].verdict == "accepted"
        assert entries["spin.py"].verdict == "time-limit"
        assert entries["ask.py"].verdict is None and entries["ask.py"].language == "python"
        assert isinstance(pilot.app, SectorApp)
        svg = screen_text(pilot.app)
        assert "hello.py" in svg and "time-limit" in svg and "src/" in svg


def app_for_tree(app: object) -> FileTree:
    assert isinstance(app, SectorApp)
    return app.screen.query_one(FileTree)


async def test_enter_in_the_tree_opens_the_file_with_highlighting(project) -> None:
    async with app_for(project).run_test(size=SIZE) as pilot:
        app = pilot.app
        assert isinstance(app, SectorApp)
        await pilot.pause()
        tree = app.screen.query_one(FileTree)
        assert tree.select_path("ask.py")
        await pilot.press("enter")
        view = app.screen.query_one(SourceView)
        await until(pilot, lambda: view.relative == "ask.py")
        assert view.text_area.text == FILES["ask.py"]
        assert view.text_area.language == "python" and view.text_area.read_only
        assert view.text_area.show_line_numbers
        assert "Name?" in screen_text(app)


async def test_a_run_streams_its_output_then_shows_the_verdict_line(project) -> None:
    async with app_for(project).run_test(size=SIZE) as pilot:
        app = pilot.app
        assert isinstance(app, SectorApp)
        await pilot.pause()
        assert workspace(app).open_file("slow.py")
        await pilot.press("f5")
        await until(pilot, lambda: "first" in output(app))
        assert "second" not in output(app) and panel(app).running  # live, not at the end
        assert panel(app).verdict_text().startswith("running · run #")
        await until(pilot, lambda: not panel(app).running)
        await pilot.pause()
        assert output(app) == "first\nsecond\n"
        verdict = panel(app).verdict_text()
        assert verdict.startswith("accepted · exit 0 · ") and verdict.endswith("(local)")
        run_id = panel(app).run_id
        assert run_id is not None
        assert f"run #{run_id} (local)" in verdict
        recorded = open_services().runs.get(run_id)
        assert recorded.verdict == "accepted"
        assert verdict == recorded_verdict_line(recorded)  # the words `sector run` prints
        history = app.screen.query_one(RunHistory)
        assert history.row_count == 1 and history.selected_run() == run_id
        tree = {e.path: e.verdict for e in app.screen.query_one(FileTree).entries()}
        assert tree["slow.py"] == "accepted"  # the tree follows the run


async def test_an_input_program_reads_what_is_typed_in_the_panel(project) -> None:
    async with app_for(project).run_test(size=SIZE) as pilot:
        app = pilot.app
        assert isinstance(app, SectorApp)
        await pilot.pause()
        assert workspace(app).open_file("ask.py")
        await pilot.press("f5")
        await until(pilot, lambda: "Name? " in output(app))
        assert app.focused is app.screen.query_one(StdinInput)
        await pilot.press(*"Ada", "enter")
        await until(pilot, lambda: not panel(app).running)
        await pilot.pause()
        assert output(app) == "Name? Ada\nhello Ada\n"
        assert panel(app).verdict_text().startswith("accepted")
        run_id = panel(app).run_id
        assert run_id is not None
        details = open_services().runs.details(run_id)
        assert details["stdin"] == "Ada\n"  # kept, so that a replay feeds the same


async def test_ctrl_c_stops_an_endless_run_and_its_verdict_says_so(project) -> None:
    async with app_for(project).run_test(size=SIZE) as pilot:
        app = pilot.app
        assert isinstance(app, SectorApp)
        await pilot.pause()
        assert workspace(app).open_file("spin.py")
        began = time.monotonic()
        await pilot.press("f5")
        await until(pilot, lambda: panel(app).verdict_text().startswith("running"))
        await pilot.pause(0.3)
        await pilot.press("ctrl+c")
        await until(pilot, lambda: not panel(app).running)
        await pilot.pause()
        assert time.monotonic() - began < 8  # well before the 10 s limit
        verdict = panel(app).verdict_text()
        assert verdict.startswith("interrupted · interrupted before the program finished")
        run_id = panel(app).run_id
        assert run_id is not None
        assert open_services().runs.get(run_id).verdict == "interrupted"
        assert "interrupted" in screen_text(app)


async def test_the_app_answers_keys_while_a_ten_second_run_streams(project) -> None:
    async with app_for(project).run_test(size=SIZE) as pilot:
        app = pilot.app
        assert isinstance(app, SectorApp)
        await pilot.pause()
        assert workspace(app).open_file("src/ten.py")
        await pilot.press("f5")
        await until(pilot, lambda: "tick 2" in output(app))
        seen = len(output(app))
        tree = app.screen.query_one(FileTree)
        await pilot.press("f2")
        assert tree.select_path("hello.py")
        pressed = time.monotonic()
        await pilot.press("enter")
        view = app.screen.query_one(SourceView)
        await until(pilot, lambda: view.relative == "hello.py", timeout=2)
        latency = time.monotonic() - pressed
        assert latency < 0.5, latency
        assert view.text_area.text == FILES["hello.py"]
        assert panel(app).running  # the run went on meanwhile, and kept streaming
        await until(pilot, lambda: len(output(app)) > seen + 20)
        await pilot.press("ctrl+c")
        await until(pilot, lambda: not panel(app).running)


async def test_replay_of_a_run_shows_the_comparison(project) -> None:
    async with app_for(project).run_test(size=SIZE) as pilot:
        app = pilot.app
        assert isinstance(app, SectorApp)
        await pilot.pause()
        assert (await run_to_end(pilot, app, "hello.py")).startswith("accepted")
        original = panel(app).run_id
        history = app.screen.query_one(RunHistory)
        history.focus()
        await pilot.press("r")
        await until(pilot, lambda: panel(app).run_id != original and not panel(app).running)
        await until(pilot, lambda: "same output" in output(app))
        text = output(app)
        assert f"replay of run #{original}" in text
        assert "hello from sector\n" in text
        assert "same verdict: accepted -> accepted" in text
        replay = panel(app).run_id
        assert replay is not None
        assert open_services().runs.get(replay).replay_of == original
        assert history.row_count == 2


async def test_enter_on_a_past_run_shows_its_recorded_output(cli_runs) -> None:
    async with app_for(cli_runs).run_test(size=SIZE) as pilot:
        app = pilot.app
        assert isinstance(app, SectorApp)
        await pilot.pause()
        assert workspace(app).open_file("hello.py")
        app.screen.query_one(RunHistory).focus()
        await pilot.press("enter")
        await pilot.pause()
        assert output(app) == "hello from sector\n"
        assert panel(app).verdict_text().startswith("accepted · exit 0 ·")


async def test_a_folder_that_is_not_a_project_offers_init(workdir) -> None:
    async with app_for(workdir).run_test(size=SIZE) as pilot:
        app = pilot.app
        assert isinstance(app, SectorApp)
        await pilot.pause()
        assert isinstance(app.screen, NoProjectScreen)
        svg = screen_text(app)
        assert "is not a Sector project" in svg and "sector init" in svg
        await pilot.press("enter")  # the focused button
        await until(pilot, lambda: isinstance(app.screen, WorkspaceScreen))
        assert open_services(cwd=workdir).projects.current().root == str(workdir)


async def test_a_file_deleted_on_disk_after_opening_is_reported(project) -> None:
    async with app_for(project).run_test(size=SIZE) as pilot:
        app = pilot.app
        assert isinstance(app, SectorApp)
        await pilot.pause()
        assert workspace(app).open_file("hello.py")
        (project / "hello.py").unlink()
        view = app.screen.query_one(SourceView)
        await until(pilot, lambda: view.disk is None, timeout=5)
        await pilot.pause()
        assert view.text_area.text == FILES["hello.py"]  # nothing lost from the screen
        svg = screen_text(app)
        assert "deleted on disk" in svg
        entry = {e.path: e for e in app.screen.query_one(FileTree).entries()}["hello.py"]
        assert entry.missing
        await pilot.press("f5")  # running it says why not, in the panel
        await until(pilot, lambda: "does not exist" in panel(app).verdict_text())
        (project / "hello.py").write_text("print('back')\n")
        await until(pilot, lambda: view.text_area.text == "print('back')\n", timeout=5)


async def test_help_lists_every_key_and_the_palette_runs_the_file(project) -> None:
    async with app_for(project).run_test(size=SIZE) as pilot:
        app = pilot.app
        assert isinstance(app, SectorApp)
        await pilot.pause()
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)
        shown = " ".join(screen_text(app).split())
        rows = key_rows()
        assert {keys for _, keys, _ in rows} >= {"F5, Ctrl+R", "Ctrl+C, F6", "r", "Ctrl+D"}
        for _, keys, what in rows:
            assert keys in shown and what.split()[0] in shown, (keys, what)
        await pilot.press("escape")
        assert isinstance(app.screen, WorkspaceScreen)
        assert workspace(app).open_file("hello.py")
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"Run file")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await until(pilot, lambda: panel(app).worker is not None and not panel(app).running)
        await pilot.pause()
        assert output(app) == "hello from sector\n"


@pytest.mark.parametrize("size", [(60, 20), (80, 24)])
async def test_a_small_terminal_still_shows_every_part(project, size) -> None:
    async with app_for(project).run_test(size=size) as pilot:
        app = pilot.app
        assert isinstance(app, SectorApp)
        await pilot.pause()
        verdict = await run_to_end(pilot, app, "hello.py")
        assert verdict.startswith("accepted")
        for part in (FileTree, SourceView, RunOutput, StdinInput):
            region = app.screen.query_one(part).region
            assert region.width > 0 and region.height > 0, part
        svg = screen_text(app)
        assert "hello.py" in svg and "accepted" in svg


async def test_the_mouse_opens_a_file_and_shows_a_past_run(cli_runs) -> None:
    async with app_for(cli_runs).run_test(size=SIZE) as pilot:
        app = pilot.app
        assert isinstance(app, SectorApp)
        await pilot.pause()
        tree = app.screen.query_one(FileTree)
        line = next(
            i
            for i in range(10)
            if (n := tree.get_node_at_line(i)) and n.data and n.data.path == "hello.py"
        )
        assert await pilot.click(FileTree, offset=(6, line))
        view = app.screen.query_one(SourceView)
        await until(pilot, lambda: view.relative == "hello.py")
        history = app.screen.query_one(RunHistory)
        await pilot.pause()
        assert await pilot.click(RunHistory, offset=(2, 1))  # the first row, under the header
        await pilot.pause()
        await pilot.click(RunHistory, offset=(2, 1))  # a click on the selected row shows it
        await until(pilot, lambda: output(app) == "hello from sector\n")
        assert history.selected_run() == 1


def test_the_docs_list_every_key() -> None:
    docs = (Path(__file__).resolve().parent.parent / "docs" / "tui.md").read_text()
    for where, keys, what in key_rows():
        assert f"| {where} | {keys} | {what} |" in docs, "docs/tui.md: update the key map"


async def test_a_runner_that_is_down_is_said_in_the_panel(project, monkeypatch) -> None:
    monkeypatch.setenv("SECTOR_RUNNER", "docker")
    monkeypatch.setenv("DOCKER_HOST", f"unix://{project}/no-engine.sock")
    async with app_for(project).run_test(size=SIZE) as pilot:
        app = pilot.app
        assert isinstance(app, SectorApp)
        await pilot.pause()
        assert workspace(app).open_file("hello.py")
        await pilot.press("f5")
        await until(pilot, lambda: "Docker engine" in panel(app).verdict_text())
        await until(pilot, lambda: not panel(app).running)
        said = panel(app).verdict_text()
        assert said.startswith("no Docker engine answers at") and "sector doctor" in said
        assert output(app) == "" and open_services().runs.history() == []  # refused: not kept
        await pilot.press("f1")  # the app goes on
        assert isinstance(app.screen, HelpScreen)
