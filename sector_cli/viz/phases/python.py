"""The compiler phases of a Python file: tokens (`tokenize`), the syntax tree (`ast`), symbol
tables (`symtable`, walked in `symbols`) and bytecode (`dis`, every code object).

The learner's code is only parsed and compiled here, never executed.
"""

from __future__ import annotations

import ast
import dataclasses
import io
import re
import symtable
import tokenize
import warnings
from collections.abc import Iterator
from pathlib import Path
from types import CodeType

from sector_cli.errors import UsageError
from sector_cli.viz.phases.model import (
    MAX_SOURCE_BYTES,
    AstNode,
    CodeObject,
    Instruction,
    PythonPhases,
    SourceError,
    Token,
    short,
)
from sector_cli.viz.phases.symbols import scopes
from sector_cli.viz.syntax import Span, read_source

HIDDEN_AST = (ast.expr_context, ast.boolop, ast.operator, ast.unaryop, ast.cmpop)
LINE_SPLIT = re.compile(r"\r\n|\r|\n")


def python_phases(path: Path) -> PythonPhases:
    """Every phase of a Python file; a syntax error stops at the phase that found it."""
    data = read_source(path, MAX_SOURCE_BYTES)
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        text = data.decode(encoding)
    except (SyntaxError, UnicodeDecodeError, LookupError) as exc:
        raise UsageError(f"cannot decode {path}: {exc}", "Save it as UTF-8") from None
    try:
        return python_source(text, str(path))
    except (RecursionError, MemoryError):
        raise UsageError(
            f"{path} is nested too deeply to visualize",
            "Visualize a smaller or flatter piece of code",
        ) from None


def python_source(text: str, file: str = "<source>") -> PythonPhases:
    text = text.removeprefix("\ufeff")
    lines = tuple(LINE_SPLIT.split(text.removesuffix("\n").removesuffix("\r")))
    columns = Columns(lines)
    tokens, problem = _tokens(text)
    view = PythonPhases(file, lines, tokens, (), (), ())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SyntaxWarnings are not this view's business
        try:
            tree = ast.parse(text, file)
        except SyntaxError as exc:
            return _with_error(view, exc, "parse", lines)
        view = dataclasses.replace(view, nodes=tuple(_ast_nodes(tree, columns)))
        try:
            code = compile(text, file, "exec", dont_inherit=True)
        except SyntaxError as exc:
            return _with_error(view, exc, "compile", lines)
    if problem is not None:  # the parser accepted what the tokenizer stopped on: unlikely
        return _with_error(view, problem, "tokenize", lines)
    table = symtable.symtable(text, file, "exec")
    return dataclasses.replace(
        view,
        scopes=tuple(scopes(table, tree, columns)),
        code=tuple(_code_objects(code, columns)),
    )


def _with_error(
    view: PythonPhases, exc: SyntaxError, phase: str, lines: tuple[str, ...]
) -> PythonPhases:
    line = max(exc.lineno or 1, 1)
    col = max((exc.offset or 1) - 1, 0)
    text = lines[line - 1] if line <= len(lines) else ""
    col = min(col, len(text))
    error = SourceError(exc.msg or str(exc), phase, line, col, text)
    # the tokens up to the error, not the ones the tokenizer read past it
    kept = tuple(t for t in view.tokens if (t.span.line, t.span.col) < (line, col + 1))
    return dataclasses.replace(view, tokens=kept, error=error)


def _tokens(text: str) -> tuple[tuple[Token, ...], SyntaxError | None]:
    found: list[Token] = []
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            span = Span(tok.start[0], tok.start[1], tok.end[0], tok.end[1])
            exact = tokenize.tok_name[tok.exact_type]
            found.append(Token(len(found), tokenize.tok_name[tok.type], exact, tok.string, span))
    except tokenize.TokenError as exc:
        message, (line, col) = exc.args
        return tuple(found), SyntaxError(message, ("", line, col + 1, None))
    except SyntaxError as exc:  # IndentationError, TabError
        return tuple(found), exc
    return tuple(found), None


class Columns:
    """ast and dis count columns in UTF-8 bytes; tokenize and people count characters."""

    def __init__(self, lines: tuple[str, ...]) -> None:
        self.lines = lines

    def char(self, line: int, col: int) -> int:
        if 1 <= line <= len(self.lines):
            text = self.lines[line - 1]
            if not text.isascii():
                return len(text.encode("utf-8")[:col].decode("utf-8", errors="replace"))
        return col

    def span(self, line: int | None, col: int | None, end: int | None, end_col: int | None) -> Span:
        assert line is not None
        start = self.char(line, col or 0)
        last = end if end is not None else line
        return Span(line, start, last, self.char(last, end_col if end_col is not None else 0))


