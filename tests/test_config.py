"""Settings: precedence, files, validation, and the `sector config` commands."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from sector_cli.config import paths
from sector_cli.config.settings import load_settings
from sector_cli.errors import ConfigError


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_then_user_then_project_then_env_then_flag(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert load_settings().get("files.max_size") == 2 * 1024 * 1024
    write(paths.user_config_file(), "[files]\nmax_size = 100\n")
    assert load_settings().layer_of("files.max_size").name == "user"
    write(workdir / ".sector" / "config.toml", "[files]\nmax_size = '1k'\n")
    settings = load_settings()
    assert settings.get("files.max_size") == 1024
    assert settings.layer_of("files.max_size").name == "project"
    monkeypatch.setenv("SECTOR_FILES_MAX_SIZE", "2M")
    assert load_settings().get("files.max_size") == 2 * 1024 * 1024
    flagged = load_settings(flags={"files.max_size": 7})
    assert (flagged.get("files.max_size"), flagged.layer_of("files.max_size").name) == (7, "flag")


def test_project_settings_found_from_a_subfolder(workdir: Path) -> None:
    write(workdir / ".sector" / "config.toml", "[files]\nmax_size = 321\n")
    nested = workdir / "a" / "b"
    nested.mkdir(parents=True)
    settings = load_settings(cwd=nested)
    assert settings.project_folder is not None
    assert settings.project_folder.root == workdir.resolve()
    assert settings.get("files.max_size") == 321


def test_pyproject_tool_sector_table(workdir: Path) -> None:
    write(workdir / "pyproject.toml", "[project]\nname='x'\n\n[tool.sector.files]\nmax_size = 99\n")
    settings = load_settings()
    assert settings.get("files.max_size") == 99
    assert settings.project_folder and settings.project_folder.config.table == ("tool", "sector")


def test_pyproject_without_tool_sector_is_not_a_project(workdir: Path) -> None:
    write(workdir / "pyproject.toml", "[project]\nname='x'\n")
    assert load_settings().project_folder is None


def test_unknown_key_in_a_file_names_the_file_and_suggests(workdir: Path) -> None:
    write(workdir / ".sector" / "config.toml", "[files]\nmax_sise = 3\n")
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert "config.toml" in caught.value.message
    assert caught.value.hint == "Did you mean files.max_size?"


def test_bad_value_from_environment_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SECTOR_FILES_MAX_SIZE", "lots")
    with pytest.raises(ConfigError, match=r"SECTOR_FILES_MAX_SIZE"):
        load_settings()


def test_set_get_unset_round_trip_keeps_comments(sector, workdir: Path) -> None:
    assert sector("init").exit_code == 0
    config = workdir / ".sector" / "config.toml"
    result = sector("config", "set", "files.max_size", "512k")
    assert result.exit_code == 0, result.output
    assert "max_size = 524288" in config.read_text()
    assert config.read_text().startswith("# Sector settings")
    assert sector("config", "get", "files.max_size").stdout.strip() == "524288"
    shown = json.loads(sector("config", "get", "files.max_size", "--json").stdout)
    assert shown["source"].endswith("config.toml")
    assert sector("config", "unset", "files.max_size").exit_code == 0
    assert sector("config", "get", "files.max_size").stdout.strip() == str(2 * 1024 * 1024)


def test_set_outside_a_project_writes_the_user_file(sector, workdir: Path) -> None:
    result = sector("config", "set", "plugins.load", "a, b")
    assert result.exit_code == 0, result.output
    assert paths.user_config_file().exists()
    assert sector("config", "get", "plugins.load").stdout.strip() == "a,b"
    refused = sector("config", "set", "files.max_size", "1", "--project")
    assert refused.exit_code == 2
    assert "sector init" in refused.stderr


def test_unknown_key_is_refused_with_suggestion(sector, workdir: Path) -> None:
    for args in (("get", "databse.url"), ("set", "databse.url", "x"), ("unset", "databse.url")):
        result = sector("config", *args)
        assert result.exit_code == 2
        assert "Did you mean database.url" in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1


def test_corrupt_config_file_fails_clearly_and_is_left_alone(sector, workdir: Path) -> None:
    broken = "[files\nmax_size = 3\n"
    user_file = write(paths.user_config_file(), broken)
    result = sector("config", "set", "files.max_size", "5", "--user")
    assert result.exit_code == 2
    assert "not valid TOML" in result.stderr and str(user_file) in result.stderr
    assert user_file.read_text() == broken
    assert sector("project", "ls").exit_code == 2


def test_show_lists_every_key_with_its_source(sector, workdir: Path, monkeypatch) -> None:
    monkeypatch.setenv("SECTOR_PROJECT", "demo")
    entries = json.loads(sector("config", "show", "--json").stdout)
    by_key = {entry["key"]: entry for entry in entries}
    assert set(by_key) >= {"database.url", "project.default", "files.max_size", "plugins.load"}
    assert (by_key["project.default"]["value"], by_key["project.default"]["source"]) == (
        "demo",
        "env",
    )


def test_config_path_honours_sector_home(sector, sector_home: Path) -> None:
    data = json.loads(sector("config", "path", "--json").stdout)
    assert data["user_config"].startswith(str(sector_home))
    assert data["data_dir"].startswith(str(sector_home))
    assert data["database"].startswith("sqlite:///" + str(sector_home))


def test_config_path_prints_paths_when_a_file_is_broken(sector, sector_home: Path) -> None:
    config = sector_home / "config" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text("not toml [\n")
    result = sector("config", "path", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["user_config"] == str(config)
    assert "not valid TOML" in result.stderr


def complete(words: str) -> list[str]:
    """What bash completion offers for the last of `words`, from a real `sector` process."""
    import os
    import subprocess
    import sys

    environ = {
        **os.environ,
        "_SECTOR_COMPLETE": "complete_bash",
        "COMP_WORDS": words,
        "COMP_CWORD": str(len(words.split(" ")) - 1),
    }
    code = "from sector_cli.cli.app import app; app(prog_name='sector')"
    done = subprocess.run(
        [sys.executable, "-c", code], env=environ, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


def test_shell_completion_offers_setting_names(sector_home: Path) -> None:
    offered = complete("sector config get runs.")
    assert "runs.timeout" in offered and "runs.memory" in offered
    assert all(name.startswith("runs.") for name in offered)


def test_shell_completion_offers_runners_and_languages(sector_home: Path) -> None:
    assert {"docker", "local"} <= set(complete("sector run --runner "))
    languages = complete("sector run --lang ja")
    assert {"java", "javascript"} <= set(languages) and all(n.startswith("ja") for n in languages)


def completion(words: str, shell: str = "bash", **environ: str) -> subprocess.CompletedProcess[str]:
    """A real `sector` process asked by `shell` to complete the last of `words`."""
    import os
    import sys

    asked = {
        **os.environ,
        **environ,
        "_SECTOR_COMPLETE": f"complete_{shell}",
        "COMP_WORDS": words,  # bash
        "COMP_CWORD": str(len(words.split(" ")) - 1),
        "_TYPER_COMPLETE_ARGS": words,  # zsh
    }
    code = "from sector_cli.cli.app import app; app(prog_name='sector')"
    return subprocess.run(
        [sys.executable, "-c", code], env=asked, capture_output=True, text=True, timeout=60
    )


def stored_runs_and_conversation(count: int) -> int:
    """`count` runs (prog0.py, prog1.py, ...) and one conversation in the store; its id."""
    from sector_cli.plugins.runner import RunJob
    from sector_cli.services import open_services
    from sector_cli.store.models import Conversation, Run

    job = RunJob("python", {"p.py": b"print(1)"}, ["python3", "/work/p.py"])
    with open_services().store.session() as session:
        for number in range(count):
            verdict = "ok" if number % 2 else None
            session.add(
                Run(
                    source=f"prog{number}.py",
                    language="python",
                    runner="local",
                    job=job.to_json(),
                    verdict=verdict,
                )
            )
        talk = Conversation(title="why is my sort slow")
        session.add(talk)
        session.flush()
        assert talk.id is not None
        return talk.id


def test_shell_completion_offers_recent_run_and_conversation_numbers(sector_home: Path) -> None:
    talk = stored_runs_and_conversation(25)
    for command in ("show", "replay", "rm"):
        offered = complete(f"sector runs {command} ")
        assert offered == [str(n) for n in range(25, 5, -1)], command  # the 20 newest
    assert complete("sector runs rm 3 1") == [
        "19",
        "18",
        "17",
        "16",
        "15",
        "14",
        "13",
        "12",
        "11",
        "10",
        "1",
    ]
    assert complete("sector history show ") == complete("sector history rm ") == [str(talk)]
    zsh = completion("sector runs show 2", "zsh")
    assert zsh.returncode == 0, zsh.stderr
    assert '"25":"running prog24.py"' in zsh.stdout and '"24":"ok prog23.py"' in zsh.stdout
    titled = completion("sector history show ", "zsh").stdout
    assert f'"{talk}":"why is my sort slow"' in titled


def test_shell_completion_of_numbers_is_silent_without_a_usable_database(
    sector_home: Path, tmp_path: Path
) -> None:
    missing = tmp_path / "none" / "sector.db"
    broken = write(tmp_path / "broken.db", "this is not a SQLite database\n" * 100)
    for url in (f"sqlite:///{missing}", f"sqlite:///{broken}", "postgresql://nobody@127.0.0.1:1/x"):
        for words in ("sector runs show ", "sector history rm "):
            done = completion(words, SECTOR_DATABASE_URL=url)
            assert (done.returncode, done.stdout.strip(), done.stderr) == (0, "", ""), url
    assert not missing.parent.exists()  # a TAB press created no database
