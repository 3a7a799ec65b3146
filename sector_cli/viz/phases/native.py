"""The compiler phases of a C or C++ file: tokens and syntax tree (tree-sitter), the
preprocessed source (`gcc -E`) and the assembly (`gcc -S`), both made inside the sandbox
runner, since `#include` reads files. The code is compiled, never run.
"""

from __future__ import annotations

import asyncio
import dataclasses
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from sector_cli.errors import PluginError, UsageError
from sector_cli.viz.phases.model import (
    MAX_SOURCE_BYTES,
    AsmLine,
    AstNode,
    NativePhases,
    PreprocessedLine,
    SourceError,
    Token,
    short,
)
from sector_cli.viz.syntax import SyntaxTree, leaves, parse_source, read_source

if TYPE_CHECKING:
    from sector_cli.plugins.runner import Runner
    from sector_cli.services import Services


@dataclass(frozen=True)
class Toolchain:
    """How to compile a C or C++ file in the sandbox; `runner` is None when no sandbox
    works here, and `problem` says why."""

    language: str
    compiler: str  # gcc, g++
    flags: tuple[str, ...]  # the language plugin's -std=
    image: str
    runner: Runner | None
    problem: str = ""


def toolchain(services: Services, language: str, runner: str | None = None) -> Toolchain:
    """The C/C++ language plugin's compiler and the runner `sector run` would use."""
    from sector_cli.runs.prepare import image_for
    from sector_cli.runs.service import Runs

    plugin = services.languages.languages.get(language)
    if plugin is None or not plugin.compile_command:
        raise UsageError(f"no {language} language plugin is installed", "Run `sector doctor`")
    command = plugin.compile_command
    flags = tuple(part for part in command if part.startswith("-std="))
    image = image_for(services.settings, plugin)
    runs = Runs(services.store, services.settings, services.registry, services.languages)
    try:
        chosen: Runner | None = runs.runner(runner)
        problem = ""
    except PluginError as error:
        chosen, problem = None, error.message
    if chosen is not None and not (available := chosen.availability()).ok:
        problem, chosen = f"{chosen.name}: {available.detail}", None
    if problem:
        problem = f"no sandbox to compile in ({problem}); run `sector doctor`"
    return Toolchain(language, command[0], flags, image, chosen, problem)


HEADERS = (".h", ".hh", ".hpp", ".hxx", ".inc")
MAX_HEADERS = 64
COMPILE_OUTPUT = 32 * 1024 * 1024  # `#include <iostream>` preprocesses to about 1 MB


async def native_phases(path: Path, tools: Toolchain, opt: int = 0) -> NativePhases:
    """Tokens and tree (tree-sitter), then `gcc -E` and `gcc -S` in the sandbox, at once."""
    data = read_source(path, MAX_SOURCE_BYTES)
    tree = parse_source(data, tools.language, str(path), named_only=False)
    tokens = tuple(
        Token(i, leaf.type, leaf.type, leaf.text or "", leaf.span)
        for i, leaf in enumerate(leaves(tree))
    )
    nodes = _named_nodes(tree)
    name = path.name if not path.name.startswith("-") else f"main{path.suffix}"
    common = [tools.compiler, *tools.flags]
    source = ["-x", "c" if tools.language == "c" else "c++", name]  # a header too is source
    commands = {
        "preprocess": [*common, "-E", *source],
        "assemble": [*common, "-S", f"-O{opt}", "-g1", "-o", "-", *source],
    }
    view = NativePhases(
        str(path), tools.language, tree.lines, tokens, nodes, (), (), commands, "", opt
    )
    runner = tools.runner
    if runner is None:
        return dataclasses.replace(view, problem=tools.problem)
    files = {name: data, **_headers(path)}
    try:
        (pre_out, pre_err, pre_ok), (asm_out, asm_err, asm_ok) = await asyncio.gather(
            _compile(tools, files, commands["preprocess"]),
            _compile(tools, files, commands["assemble"]),
        )
    except PluginError as error:
        return dataclasses.replace(view, problem=f"{error.one_line()}; run `sector doctor`")
    view = dataclasses.replace(
        view,
        runner=runner.name,
        preprocessed=tuple(_preprocessed(pre_out, name)) if pre_ok else (),
        assembly=tuple(_assembly(asm_out, name)) if asm_ok else (),
    )
    if not pre_ok or not asm_ok:
        phase, stderr = ("preprocess", pre_err) if not pre_ok else ("assemble", asm_err)
        return dataclasses.replace(view, error=_compiler_error(stderr, name, phase, view.lines))
    return view


def _named_nodes(tree: SyntaxTree) -> tuple[AstNode, ...]:
    """The named nodes of a full tree-sitter tree, renumbered in pre-order."""
    kept: dict[int, int] = {}
    nodes: list[AstNode] = []
    for node in tree.nodes:
        if not node.named and node.parent is not None:
            continue
        parent = node.parent
        while parent is not None and parent not in kept:
            parent = tree.nodes[parent].parent
        index = len(nodes)
        kept[node.id] = index
        depth = nodes[kept[parent]].depth + 1 if parent is not None else 0
        label = node.type if node.text is None else f"{node.type} {short(node.text, 30)}"
        nodes.append(
            AstNode(
                index,
                node.type,
                label,
                node.field or "",
                depth,
                kept[parent] if parent is not None else None,
                node.span,
            )
        )
    return tuple(nodes)


def _headers(path: Path) -> dict[str, bytes]:
    """The headers beside the file, so that `#include "util.h"` works in the sandbox."""
    found: dict[str, bytes] = {}
    try:
        candidates = sorted(p for p in path.parent.iterdir() if p.suffix.lower() in HEADERS)
    except OSError:
        return found
    for header in candidates[:MAX_HEADERS]:
        if header != path and header.is_file() and header.stat().st_size <= MAX_SOURCE_BYTES:
            try:
                found[header.name] = header.read_bytes()
            except OSError:
                continue
    return found


