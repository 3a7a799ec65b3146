"""Multi-file programs: a run takes its project's (or folder's) files into the sandbox, laid
out as on disk, keeps them as a snapshot for replay, and stores each distinct file once."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.conftest import TEST_IMAGE


@pytest.fixture
def runner_name(runner, monkeypatch) -> str:
    monkeypatch.setenv("SECTOR_DOCKER_IMAGES", f"*={TEST_IMAGE}")
    return runner.name


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


APP = """\
from util import helper
print(helper(), open("data.txt").read().strip())
"""


def project(workdir: Path, sector) -> None:
    """A project: src/app.py imports src/util.py and reads data.txt at the root."""
    assert sector("init").exit_code == 0
    write(workdir / "src" / "util.py", "def helper():\n    return 'helped'\n")
    write(workdir / "src" / "app.py", APP)
    write(workdir / "data.txt", "forty-two\n")


def counts() -> tuple[int, int]:
    """(blobs, run files) in the store."""
    from sqlmodel import func, select

    from sector_cli.services import open_services
    from sector_cli.store.models import Blob, RunFile

    with open_services().store.session() as session:
        blobs = session.exec(select(func.count()).select_from(Blob)).one()
        files = session.exec(select(func.count()).select_from(RunFile)).one()
    return blobs, files


def test_a_project_program_imports_its_sibling_and_reads_data(sector, workdir, runner_name) -> None:
    project(workdir, sector)
    result = sector("run", "src/app.py", "-r", runner_name)
    assert result.exit_code == 0, result.output
    assert result.stdout == "helped forty-two\n"
    shown = json.loads(sector("runs", "show", "1", "--json").stdout)
    assert shown["program"] == "src/app.py"
    assert shown["command"][-1] == "/work/src/app.py"  # the layout of the project
    # the project's own files; Sector's folder (.sector/) stays out
    assert [f["path"] for f in shown["files"]] == ["src/app.py", "data.txt", "src/util.py"]


def test_a_replay_runs_the_snapshot_not_the_disk(sector, workdir, runner_name) -> None:
    project(workdir, sector)
    assert sector("run", "src/app.py", "-r", runner_name).exit_code == 0
    (workdir / "data.txt").write_text("changed since\n")
    (workdir / "src" / "util.py").unlink()
    replay = sector("runs", "replay", "1", "--json")
    assert replay.exit_code == 0, replay.output
    summary = json.loads(replay.stdout.splitlines()[-1])
    assert summary["same_output"] and summary["same_verdict"]
    assert json.loads(sector("runs", "show", "2", "--json").stdout)["stdout"] == (
        "helped forty-two\n"
    )


def test_identical_files_are_stored_once(database_url, sector, workdir, local_runner) -> None:
    project(workdir, sector)
    assert sector("run", "src/app.py", "-r", "local").exit_code == 0
    first_blobs, first_files = counts()
    assert (first_blobs, first_files) == (3, 3)
    assert sector("run", "src/app.py", "-r", "local").exit_code == 0
    assert counts() == (first_blobs, 2 * first_files)  # the second run added no content
    (workdir / "data.txt").write_text("forty-three\n")
    assert sector("run", "src/app.py", "-r", "local").stdout == "helped forty-three\n"
    assert counts() == (first_blobs + 1, 3 * first_files)  # only the changed file
    assert sector("runs", "rm", "1", "2", "--yes").exit_code == 0
    assert counts() == (first_files, first_files)  # what run 3 still uses stays
    assert sector("runs", "rm", "3", "--yes").exit_code == 0
    assert counts() == (0, 0)


def test_running_from_a_subfolder_works_there(sector, workdir, local_runner) -> None:
    assert sector("init").exit_code == 0
    write(workdir / "week1" / "app.py", "print(open('input.txt').read().strip())\n")
    write(workdir / "week1" / "input.txt", "from week one\n")
    os.chdir(workdir / "week1")
    result = sector("run", "app.py", "-r", "local")
    assert result.exit_code == 0, result.output
    assert result.stdout == "from week one\n"


def test_a_loose_file_has_its_folder(sector, tmp_path, monkeypatch, runner_name) -> None:
    folder = tmp_path / "loose"
    write(folder / "shapes.py", "def area(w, h):\n    return w * h\n")
    write(folder / "main.py", "from shapes import area\nprint(area(6, 7))\n")
    write(folder / "__pycache__" / "junk.pyc", "ignored")
    write(folder / ".gitignore", "secret.txt\n")
    write(folder / "secret.txt", "not for the sandbox")
    monkeypatch.chdir(tmp_path)
    result = sector("run", "loose/main.py", "-r", runner_name)
    assert result.exit_code == 0, result.output
    assert result.stdout == "42\n"
    names = {f["path"] for f in json.loads(sector("runs", "show", "1", "--json").stdout)["files"]}
    assert names == {"main.py", "shapes.py", ".gitignore"}


def test_with_adds_files_and_folders(sector, tmp_path, monkeypatch, local_runner) -> None:
    write(
        tmp_path / "prog" / "main.py", "import lib.words as w\nprint(w.WORD, open('n.txt').read())"
    )
    write(tmp_path / "shared" / "lib" / "words.py", "WORD = 'shared'\n")
    write(tmp_path / "data" / "n.txt", "7")
    monkeypatch.chdir(tmp_path / "prog")
    without = sector("run", "main.py", "-r", "local")
    assert without.exit_code == 1 and "ModuleNotFoundError" in without.stderr
    result = sector(
        "run", "main.py", "-r", "local", "--with", "../shared/lib", "-w", "../data/n.txt"
    )
    assert result.exit_code == 0, result.output
    assert result.stdout == "shared 7\n"
    missing = sector("run", "main.py", "-r", "local", "--with", "../nothere")
    assert missing.exit_code == 2 and "--with" in missing.stderr
    assert len(missing.stderr.strip().splitlines()) == 1


def test_the_program_writes_copies_never_the_project(sector, workdir, local_runner) -> None:
    project(workdir, sector)
    write(
        workdir / "src" / "scribble.py",
        "open('data.txt', 'w').write('overwritten')\nopen('out.txt', 'w').write('made')\n"
        "print(open('data.txt').read(), open('out.txt').read())\n",
    )
    result = sector("run", "src/scribble.py", "-r", "local")
    assert result.exit_code == 0, result.output
    assert result.stdout == "overwritten made\n"  # its own files: a writable copy
    assert (workdir / "data.txt").read_text() == "forty-two\n"
    assert not (workdir / "out.txt").exists()


def test_a_crowded_folder_is_bounded(sector, tmp_path, monkeypatch, local_runner) -> None:
    from sector_cli.runs import snapshot

    monkeypatch.setattr(snapshot, "MAX_FILES", 5)
    folder = tmp_path / "downloads"
    for n in range(20):
        write(folder / f"f{n:02}.txt", str(n))
    write(folder / "big.bin", "")
    with (folder / "big.bin").open("wb") as stream:
        stream.truncate(snapshot.MAX_FILE_BYTES + 1)
    write(folder / "run.py", "import os\nprint(len(os.listdir('.')))")
    monkeypatch.chdir(tmp_path)
    result = sector("run", "downloads/run.py", "-r", "local")
    assert result.exit_code == 0, result.output
    assert result.stdout == "5\n"
    said = " ".join(result.stderr.split())  # warnings fold at the terminal's width
    assert "left out 1 file over 4 MiB" in said and "at most 5 files" in said


def test_a_program_directly_in_tmp_runs_alone(sector, workdir, local_runner) -> None:
    import tempfile
    import uuid

    program = Path(tempfile.gettempdir()) / f"sector-alone-{uuid.uuid4().hex}.py"
    program.write_text("import os\nprint(os.listdir('.'))")
    try:
        result = sector("run", str(program), "-r", "local")
    finally:
        program.unlink()
    assert result.exit_code == 0, result.output
    assert result.stdout == f"[{program.name!r}]\n"  # none of everyone else's /tmp


def test_sectors_own_home_never_goes_in(sector, sector_home, local_runner) -> None:
    """SECTOR_HOME holds the config with API keys and the database: a program kept there
    runs without them around it."""
    write(sector_home / "config" / "config.toml", "# sk-secret\n")
    made_the_db = sector("run", "-c", "print(1)", "--lang", "python", "-r", "local")
    assert made_the_db.exit_code == 0
    program = write(sector_home / "peek.py", "import os\nprint(sorted(os.listdir('.')))")
    result = sector("run", str(program), "-r", "local")
    assert result.exit_code == 0, result.output
    assert result.stdout == "['peek.py']\n"


def test_with_refuses_sectors_home_and_everyones_folders(
    sector, sector_home, tmp_path, workdir, monkeypatch, local_runner
) -> None:
    write(sector_home / "config" / "config.toml", "# sk-secret\n")
    (workdir / "key.toml").symlink_to(sector_home / "config" / "config.toml")
    monkeypatch.setenv("HOME", str(tmp_path))
    write(workdir / "main.py", "print(1)")
    for given in (str(sector_home), str(sector_home / "config"), "key.toml", "/", str(tmp_path)):
        result = sector("run", "main.py", "-r", "local", "--with", given)
        assert result.exit_code == 2, (given, result.output)
        assert "--with" in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_secret_looking_files_stay_out_unless_given(
    sector, tmp_path, monkeypatch, local_runner
) -> None:
    """A loose program in a folder with .env or a private key: those are not its
    surroundings; `--with` takes one on purpose."""
    folder = tmp_path / "scratch"
    write(folder / ".env", "OPENAI_API_KEY=sk-secret\n")
    write(folder / "id_ed25519", "-----BEGIN OPENSSH PRIVATE KEY-----\n")
    write(folder / "notes.txt", "kept")
    write(folder / "main.py", "import os\nprint(sorted(os.listdir('.')))")
    monkeypatch.chdir(folder)
    result = sector("run", "main.py", "-r", "local")
    assert result.exit_code == 0, result.output
    assert result.stdout == "['main.py', 'notes.txt']\n"
    assert "left out 2 files that look like secrets" in " ".join(result.stderr.split())
    given = sector("run", "main.py", "-r", "local", "--with", ".env")
    assert given.stdout == "['.env', 'main.py', 'notes.txt']\n"


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_run_storing_a_blob_that_rm_is_collecting_keeps_it(database_url) -> None:
    """`runs rm` collects a blob while a new run takes the same content: the new run waits
    for the collection and stores the content again, instead of pointing at nothing."""
    import threading

    from sqlmodel import Session

    from sector_cli.services import open_services
    from sector_cli.store import blobs
    from sector_cli.store.models import Run

    store = open_services().store

    def new_run(session: Session) -> int:
        run = Run(language="python", runner="local", source="x", job=b"{}")
        session.add(run)
        session.flush()
        assert run.id is not None
        return run.id

    with store.session() as session:
        old = new_run(session)
        blobs.save_files(session, old, {"a.txt": b"shared"})
    errors: list[BaseException] = []
    with Session(store.engine) as collecting:
        collecting.delete(collecting.get(Run, old))
        collecting.flush()
        assert blobs.remove_unused(collecting) == 1  # deleted, not committed yet

        def store_again() -> None:
            try:
                with store.session() as session:
                    blobs.save_files(session, new_run(session), {"b.txt": b"shared"})
            except BaseException as error:  # shown by the assert below
                errors.append(error)

        thread = threading.Thread(target=store_again)
        thread.start()
        thread.join(timeout=3)  # it waits on the collector's lock (or has already failed)
        collecting.commit()
    thread.join(timeout=30)
    assert not errors, errors
    with store.session() as session:
        assert blobs.load_files(session, old + 1) == {"b.txt": b"shared"}
