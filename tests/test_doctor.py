"""`sector doctor`: every check reported with a fix; required ones set the exit code."""

from __future__ import annotations

import json
from pathlib import Path

CHECKS = {
    "database",
    "docker",
    "local sandbox",
    "backend local",
    "backend ollama",
    "backend openai",
    "embedding model",
    "plugins",
    "paths",
}


def checks(result) -> dict[str, dict]:
    return {row["check"]: row for row in json.loads(result.stdout)}


def test_reports_every_check_and_fixes_for_missing_ones(database_url, sector, monkeypatch) -> None:
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
    result = sector("doctor", "--json")
    assert result.exit_code == 0, result.output
    found = checks(result)
    assert set(found) == CHECKS
    assert found["database"]["ok"] and "schema" in found["database"]["detail"]
    assert not found["docker"]["ok"] and "docker" in found["docker"]["fix"]
    for row in found.values():
        assert row["ok"] or row["fix"], row


def test_unreachable_database_fails_the_doctor(sector, monkeypatch) -> None:
    monkeypatch.setenv("SECTOR_DATABASE_URL", "postgresql://x@127.0.0.1:1/none")
    result = sector("doctor", "--json")
    assert result.exit_code == 1
    database = checks(result)["database"]
    assert not database["ok"] and "sector doctor" in database["fix"]


def test_ollama_answering_is_reported(sector, monkeypatch) -> None:
    from tests.fakes.ollama import fake_ollama

    with fake_ollama() as server:
        monkeypatch.setenv("OLLAMA_HOST", server.host)
        ollama = checks(sector("doctor", "--json"))["backend ollama"]
    assert ollama["ok"] and "1 models" in ollama["detail"]


def test_table_output_for_people(sector, workdir: Path) -> None:
    result = sector("doctor")
    assert result.exit_code == 0
    assert "database" in result.stdout and "Fix" in result.stdout


def test_a_broken_config_file_is_a_failed_check_not_a_stop(sector, sector_home: Path) -> None:
    config = sector_home / "config" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text("[runs]\ntimeout = \n")
    result = sector("doctor", "--json")
    assert result.exit_code == 1, result.output
    checks = {row["check"]: row for row in json.loads(result.stdout)}
    assert not checks["config"]["ok"] and checks["config"]["required"]
    assert str(config) in checks["config"]["detail"] and "line 2" in checks["config"]["detail"]
    assert "database" in checks and "paths" in checks  # the other checks still ran


def test_no_check_shows_an_exception_repr(sector, monkeypatch) -> None:
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
    checks = {row["check"]: row for row in json.loads(sector("doctor", "--json").stdout)}
    assert "no such file or directory" in checks["docker"]["detail"]
    assert "Error(" not in checks["docker"]["detail"] and "('" not in checks["docker"]["detail"]
