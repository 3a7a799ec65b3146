"""Python symbol tables (`symtable`), each symbol with the places its name appears.

`symtable` tells a name's scope and flags but not where it is used: `_Uses` walks the syntax
tree beside the tables to find that.
"""

from __future__ import annotations

import ast
import symtable
from collections import defaultdict, deque
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from sector_cli.viz.phases.model import Scope, Symbol
from sector_cli.viz.syntax import Span

if TYPE_CHECKING:
    from sector_cli.viz.phases.python import Columns


def scopes(top: symtable.SymbolTable, tree: ast.AST, columns: Columns) -> Iterator[Scope]:
    """Every scope of `top`, in pre-order, each symbol with where its name appears in `tree`."""
    tables: list[symtable.SymbolTable] = []
    parents: list[int | None] = []
    depths: list[int] = []
    stack: list[tuple[symtable.SymbolTable, int | None, int]] = [(top, None, 0)]
    while stack:
        table, parent, depth = stack.pop()
        tables.append(table)
        parents.append(parent)
        depths.append(depth)
        index = len(tables) - 1
        stack.extend((child, index, depth + 1) for child in reversed(table.get_children()))
    uses = _Uses(tables, parents, columns)
    uses.walk(tree)
    for index, table in enumerate(tables):
        symbols = tuple(
            Symbol(s.get_name(), _flags(table, s), tuple(uses.found[index, s.get_name()]))
            for s in sorted(table.get_symbols(), key=lambda s: s.get_name())
        )
        yield Scope(
            index,
            table.get_name(),
            str(table.get_type()),
            table.get_lineno(),
            parents[index],
            depths[index],
            symbols,
        )


def _flags(table: symtable.SymbolTable, symbol: symtable.Symbol) -> tuple[str, ...]:
    raw = getattr(table, "_table", None)  # the only place that tells a cell variable
    flags = raw.symbols.get(symbol.get_name(), 0) if raw is not None else 0
    offset, mask, cell = (getattr(symtable, n) for n in ("SCOPE_OFF", "SCOPE_MASK", "CELL"))
    scope = (flags >> offset) & mask
    checks = (
        ("parameter", symbol.is_parameter()),
        ("local", symbol.is_local()),
        ("cell", scope == cell),
        ("free", symbol.is_free()),
        ("global", symbol.is_global() and not symbol.is_declared_global()),
        ("declared global", symbol.is_declared_global()),
        ("nonlocal", symbol.is_nonlocal()),
        ("imported", symbol.is_imported()),
        ("assigned", symbol.is_assigned()),
        ("referenced", symbol.is_referenced()),
        ("annotated", symbol.is_annotated()),
        ("namespace", symbol.is_namespace()),
    )
    return tuple(name for name, present in checks if present)


COMPREHENSIONS = {
    ast.ListComp: "listcomp",
    ast.SetComp: "setcomp",
    ast.DictComp: "dictcomp",
    ast.GeneratorExp: "genexpr",
}


class _Uses:
    """Where each name appears, by the scope it belongs to: the AST is walked with the symbol
    table beside it, entering a function's, class's, lambda's or comprehension's table where
    the compiler does (defaults, decorators and the first iterable stay outside)."""

    def __init__(
        self,
        tables: list[symtable.SymbolTable],
        parents: list[int | None],
        columns: Columns,
    ) -> None:
        self.tables = tables
        self.parents = parents
        self.columns = columns
        self.found: dict[tuple[int, str], list[Span]] = defaultdict(list)
        self.children: dict[tuple[int | None, str, int], deque[int]] = defaultdict(deque)
        for index, table in enumerate(tables):
            key = (parents[index], table.get_name(), table.get_lineno())
            self.children[key].append(index)

    def _enter(self, scope: int, name: str, line: int) -> int:
        waiting = self.children.get((scope, name, line))
        return waiting.popleft() if waiting else scope

    def _add(self, scope: int, name: str, node: ast.AST, klass: str | None) -> None:
        if name.startswith("__") and not name.endswith("__") and klass:
            mangled = f"_{klass.lstrip('_')}{name}"
            if mangled in self.tables[scope].get_identifiers():
                name = mangled
        line, col = node.lineno, node.col_offset  # type: ignore[attr-defined]
        end, end_col = node.end_lineno, node.end_col_offset  # type: ignore[attr-defined]
        self.found[scope, name].append(self.columns.span(line, col, end, end_col))

    def walk(self, tree: ast.AST) -> None:
        stack: list[tuple[ast.AST, int, str | None]] = [(tree, 0, None)]
        while stack:
            node, scope, klass = stack.pop()
            pushed = self._visit(node, scope, klass)
            stack.extend(reversed(pushed))

    def _visit(self, node: ast.AST, scope: int, klass: str | None) -> list[Any]:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            return self._function(node, scope, klass)
        if isinstance(node, ast.ClassDef):
            self._add(scope, node.name, node, klass)
            inner = self._enter(scope, node.name, node.lineno)
            outer = [*node.decorator_list, *node.bases, *node.keywords]
            return [(n, scope, klass) for n in outer] + [(n, inner, node.name) for n in node.body]
        if isinstance(node, ast.ListComp | ast.SetComp | ast.DictComp | ast.GeneratorExp):
            inner = self._enter(scope, COMPREHENSIONS[type(node)], node.lineno)
            first, *rest = node.generators
            parts: list[ast.AST] = [first.target, *first.ifs, *rest]
            parts += [node.key, node.value] if isinstance(node, ast.DictComp) else [node.elt]
            return [(first.iter, scope, klass)] + [(n, inner, klass) for n in parts]
        self._names(node, scope, klass)
        return [(child, scope, klass) for child in ast.iter_child_nodes(node)]

    def _function(
        self,
        node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda,
        scope: int,
        klass: str | None,
    ) -> list[Any]:
        args = node.args
        every = [*args.posonlyargs, *args.args, *args.kwonlyargs]
        every += [a for a in (args.vararg, args.kwarg) if a is not None]
        outer: list[ast.AST] = [*args.defaults, *(d for d in args.kw_defaults if d is not None)]
        outer += [a.annotation for a in every if a.annotation is not None]
        if isinstance(node, ast.Lambda):
            inner = self._enter(scope, "lambda", node.lineno)
            body: list[ast.AST] = [node.body]
        else:
            self._add(scope, node.name, node, klass)
            inner = self._enter(scope, node.name, node.lineno)
            outer += [*node.decorator_list, *([node.returns] if node.returns else [])]
            body = list(node.body)
        for arg in every:
            self._add(inner, arg.arg, arg, klass)
        return [(n, scope, klass) for n in outer] + [(n, inner, klass) for n in body]

    def _names(self, node: ast.AST, scope: int, klass: str | None) -> None:
        if isinstance(node, ast.Name):
            self._add(scope, node.id, node, klass)
        elif isinstance(node, ast.alias) and node.name != "*":
            self._add(scope, node.asname or node.name.split(".")[0], node, klass)
        elif isinstance(node, ast.Global | ast.Nonlocal):
            for name in node.names:
                self._add(scope, name, node, klass)
        elif isinstance(node, ast.ExceptHandler | ast.MatchAs | ast.MatchStar) and node.name:
            self._add(scope, node.name, node, klass)
        elif isinstance(node, ast.MatchMapping) and node.rest:
            self._add(scope, node.rest, node, klass)