async def _compile(
    tools: Toolchain, files: dict[str, bytes], command: list[str]
) -> tuple[bytes, bytes, bool]:
    """(stdout, stderr, succeeded) of one compiler command in the sandbox."""
    import contextlib

    from sector_cli.plugins.runner import (
        COMPILE_LIMITS,
        Output,
        RunFinished,
        RunJob,
        Verdict,
    )

    assert tools.runner is not None
    limits = dataclasses.replace(COMPILE_LIMITS, output_bytes=COMPILE_OUTPUT)
    job = RunJob(tools.language, files, command, limits=limits, image=tools.image)
    out, err = bytearray(), bytearray()
    finished: RunFinished | None = None
    async with contextlib.aclosing(tools.runner.run(job)) as events:
        async for event in events:
            if isinstance(event, Output):
                (out if event.stream == "stdout" else err).extend(event.data)
            elif isinstance(event, RunFinished):
                finished = event
    if finished is None or finished.verdict not in (Verdict.ACCEPTED, Verdict.WRONG_EXIT):
        detail = finished.detail if finished else "no verdict"
        verdict = finished.verdict.value if finished else "interrupted"
        raise PluginError(f"{command[0]} did not finish in the sandbox: {verdict}, {detail}")
    return bytes(out), bytes(err), finished.verdict == Verdict.ACCEPTED


MARKER = re.compile(r'^# (\d+) "((?:[^"\\]|\\.)*)"')


def _preprocessed(output: bytes, name: str) -> Iterator[PreprocessedLine]:
    """The file's own lines with the source line each comes from; every run of lines from
    headers becomes one row at the `#include` that brought them."""
    current, line, include_line = name, 1, 0
    header_lines, first_header = 0, ""
    for raw in output.decode("utf-8", errors="replace").split("\n"):
        marker = MARKER.match(raw)
        if marker:
            number, file = int(marker.group(1)), marker.group(2)
            if file != name and current == name:
                include_line, first_header = line, file  # entering headers from this line
            current, line = file, number
            continue
        if current == name:
            if header_lines:
                label = f"… {header_lines} lines from {PurePosixPath(first_header).name}"
                yield PreprocessedLine(label, include_line or None, first_header, header_lines)
                header_lines = 0
            if raw.strip():
                yield PreprocessedLine(raw, line)
        elif raw.strip():
            header_lines += 1
        line += 1
    if header_lines:
        label = f"… {header_lines} lines from {PurePosixPath(first_header).name}"
        yield PreprocessedLine(label, include_line or None, first_header, header_lines)


LOC = re.compile(r"^\s*\.loc\s+(\d+)\s+(\d+)")
FILE = re.compile(r'^\s*\.file\s+(\d+)\s+(?:"[^"]*"\s+)?"([^"]*)"')  # .file 2 "main.c"
DATA = (".string", ".ascii", ".asciz", ".byte", ".short", ".value", ".long", ".quad", ".zero")
LOCAL_LABELS = re.compile(r"^\.L(C?\d+)$")  # jump targets and constants; not .LFB, .Ldebug...


def _assembly(output: bytes, name: str) -> Iterator[AsmLine]:
    """Labels, instructions and data, each with the source line of the `.loc` before it
    (when that is in the file itself, not in a header); directives, debug sections and
    bookkeeping labels left out."""
    line: int | None = None
    own: set[int] = set()  # the `.file` numbers that stand for the file itself
    in_debug = False
    for raw in output.decode("utf-8", errors="replace").split("\n"):
        stripped = raw.strip()
        if not stripped or stripped.startswith(("#", "//")):
            continue
        if stripped.startswith((".section", ".text", ".data", ".bss")):
            in_debug = stripped.startswith(".section") and ".debug" in stripped
            continue
        if in_debug:
            continue
        if found := FILE.match(raw):
            if PurePosixPath(found.group(2)).name == name:
                own.add(int(found.group(1)))
            continue
        if loc := LOC.match(raw):
            line = int(loc.group(2)) if int(loc.group(1)) in own else None
            continue
        if stripped.endswith(":") and not raw[:1].isspace():
            label = stripped[:-1]
            if not label.startswith(".") or LOCAL_LABELS.match(label):
                local = label.startswith(".L") and not label.startswith(".LC")
                yield AsmLine(stripped, "label", line if local else None)
            continue
        if stripped.startswith("."):
            if stripped.split()[0] in DATA:
                yield AsmLine(" ".join(stripped.split(None, 1)), "data", None)
            continue
        yield AsmLine(" ".join(stripped.split(None, 1)), "instruction", line)


DIAGNOSTIC = re.compile(
    r"^(?P<file>[^:\n]+):(?P<line>\d+):(?:(?P<col>\d+):)? (?:fatal )?error: (?P<message>.*)$",
    re.MULTILINE,
)


def _compiler_error(stderr: bytes, name: str, phase: str, lines: tuple[str, ...]) -> SourceError:
    text = stderr.decode("utf-8", errors="replace")
    for found in DIAGNOSTIC.finditer(text):
        if PurePosixPath(found["file"]).name == name:
            line = int(found["line"])
            col = max(int(found["col"] or 1) - 1, 0)
            source = lines[line - 1] if 0 < line <= len(lines) else ""
            return SourceError(found["message"].strip(), phase, line, col, source)
    first = next((ln for ln in text.splitlines() if ln.strip()), "the compiler failed")
    return SourceError(first.strip(), phase, 1, 0, lines[0] if lines else "")
