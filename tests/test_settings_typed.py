"""Typed settings, settings that a plugin declares, and a registry typed by contract.

The third-party plugin is a real distribution (a `.dist-info` with entry points) put on the
import path, as in test_plugins.py."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from sector_cli.config import keys
from sector_cli.config.settings import load_settings
from sector_cli.errors import ConfigError, NotFoundError, PluginError
from sector_cli.plugins.backend import Backend
from sector_cli.plugins.embedder import Embedder
from sector_cli.plugins.language import Language
from sector_cli.plugins.languages.builtin import Python
from sector_cli.plugins.registry import load_registry
from sector_cli.plugins.reranker import Reranker
from sector_cli.services import Services
from tests.test_config import complete
from tests.test_plugins import install_distribution

GEMINI = """
from sector_cli.config.keys import Key
from sector_cli.config.parse import parse_text, parse_whole_number
from sector_cli.plugins.backend import Backend, Done, Token

API_KEY = Key("gemini.api_key", "API key of the Gemini API.", "GEMINI_API_KEY", parse_text, None)
RETRIES = Key(
    "gemini.retries",
    "Attempts per request.",
    "SECTOR_GEMINI_RETRIES",
    parse_whole_number(1, 9),
    default=3,
    example="5",
)
SETTINGS = (API_KEY, RETRIES)


class Gemini(Backend):
    name = "gemini"
    summary = "Google's Gemini API"

    def configure(self, settings):
        self.retries = settings.get(RETRIES)

    async def stream(self, messages, options):
        yield Token("hi")
        yield Done()

    def default_model(self):
        return "gemini-pro"
"""

BAD_DECLARATIONS = """
from sector_cli.config.keys import Key
from sector_cli.config.parse import parse_text

