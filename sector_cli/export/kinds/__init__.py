"""What can be exported: each kind turns a reference (a run number, a file, a question) into a
`Document`. A kind's module is imported only when that kind is exported."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sector_cli.errors import UsageError

if TYPE_CHECKING:
    from sector_cli.export.model import Document, Meta
    from sector_cli.services import Services


@dataclass(frozen=True)
class ExportRequest:
    """What the user chose beyond the reference; each kind reads the fields it knows, and
    `Kind.options` names them so that another kind refuses them instead of ignoring them."""

    steps: str | None = None  # trace, ds: "5", "3-9", "1,4,10-12" (1 is the first step)
    var: str | None = None  # ds: the variable to animate
    max_nodes: int = 200  # calltree
    line: int | None = None  # phases: what this line becomes
    lang: str | None = None  # phases, ast: instead of the extension's
    input_shape: str | None = None  # nn
    module: str | None = None  # nn: in a .py file
    limit: int = 10  # document: how many results
    # Tracing a FILE now (trace, calltree, ds); compiling C (phases).
    runner: str | None = None
    timeout: float | None = None
    memory: str | None = None
    stdin: Path | None = None


Build = Callable[[str, ExportRequest, "Services"], "Document"]


@dataclass(frozen=True)
class Kind:
    name: str
    summary: str
    reference: str  # what REF is, for --help and messages
    builder: str  # "module:function", imported when used
    frames: bool = False  # whether its documents are frames (a still image takes one)
    options: frozenset[str] = frozenset()  # the ExportRequest fields it reads

    def build(self, ref: str, request: ExportRequest, services: Services) -> Document:
        module, function = self.builder.split(":")
        built: Build = getattr(importlib.import_module(module), function)
        return built(ref, request, services)


TRACED = frozenset({"runner", "timeout", "memory", "stdin"})
COMPILED = frozenset({"line", "lang", "runner"})
MODELS = frozenset({"input_shape", "module"})
KINDS: dict[str, Kind] = {
    kind.name: kind
    for kind in (
        Kind("run", "a recorded run: code, input, verdict, timings, output", "RUN",
             "sector_cli.export.kinds.run:build_run"),
        Kind("conversation", "every message, code highlighted, with sources and checks",
             "CONVERSATION", "sector_cli.export.kinds.conversation:build_conversation"),
        Kind("answer", "one question and its answer, with sources and checks", "MESSAGE",
             "sector_cli.export.kinds.conversation:build_answer"),
        Kind("trace", "steps of a traced run: line, frames, heap, output", "FILE|RUN",
             "sector_cli.export.kinds.traced:build_trace", True, TRACED | {"steps"}),
        Kind("calltree", "the tree of calls a program made", "FILE|RUN",
             "sector_cli.export.kinds.traced:build_calltree", False, TRACED | {"max_nodes"}),
        Kind("ds", "a variable's data structure, frame by frame", "FILE|RUN",
             "sector_cli.export.kinds.traced:build_ds", True, TRACED | {"steps", "var"}),
        Kind("phases", "tokens, syntax tree, symbols and bytecode or assembly", "FILE",
             "sector_cli.export.kinds.source:build_phases", False, COMPILED),
        Kind("ast", "a file's syntax tree", "FILE",
             "sector_cli.export.kinds.source:build_ast", False, frozenset({"lang"})),
        Kind("nn", "a neural network's layers, shapes and parameters", "MODEL",
             "sector_cli.export.kinds.network:build_nn", False, MODELS),
        Kind("document", "what the context index finds for a question, with provenance",
             "QUERY", "sector_cli.export.kinds.search:build_search", False, frozenset({"limit"})),
    )
}  # fmt: skip


def kind_named(name: str) -> Kind:
    found = KINDS.get(name)
    if found is None:
        raise UsageError(f"there is no export kind {name!r}", f"Use one of: {', '.join(KINDS)}")
    return found


def check_options(kind: Kind, request: ExportRequest) -> None:
    """Options the kind does not read are refused rather than silently ignored."""
    default = ExportRequest()
    chosen = [
        name
        for name in ExportRequest.__dataclass_fields__
        if getattr(request, name) != getattr(default, name) and name not in kind.options
    ]
    if chosen:
        flags = ", ".join("--" + name.replace("_", "-") for name in chosen)
        users = sorted(k.name for k in KINDS.values() if set(chosen) <= k.options)
        hint = f"It applies to: {', '.join(users)}" if users else "Leave it out"
        raise UsageError(f"{flags} does not apply to `export {kind.name}`", hint)


def meta_for(kind: str, reference: str, services: Services, project: str | None = None) -> Meta:
    """What every kind's document says it is: the reference, the project, now, the version.
    `project` is the one the exported thing belongs to, when it knows; else the current one."""
    from sector_cli import __version__
    from sector_cli.export.model import Meta
    from sector_cli.timeutil import utcnow

    return Meta(kind, reference, utcnow(), __version__, project or services.projects.current_name())
