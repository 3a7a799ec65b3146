"""Shared contract checks, for Sector's test suite and for third-party plugin authors.

from sector_cli.plugins.testing import assert_contract, registered

@pytest.mark.parametrize("info", registered("languages"), ids=lambda info: info.name)
def test_language_contract(info): assert_contract(info)
"""

from __future__ import annotations

from sector_cli.plugins.base import Availability, Plugin
from sector_cli.plugins.registry import CONTRACTS, PluginInfo, load_registry


def registered(kind: str | None = None) -> list[PluginInfo[Plugin]]:
    """Every plugin installed here (of one kind, or all)."""
    registry = load_registry()
    kinds = [kind] if kind else list(CONTRACTS)
    return [info for each in kinds for info in registry.of_kind(each)]


def assert_contract(info: PluginInfo[Plugin]) -> None:
    """Fail with every contract problem of a registered plugin."""
    contract = CONTRACTS[info.kind]
    assert issubclass(info.plugin_class, contract), f"{info.name} is not a {contract.__name__}"
    problems = info.plugin_class.contract_problems()
    assert not problems, f"{info.kind} plugin {info.name}: " + "; ".join(problems)
    instance = info.plugin_class()
    availability = instance.availability()
    assert isinstance(availability, Availability)
    assert availability.ok or availability.fix, f"{info.name}: unavailable without a fix"