def _ast_nodes(tree: ast.AST, columns: Columns) -> list[AstNode]:
    """Pre-order, without recursion; operators and contexts show in their parent's label."""
    nodes: list[AstNode] = []
    stack: list[tuple[ast.AST, str, int, int | None]] = [(tree, "", 0, None)]
    while stack:
        node, field, depth, parent = stack.pop()
        span = None
        if getattr(node, "lineno", None) is not None:
            span = columns.span(
                node.lineno,  # type: ignore[attr-defined]
                node.col_offset,  # type: ignore[attr-defined]
                node.end_lineno,  # type: ignore[attr-defined]
                node.end_col_offset,  # type: ignore[attr-defined]
            )
        index = len(nodes)
        nodes.append(AstNode(index, type(node).__name__, _label(node), field, depth, parent, span))
        children: list[tuple[ast.AST, str]] = []
        for name, value in ast.iter_fields(node):
            if isinstance(value, list):
                children += [
                    (item, f"{name}[{i}]")
                    for i, item in enumerate(value)
                    if isinstance(item, ast.AST) and not isinstance(item, HIDDEN_AST)
                ]
            elif isinstance(value, ast.AST) and not isinstance(value, HIDDEN_AST):
                children.append((value, name))
        stack.extend((child, name, depth + 1, index) for child, name in reversed(children))
    # Nodes without a position of their own (arguments, comprehension, withitem) take their
    # children's; the module keeps none, so that it is not "on" its first line.
    for index in range(len(nodes) - 1, 0, -1):  # children before their parents
        child = nodes[index]
        parent_node = nodes[child.parent] if child.parent is not None else None
        if parent_node is None or child.span is None or parent_node.parent is None:
            continue
        if parent_node.span is None or _derived(parent_node):
            merged = child.span if parent_node.span is None else parent_node.span.covers(child.span)
            nodes[parent_node.index] = dataclasses.replace(parent_node, span=merged)
    return nodes


_POSITIONED = (ast.stmt, ast.expr, ast.excepthandler, ast.arg, ast.keyword, ast.alias)


def _derived(node: AstNode) -> bool:
    cls = getattr(ast, node.type, None)
    positioned = _POSITIONED + ((ast.pattern,) if hasattr(ast, "pattern") else ())
    return not (isinstance(cls, type) and issubclass(cls, positioned))


def _label(node: ast.AST) -> str:
    parts = [type(node).__name__]
    for name, value in ast.iter_fields(node):
        if isinstance(value, HIDDEN_AST):
            parts.append(f"{name}={type(value).__name__}")
        elif isinstance(value, list) and value and all(isinstance(v, HIDDEN_AST) for v in value):
            parts.append(f"{name}=[{', '.join(type(v).__name__ for v in value)}]")
        elif _plain_value(value):
            parts.append(f"{name}={short(value)}")
    return " ".join(parts)


def _plain_value(value: object) -> bool:
    """A name, a number, a constant, or a list of names (`global a, b`)."""
    if isinstance(value, list):
        return bool(value) and all(isinstance(v, str) for v in value)
    return value is not None and not isinstance(value, ast.AST)


# Bytecode ------------------------------------------------------------------------------------


def _code_objects(top: CodeType, columns: Columns) -> Iterator[CodeObject]:
    import dis

    index = 0
    stack: list[tuple[CodeType, int | None, int]] = [(top, None, 0)]
    while stack:
        code, parent, depth = stack.pop()
        instructions = []
        for ins in dis.get_instructions(code):
            pos = ins.positions
            span = None
            if pos is not None and pos.lineno:  # 0: the code object's own setup (RESUME)
                span = columns.span(pos.lineno, pos.col_offset, pos.end_lineno, pos.end_col_offset)
            shown = ins.argrepr
            if isinstance(ins.argval, CodeType):  # not its address: the same on every run
                shown = f"<code {getattr(ins.argval, 'co_qualname', ins.argval.co_name)}>"
            instructions.append(
                Instruction(ins.offset, ins.opname, ins.arg, shown, ins.is_jump_target, span)
            )
        qualname = getattr(code, "co_qualname", code.co_name)
        yield CodeObject(
            index, code.co_name, qualname, code.co_firstlineno, parent, depth, tuple(instructions)
        )
        nested = [c for c in code.co_consts if isinstance(c, CodeType)]
        stack.extend((c, index, depth + 1) for c in reversed(nested))
        index += 1
