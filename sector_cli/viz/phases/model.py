"""What `sector viz phases` shows: the view models of every compiler phase and their JSON.

Every item carries the source range it comes from; `restrict` keeps the items that *start*
inside a selection and `links` lists, for each source line, what starts on it in every phase.
Built by `python` (Python) and `native` (C, C++); drawn by `render`.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sector_cli.viz.syntax import Span

MAX_SOURCE_BYTES = 1024 * 1024


@dataclass(frozen=True)
class Token:
    index: int
    type: str  # tokenize's name (NAME, OP, NUMBER...) or tree-sitter's leaf type
    exact: str  # the operator's own name (LPAR, PLUS) where there is one
    text: str
    span: Span


@dataclass(frozen=True)
class AstNode:
    index: int  # position in pre-order, from 0
    type: str
    label: str  # the type and its plain fields: `Name id='x' ctx=Load`
    field: str  # where its parent holds it: `body[0]`, `value` ('' for the root)
    depth: int
    parent: int | None
    span: Span | None  # from its children when it has none of its own (`arguments`)


@dataclass(frozen=True)
class Symbol:
    name: str
    flags: tuple[str, ...]  # parameter, local, cell, free, global, nonlocal, imported...
    uses: tuple[Span, ...]  # where the name appears in its scope

    @property
    def lines(self) -> list[int]:
        return sorted({use.line for use in self.uses})


@dataclass(frozen=True)
class Scope:
    index: int
    name: str
    type: str  # module, function, class
    line: int
    parent: int | None
    depth: int
    symbols: tuple[Symbol, ...]


@dataclass(frozen=True)
class Instruction:
    offset: int
    opname: str
    arg: int | None
    argrepr: str
    jump_target: bool
    span: Span | None


@dataclass(frozen=True)
class CodeObject:
    index: int
    name: str
    qualname: str
    line: int
    parent: int | None
    depth: int
    instructions: tuple[Instruction, ...]


@dataclass(frozen=True)
class SourceError:
    """Where the source stops being valid: shown with a caret, then the exit is 2."""

    message: str
    phase: str  # tokenize, parse, compile (Python); preprocess, assemble (C, C++)
    line: int
    col: int
    text: str  # the source line

    def one_line(self, file: str) -> str:
        return f"{file}:{self.line}:{self.col + 1}: {self.message}"


@dataclass(frozen=True)
class PreprocessedLine:
    text: str
    line: int | None  # the source line it comes from, when it comes from the file itself
    origin: str = ""  # for a run of lines from headers: the first header's name
    count: int = 0  # ...and how many lines they are (shown as one row)

    @property
    def span(self) -> Span | None:
        return Span(self.line, 0, self.line, 0) if self.line else None


@dataclass(frozen=True)
class AsmLine:
    text: str
    kind: str  # label, instruction, data
    line: int | None  # from the `.loc` directive before it

    @property
    def span(self) -> Span | None:
        return Span(self.line, 0, self.line, 0) if self.line else None


@dataclass(frozen=True)
class Selection:
    span: Span
    what: str  # "line 3", "node 5 (FunctionDef)"


@dataclass(frozen=True)
class PythonPhases:
    file: str
    lines: tuple[str, ...]
    tokens: tuple[Token, ...]
    nodes: tuple[AstNode, ...]
    scopes: tuple[Scope, ...]
    code: tuple[CodeObject, ...]
    error: SourceError | None = None
    language: str = "python"
    problem: str | None = None  # never set: Python needs no sandbox

    def restrict(self, selection: Selection | None) -> PythonPhases:
        """The phases with only the items that start inside `selection`."""
        if selection is None:
            return self
        inside = selection.span
        scopes = []
        for scope in self.scopes:
            symbols = [s for s in scope.symbols if any(u.starts_within(inside) for u in s.uses)]
            if symbols:
                scopes.append(dataclasses.replace(scope, symbols=tuple(symbols)))
        code = []
        for obj in self.code:
            found = [i for i in obj.instructions if i.span and i.span.starts_within(inside)]
            if found:
                code.append(dataclasses.replace(obj, instructions=tuple(found)))
        return dataclasses.replace(
            self,
            tokens=tuple(t for t in self.tokens if t.span.starts_within(inside)),
            nodes=tuple(n for n in self.nodes if n.span and n.span.starts_within(inside)),
            scopes=tuple(scopes),
            code=tuple(code),
        )

    def links(self) -> dict[int, dict[str, list[Any]]]:
        """For each source line, what starts on it in every phase."""
        table: dict[int, dict[str, list[Any]]] = defaultdict(lambda: defaultdict(list))
        for token in self.tokens:
            table[token.span.line]["tokens"].append(token.index)
        for node in self.nodes:
            if node.span:
                table[node.span.line]["ast"].append(node.index)
        for scope in self.scopes:
            for symbol in scope.symbols:
                for line in symbol.lines:
                    table[line]["symbols"].append([scope.index, symbol.name])
        for obj in self.code:
            for ins in obj.instructions:
                if ins.span:
                    table[ins.span.line]["instructions"].append([obj.index, ins.offset])
        return table

    def to_json(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "language": self.language,
            "lines": list(self.lines),
            "tokens": [_token_json(t) for t in self.tokens],
            "ast": [_node_json(n) for n in self.nodes],
            "scopes": [
                {
                    **_plain(scope, "index", "name", "type", "line", "parent", "depth"),
                    "symbols": [
                        {
                            "name": s.name,
                            "flags": list(s.flags),
                            "lines": s.lines,
                            "uses": [u.to_json() for u in s.uses],
                        }
                        for s in scope.symbols
                    ],
                }
                for scope in self.scopes
            ],
            "code": [
                {
                    **_plain(obj, "index", "name", "qualname", "line", "parent", "depth"),
                    "instructions": [
                        {
                            **_plain(i, "offset", "opname", "arg", "argrepr", "jump_target"),
                            **_span_json(i.span),
                        }
                        for i in obj.instructions
                    ],
                }
                for obj in self.code
            ],
            "error": dataclasses.asdict(self.error) if self.error else None,
            "links": _links_json(self.links()),
        }


@dataclass(frozen=True)
class NativePhases:
    file: str
    language: str  # c or cpp
    lines: tuple[str, ...]
    tokens: tuple[Token, ...]
    nodes: tuple[AstNode, ...]
    preprocessed: tuple[PreprocessedLine, ...]
    assembly: tuple[AsmLine, ...]
    commands: dict[str, list[str]]
    runner: str
    opt: int
    error: SourceError | None = None  # the compiler rejected the file
    problem: str | None = None  # the sandbox could not compile at all

    def restrict(self, selection: Selection | None) -> NativePhases:
        if selection is None:
            return self
        inside = selection.span
        lines = range(inside.line, inside.end_line + (inside.end_col > 0))
        return dataclasses.replace(
            self,
            tokens=tuple(t for t in self.tokens if t.span.starts_within(inside)),
            nodes=tuple(n for n in self.nodes if n.span and n.span.starts_within(inside)),
            preprocessed=tuple(p for p in self.preprocessed if p.line in lines),
            assembly=tuple(a for a in self.assembly if a.line in lines),
        )

    def links(self) -> dict[int, dict[str, list[Any]]]:
        table: dict[int, dict[str, list[Any]]] = defaultdict(lambda: defaultdict(list))
        for token in self.tokens:
            table[token.span.line]["tokens"].append(token.index)
        for node in self.nodes:
            if node.span:
                table[node.span.line]["ast"].append(node.index)
        for index, pre in enumerate(self.preprocessed):
            if pre.line:
                table[pre.line]["preprocessed"].append(index)
        for index, asm in enumerate(self.assembly):
            if asm.line:
                table[asm.line]["assembly"].append(index)
        return table

    def to_json(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "language": self.language,
            "lines": list(self.lines),
            "tokens": [_token_json(t) for t in self.tokens],
            "ast": [_node_json(n) for n in self.nodes],
            "preprocessed": [dataclasses.asdict(p) for p in self.preprocessed],
            "assembly": [dataclasses.asdict(a) for a in self.assembly],
            "commands": self.commands,
            "runner": self.runner,
            "opt": self.opt,
            "error": dataclasses.asdict(self.error) if self.error else None,
            "problem": self.problem,
            "links": _links_json(self.links()),
        }


Phases = PythonPhases | NativePhases


def _plain(obj: object, *names: str) -> dict[str, Any]:
    return {name: getattr(obj, name) for name in names}


def _span_json(span: Span | None) -> dict[str, int | None]:
    if span is None:
        return dict.fromkeys(("line", "col", "end_line", "end_col"))
    return dict(span.to_json())


def _token_json(token: Token) -> dict[str, Any]:
    return {**_plain(token, "index", "type", "exact", "text"), **token.span.to_json()}


def _node_json(node: AstNode) -> dict[str, Any]:
    fields = _plain(node, "index", "type", "label", "field", "depth", "parent")
    return {**fields, **_span_json(node.span)}


def _links_json(table: dict[int, dict[str, list[Any]]]) -> dict[str, dict[str, list[Any]]]:
    return {str(line): dict(table[line]) for line in sorted(table)}


def short(value: object, limit: int = 40) -> str:
    """`repr(value)`, cut to `limit` characters: a plain value in a node's label."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"
