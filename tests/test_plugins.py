"""The plugin registry: contracts for every registered plugin, and third-party plugins that are
broken, shadow a built-in, or are left out by the allow-list. Third-party plugins are real
distributions (a `.dist-info` with entry points) put on the import path."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from sector_cli.plugins.registry import CONTRACTS, load_registry
from sector_cli.plugins.testing import assert_contract, registered

BUILTIN_LANGUAGES = {"python", "javascript", "typescript", "c", "cpp", "rust", "go", "java"}


@pytest.mark.parametrize("info", registered(), ids=lambda info: f"{info.kind}:{info.name}")
def test_every_registered_plugin_meets_its_contract(info) -> None:
    assert_contract(info)


def test_builtin_languages_are_registered_through_entry_points() -> None:
    languages = load_registry().of_kind("languages")
    assert {info.name for info in languages} >= BUILTIN_LANGUAGES
    assert all(info.builtin and info.origin == "built-in" for info in languages)


def test_language_plans_fill_their_templates() -> None:
    registry = load_registry()
    java = registry.get("languages", "java").plugin_class()
    plan = java.plan("/work/Main.java")
    assert plan.compile == ["javac", "-d", "/work/classes", "/work/Main.java"]
    assert plan.run == ["java", "-cp", "/work/classes", "Main"]
    c = registry.get("languages", "c").plugin_class().plan("/w/a.c", "/w/a.out")
    assert c.run == ["/w/a.out"] and "/w/a.c" in (c.compile or [])


def install_distribution(site: Path, name: str, module: str, source: str, entries: str) -> None:
    """Write an installed distribution (module + dist-info) into `site`."""
    (site / f"{module}.py").write_text(textwrap.dedent(source), encoding="utf-8")
    info = site / f"{name.replace('-', '_')}-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(textwrap.dedent(entries), encoding="utf-8")


@pytest.fixture
def third_party(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    site = tmp_path / "site"
    site.mkdir()
    install_distribution(
        site,
        "sector-ruby",
        "sector_ruby",
        """
        from sector_cli.plugins.language import Language

        class Ruby(Language):
            name = "ruby"
            summary = "Ruby"
            extensions = (".rb",)
            shebangs = ("ruby",)
            run_command = ("ruby", "{source}")
            docker_image = "ruby:3-slim"
        """,
        "[sector.languages]\nruby = sector_ruby:Ruby\n",
    )
    install_distribution(
        site,
        "sector-broken",
        "sector_broken",
        "import no_such_module_anywhere\n",
        "[sector.runners]\nbroken = sector_broken:Runner\n",
    )
    install_distribution(
        site,
        "sector-shadow",
        "sector_shadow",
        """
        from sector_cli.plugins.languages.builtin import Python

        class Fake(Python):
            summary = "pretends to be Python"
        """,
        "[sector.languages]\npython = sector_shadow:Fake\n",
    )
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.setenv("PYTHONPATH", str(site))
    return site


def test_third_party_plugins_load_and_broken_ones_become_warnings(third_party) -> None:
    registry = load_registry()
    ruby = registry.get("languages", "ruby")
    assert ruby.origin == "sector-ruby 1.0" and not ruby.builtin
    problems = {problem.name: problem.reason for problem in registry.problems}
    assert "import failed" in problems["broken"]
    assert "already taken by built-in" in problems["python"]
    assert registry.get("languages", "python").builtin


def test_allow_list_keeps_out_unlisted_third_party_plugins(third_party) -> None:
    registry = load_registry(allow=["sector-ruby"])
    assert registry.get("languages", "ruby")
    assert registry.problems == []
    assert any("broken" in skipped for skipped in registry.skipped)
    assert {i.name for i in registry.of_kind("languages")} >= BUILTIN_LANGUAGES
    nothing = load_registry(allow=[])
    assert "ruby" not in {i.name for i in nothing.of_kind("languages")}


def test_plugins_ls_reports_problems_without_failing(third_party, sector, workdir) -> None:
    result = sector("plugins", "ls")
    assert result.exit_code == 0
    assert "ruby" in result.stdout
    assert "plugin 'broken' (runners, from sector-broken)" in result.stderr
    listed = json.loads(sector("plugins", "ls", "--json").stdout)
    kinds = {row["kind"] for row in listed["plugins"]}
    assert kinds == {
        "languages",
        "runners",
        "backends",
        "loaders",
        "embedders",
        "rerankers",
        "exporters",
    }
    assert {p["name"] for p in listed["problems"]} == {"broken", "python"}


def test_third_party_language_is_used_for_detection(
    third_party, database_url, sector, workdir
) -> None:
    assert sector("init").exit_code == 0
    (workdir / "app.rb").write_text("puts 1\n")
    assert sector("file", "add", "app.rb").exit_code == 0
    rows = json.loads(sector("file", "ls", "--json").stdout)
    assert rows[0]["language"] == "ruby"


def test_load_plugins_env_is_the_allow_list(third_party, sector, monkeypatch) -> None:
    monkeypatch.setenv("SECTOR_LOAD_PLUGINS", "ruby")
    listed = json.loads(sector("plugins", "ls", "--json").stdout)
    assert listed["problems"] == []
    assert "ruby" in {row["name"] for row in listed["plugins"]}


def test_contract_problems_are_specific() -> None:
    from sector_cli.plugins.language import Language

    class Incomplete(Language):
        name = "Bad Name"

    problems = Incomplete.contract_problems()
    assert any("lowercase identifier" in p for p in problems)
    assert any("extensions" in p for p in problems)
    assert any("run_command" in p for p in problems)
    assert set(CONTRACTS) == {
        "backends",
        "runners",
        "languages",
        "loaders",
        "exporters",
        "embedders",
        "rerankers",
    }