ELSEWHERE = (Key("ollama.proxy", "Not its section.", "SECTOR_BAD_PROXY", parse_text, None),)
TAKEN = (Key("openai.base_url", "A built-in's key.", "SECTOR_BAD_URL", parse_text, None),)
NOT_KEYS = ("openai.organisation",)
"""


@pytest.fixture
def gemini(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    site = tmp_path / "site"
    site.mkdir()
    install_distribution(
        site,
        "sector-gemini",
        "sector_gemini",
        GEMINI,
        "[sector.backends]\ngemini = sector_gemini:Gemini\n\n"
        "[sector.settings]\ngemini = sector_gemini:SETTINGS\n",
    )
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.setenv("PYTHONPATH", str(site))
    yield site
    sys.modules.pop("sector_gemini", None)


def test_a_typed_get_returns_the_declared_type(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = load_settings()
    timeout = settings.get(keys.RUNS_TIMEOUT)
    assert isinstance(timeout, float) and timeout == 10.0
    monkeypatch.setenv("SECTOR_RUN_TIMEOUT", "3")
    monkeypatch.setenv("SECTOR_MAX_TOKENS", "64")
    monkeypatch.setenv("SECTOR_LOAD_PLUGINS", "a, b")
    settings = load_settings()
    assert (settings.get(keys.RUNS_TIMEOUT), settings.get(keys.ASSISTANT_MAX_TOKENS)) == (3.0, 64)
    assert isinstance(settings.get(keys.RUNS_TIMEOUT), float)
    assert isinstance(settings.get(keys.ASSISTANT_MAX_TOKENS), int)
    assert settings.get(keys.PLUGINS_LOAD) == ["a", "b"]
    assert settings.get(keys.ASSISTANT_MODEL) is None
    assert settings.get("runs.timeout") == 3.0  # by name, as `sector config get` asks


def test_mypy_sees_the_types_of_settings_and_plugins(tmp_path: Path) -> None:
    from mypy import api

    snippet = tmp_path / "typed_use.py"
    snippet.write_text(
        "from typing import assert_type\n"
        "from sector_cli.config import keys\n"
        "from sector_cli.config.keys import Value\n"
        "from sector_cli.config.settings import Settings\n"
        "from sector_cli.plugins.embedder import Embedder\n"
        "from sector_cli.plugins.registry import PluginInfo, Registry\n\n"
        "def use(settings: Settings, registry: Registry) -> None:\n"
        "    assert_type(settings.get(keys.RUNS_TIMEOUT), float)\n"
        "    assert_type(settings.get(keys.ASSISTANT_MODEL), str | None)\n"
        "    assert_type(settings.get(keys.PLUGINS_LOAD), list[str] | None)\n"
        "    assert_type(settings.get('runs.timeout'), Value)\n"
        "    assert_type(registry.get(Embedder, 'minilm'), PluginInfo[Embedder])\n"
        "    assert_type(registry.get(Embedder, 'minilm').plugin_class(), Embedder)\n"
        "    timeout: str = settings.get(keys.RUNS_TIMEOUT)\n"
    )
    out, _, _ = api.run(
        [
            "--strict",
            "--follow-imports=silent",
            "--cache-dir",
            str(tmp_path / "cache"),
            "--disable-error-code=type-abstract",
            str(snippet),
        ]
    )
    errors = [line for line in out.splitlines() if ": error:" in line]
    # the last line assigns a float to a str: mypy must catch it, and only it
    assert len(errors) == 1 and "typed_use.py:15:" in errors[0], out
    assert 'Incompatible types in assignment (expression has type "float"' in errors[0]


def test_a_plugins_setting_is_shown_set_and_read_back_typed(gemini, sector, workdir) -> None:
    shown = {entry["key"]: entry for entry in json.loads(sector("config", "show", "--json").stdout)}
    retries = shown["gemini.retries"]
    assert (retries["value"], retries["source"], retries["env"]) == (
        3,
        "default",
        "SECTOR_GEMINI_RETRIES",
    )
    assert shown["gemini.api_key"]["env"] == "GEMINI_API_KEY"
    assert list(shown)[: len(keys.CORE_KEYS.names())] == keys.CORE_KEYS.names()
    assert "gemini.retries" in sector("config", "show").stdout

    result = sector("config", "set", "gemini.retries", "5", "--user")
    assert result.exit_code == 0, result.output
    assert sector("config", "get", "gemini.retries").stdout.strip() == "5"
    settings = load_settings()
    from sector_gemini import RETRIES  # the plugin's own key object

    assert settings.get(RETRIES) == 5 and isinstance(settings.get(RETRIES), int)
    assert settings.layer_of(RETRIES).name == "user"
    backend = load_registry().get(Backend, "gemini").plugin_class()
    backend.configure(settings)
    assert backend.retries == 5

    refused = sector("config", "set", "gemini.retries", "12")
    assert refused.exit_code == 2
    assert "invalid value for gemini.retries in the command line" in refused.stderr
    assert "expected a whole number from 1 to 9" in refused.stderr


def test_a_plugins_setting_comes_from_its_environment_variable(gemini, monkeypatch) -> None:
    monkeypatch.setenv("SECTOR_GEMINI_RETRIES", "7")
    settings = load_settings()
    assert settings.get("gemini.retries") == 7
    assert settings.layer_of("gemini.retries").name == "env"
    monkeypatch.setenv("SECTOR_GEMINI_RETRIES", "many")
    with pytest.raises(ConfigError, match=r"invalid value for gemini.retries in \$SECTOR_GEMINI"):
        load_settings()


def test_completion_offers_a_plugins_settings(gemini, sector_home: Path) -> None:
    offered = complete("sector config get gemini.")
    assert offered == ["gemini.api_key", "gemini.retries"]


def test_the_allow_list_leaves_out_a_plugins_settings(gemini, sector, monkeypatch) -> None:
    monkeypatch.setenv("SECTOR_LOAD_PLUGINS", "sector-ruby")
    result = sector("config", "get", "gemini.retries")
    assert result.exit_code == 2
    assert "unknown config key 'gemini.retries'" in result.stderr
    monkeypatch.setenv("SECTOR_LOAD_PLUGINS", "sector-gemini")
    assert sector("config", "get", "gemini.retries").stdout.strip() == "3"


def test_built_in_backends_declare_their_settings_as_plugins_do() -> None:
    from sector_cli.plugins.backends import settings as backends

    table = load_settings().keys
    for key in (*backends.LOCAL, *backends.OLLAMA, *backends.OPENAI):
        assert table.lookup(key.name) is key
        assert key.name not in keys.CORE_KEYS
    assert table.lookup("ollama.host").env == "OLLAMA_HOST"
    assert table.lookup("local.context").default == 4096


def test_bad_declarations_are_left_out_and_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sector, workdir
) -> None:
    site = tmp_path / "site"
    site.mkdir()
    install_distribution(
        site,
        "sector-bad",
        "sector_bad",
        BAD_DECLARATIONS,
        "[sector.settings]\nproxy = sector_bad:ELSEWHERE\nopenai = sector_bad:TAKEN\n"
        "org = sector_bad:NOT_KEYS\nbroken = sector_nowhere:SETTINGS\n",
    )
    monkeypatch.syspath_prepend(str(site))
    settings = load_settings()
    assert "ollama.proxy" not in settings.keys
    assert settings.keys.lookup("openai.base_url").env == "OPENAI_BASE_URL"
    listed = json.loads(sector("plugins", "ls", "--json").stdout)
    reasons = {p["name"]: p["reason"] for p in listed["problems"] if p["kind"] == "settings"}
    assert "outside its section 'proxy'" in reasons["proxy"]
    assert "'openai.base_url' is already known" in reasons["openai"]
    assert "is not a tuple of Key" in reasons["org"]
    assert "import failed" in reasons["broken"]
    assert "plugin 'proxy' (settings, from sector-bad)" in sector("plugins", "ls").stderr


def test_the_registry_answers_with_the_contract_type() -> None:
    registry = load_registry()
    embedder = registry.get(Embedder, "minilm").plugin_class()
    assert isinstance(embedder, Embedder)
    assert all(issubclass(info.plugin_class, Language) for info in registry.of_kind(Language))
    assert {info.name for info in registry.of_kind(Reranker)} >= {"rrf"}
    assert isinstance(Services(load_settings()).plugin(Reranker, "rrf"), Reranker)
    with pytest.raises(NotFoundError, match="no embedders plugin named 'minilm-onxx'") as caught:
        registry.get(Embedder, "minilm-onxx")
    assert caught.value.hint == "Did you mean minilm-onnx?"


def test_the_registry_refuses_a_plugin_of_the_wrong_kind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = tmp_path / "site"
    site.mkdir()
    install_distribution(
        site,
        "sector-wrong",
        "sector_wrong",
        "from sector_cli.plugins.rerankers.rrf import ReciprocalRankFusion\n",
        "[sector.embedders]\nrrf = sector_wrong:ReciprocalRankFusion\n",
    )
    monkeypatch.syspath_prepend(str(site))
    registry = load_registry()
    problems = {(p.kind, p.name): p.reason for p in registry.problems}
    assert problems[("embedders", "rrf")] == (
        "sector_wrong:ReciprocalRankFusion is not a subclass of Embedder"
    )
    with pytest.raises(NotFoundError, match="no embedders plugin named 'rrf'"):
        registry.get(Embedder, "rrf")
    assert registry.get(Reranker, "rrf").builtin
    with pytest.raises(PluginError) as caught:  # asked as a narrower class than its kind's
        registry.get(Python, "java")
    assert caught.value.message == (
        "sector_cli.plugins.languages.builtin:Java is not a subclass of Python"
    )
