"""`sector viz phases`: each phase checked against what tokenize, ast, symtable and dis report,
the line linking, syntax errors, and C/C++ compiled in the real sandbox."""

from __future__ import annotations

import ast
import asyncio
import dis
import io
import json
import symtable
import tokenize
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path
from types import CodeType

import pytest

from sector_cli.viz import phases as service
from sector_cli.viz.phases import PythonPhases, Toolchain, python_source, select
from sector_cli.viz.phases.python import HIDDEN_AST
from sector_cli.viz.phases.render import columns, drawing, page

CLOSURES = """\
def counter(start):
    count = start

    def step(by=1):
        nonlocal count
        count += by
        return count

    return step
"""
GLOBALS = """\
import os.path as p, sys
TOTAL = 0


def add(x, *rest, scale=2, **options):
    global TOTAL
    TOTAL += x * scale
    return TOTAL, sys.argv, p.sep
"""
COMPREHENSIONS = """\
def grid(n):
    squares = [i * i for i in range(n) if i % 2]
    table = {k: [k * j for j in range(n)] for k in squares}
    pairs = (a + b for a in squares for b in table)
    return {x for x in pairs}, lambda y, z=n: y + z + n
"""
CLASSES = """\
class Account:
    rate = 0.1
    __secret = "x"

    def __init__(self, owner: str) -> None:
        self.owner = owner

    def interest(self, amount):
        return super().interest(amount) * self.rate + len(self.__secret)

    @staticmethod
    def make(name="Ada"):
        try:
            return Account(name)
        except ValueError as error:
            raise RuntimeError(name) from error
"""
PROGRAMS = {
    "closures": CLOSURES,
    "globals": GLOBALS,
    "comprehensions": COMPREHENSIONS,
    "classes": CLASSES,
}
FLAGS = {
    "parameter": symtable.Symbol.is_parameter,
    "local": symtable.Symbol.is_local,
    "free": symtable.Symbol.is_free,
    "declared global": symtable.Symbol.is_declared_global,
    "nonlocal": symtable.Symbol.is_nonlocal,
    "imported": symtable.Symbol.is_imported,
    "assigned": symtable.Symbol.is_assigned,
    "referenced": symtable.Symbol.is_referenced,
}


def _all_code(code: CodeType) -> list[CodeType]:
    found = [code]
    for const in code.co_consts:
        if isinstance(const, CodeType):
            found += _all_code(const)
    return found


def _all_tables(table: symtable.SymbolTable) -> list[symtable.SymbolTable]:
    found = [table]
    for child in table.get_children():
        found += _all_tables(child)
    return found


def _ast_preorder(node: ast.AST) -> list[ast.AST]:
    found = [node]
    for child in ast.iter_child_nodes(node):
        if not isinstance(child, HIDDEN_AST):
            found += _ast_preorder(child)
    return found


@pytest.fixture(params=sorted(PROGRAMS))
def program(request: pytest.FixtureRequest) -> tuple[str, PythonPhases]:
    source = PROGRAMS[request.param]
    return source, python_source(source, f"{request.param}.py")


def test_tokens_are_what_tokenize_reports(program: tuple[str, PythonPhases]) -> None:
    source, view = program
    expected = list(tokenize.generate_tokens(io.StringIO(source).readline))
    assert [(t.type, t.text) for t in view.tokens] == [
        (tokenize.tok_name[t.type], t.string) for t in expected
    ]
    assert [(t.span.line, t.span.col, t.span.end_line, t.span.end_col) for t in view.tokens] == [
        (*t.start, *t.end) for t in expected
    ]
    assert {t.exact for t in view.tokens if t.text == "("} == {"LPAR"}


def test_syntax_tree_is_what_ast_reports(program: tuple[str, PythonPhases]) -> None:
    source, view = program
    expected = _ast_preorder(ast.parse(source))
    assert [n.type for n in view.nodes] == [type(n).__name__ for n in expected]
    for node, real in zip(view.nodes, expected, strict=True):
        if isinstance(real, ast.stmt | ast.expr):
            assert node.span is not None
            assert (node.span.line, node.span.col) == (real.lineno, real.col_offset)
            assert (node.span.end_line, node.span.end_col) == (real.end_lineno, real.end_col_offset)
        if isinstance(real, ast.Name):
            assert f"id={real.id!r}" in node.label and type(real.ctx).__name__ in node.label
    parents = {n.index: n.parent for n in view.nodes}
    assert parents[0] is None and all(p is not None and p < i for i, p in parents.items() if i)


def test_symbol_tables_are_what_symtable_reports(program: tuple[str, PythonPhases]) -> None:
    source, view = program
    tables = _all_tables(symtable.symtable(source, "t.py", "exec"))
    assert [(s.name, s.type, s.line) for s in view.scopes] == [
        (t.get_name(), str(t.get_type()), t.get_lineno()) for t in tables
    ]
    code = {c.co_qualname: c for c in _all_code(compile(source, "t.py", "exec", dont_inherit=True))}
    for scope, table in zip(view.scopes, tables, strict=True):
        assert sorted(s.name for s in scope.symbols) == sorted(table.get_identifiers())
        for symbol in scope.symbols:
            real = table.lookup(symbol.name)
            for flag, method in FLAGS.items():
                assert (flag in symbol.flags) == method(real), (scope.name, symbol.name, flag)
            if "global" in symbol.flags:
                assert real.is_global() and not real.is_declared_global()
        if table.get_type() == "function":  # cells and frees as the code object has them
            qualname = next((q for q in code if q.split(".")[-1] == table.get_name()), None)
            if qualname and "<" not in table.get_name():
                cells = {s.name for s in scope.symbols if "cell" in s.flags}
                frees = {s.name for s in scope.symbols if "free" in s.flags}
                assert cells == set(code[qualname].co_cellvars)
                assert frees == set(code[qualname].co_freevars)


def test_closures_cells_frees_and_nonlocal() -> None:
    view = python_source(CLOSURES)
    scopes = {s.name: {sym.name: sym for sym in s.symbols} for s in view.scopes}
    assert "cell" in scopes["counter"]["count"].flags
    assert {"free", "nonlocal"} <= set(scopes["step"]["count"].flags)
    assert "parameter" in scopes["step"]["by"].flags
    assert scopes["step"]["count"].lines == [5, 6, 7]
    assert scopes["counter"]["step"].lines == [4, 9]


def test_globals_imports_and_comprehension_scopes() -> None:
    view = python_source(GLOBALS)
    scopes = {s.name: {sym.name: sym for sym in s.symbols} for s in view.scopes}
    assert "declared global" in scopes["add"]["TOTAL"].flags
    assert {"imported"} <= set(scopes["top"]["p"].flags)
    assert scopes["top"]["p"].lines == [1]
    assert {"parameter"} <= set(scopes["add"]["options"].flags)
    comp = python_source(COMPREHENSIONS)
    kinds = [s.name for s in comp.scopes]
    assert kinds.count("listcomp") == 2 and "dictcomp" in kinds and "genexpr" in kinds
    assert "lambda" in kinds and "setcomp" in kinds
    first = next(s for s in comp.scopes if s.name == "listcomp")
    names = {sym.name: sym for sym in first.symbols}
    assert names["i"].lines == [2] and "range" not in names  # the first iterable is outside
    grid = next(s for s in comp.scopes if s.name == "grid")
    assert {sym.name: sym for sym in grid.symbols}["n"].lines == [1, 2, 5]  # 5: z=n
    dictcomp = {
        sym.name: sym for sym in next(s for s in comp.scopes if s.name == "dictcomp").symbols
    }
    assert "free" in dictcomp["n"].flags and dictcomp["n"].lines == [3]  # the inner range(n)
    lam = next(s for s in comp.scopes if s.name == "lambda")
    assert {sym.name: sym.lines for sym in lam.symbols} == {"y": [5], "z": [5], "n": [5]}


def test_bytecode_is_what_dis_reports(program: tuple[str, PythonPhases]) -> None:
    source, view = program
    expected = _all_code(compile(source, "t.py", "exec", dont_inherit=True))
    assert sorted(c.qualname for c in view.code) == sorted(c.co_qualname for c in expected)
    by_name = {c.co_qualname: c for c in expected}
    for obj in view.code:
        real = list(dis.get_instructions(by_name[obj.qualname]))
        assert [(i.offset, i.opname, i.arg) for i in obj.instructions] == [
            (i.offset, i.opname, i.arg) for i in real
        ]
        for ins, instruction in zip(obj.instructions, real, strict=True):
            line = instruction.positions.lineno if instruction.positions else None
            assert (ins.span.line if ins.span else None) == (line or None)
    assert all(" at 0x" not in i.argrepr for c in view.code for i in c.instructions)


def test_a_line_links_exactly_what_starts_on_it(program: tuple[str, PythonPhases]) -> None:
    source, view = program
    code = _all_code(compile(source, "t.py", "exec", dont_inherit=True))
    tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    pre = _ast_preorder(ast.parse(source))
    for line in range(1, len(view.lines) + 1):
        shown = view.restrict(select(view, line=line))
        assert all(t.span.line == line for t in shown.tokens)
        assert len(shown.tokens) == sum(1 for t in tokens if t.start[0] == line)
        assert all(n.span is not None and n.span.line == line for n in shown.nodes)
        positioned = {n.index for n in shown.nodes if hasattr(pre[n.index], "lineno")}
        assert positioned == {
            i for i, real in enumerate(pre) if getattr(real, "lineno", None) == line
        }
        for scope in shown.scopes:
            assert all(line in symbol.lines for symbol in scope.symbols)
        instructions = [i for c in shown.code for i in c.instructions]
        assert all(i.span is not None and i.span.line == line for i in instructions)
        real = [
            i
            for c in code
            for i in dis.get_instructions(c)
            if i.positions is not None and i.positions.lineno == line
        ]
        assert len(instructions) == len(real)
        links = view.links().get(line, {})
        assert sorted(links.get("tokens", [])) == [t.index for t in shown.tokens]


def test_a_node_links_what_starts_inside_it() -> None:
    view = python_source(CLOSURES)
    inner = next(n for n in view.nodes if n.label == "FunctionDef name='step'")
    shown = view.restrict(select(view, node=inner.index))
    assert shown.nodes[0] == inner
    assert {t.span.line for t in shown.tokens} == {4, 5, 6, 7}
    assert {c.qualname for c in shown.code} == {"counter", "counter.<locals>.step"}
    with pytest.raises(Exception, match="no node 999"):
        select(view, node=999)
    with pytest.raises(Exception, match="outside"):
        select(view, line=99)


def test_non_ascii_columns_count_characters() -> None:
    view = python_source('s = "héllo wörld"; t = s\n')
    name = next(n for n in view.nodes if n.label.startswith("Name id='t'"))
    token = next(t for t in view.tokens if t.text == "t")
    assert name.span is not None and name.span.col == token.span.col == 19


def test_syntax_error_shows_tokens_up_to_it_and_a_caret(tmp_path: Path, sector) -> None:
    source = "def f(x):\n    return x +\n\nprint(f(1))\n"
    view = python_source(source, "bad.py")
    with pytest.raises(SyntaxError) as raised:
        compile(source, "bad.py", "exec", dont_inherit=True)
    assert view.error is not None
    assert (view.error.line, view.error.col + 1) == (raised.value.lineno, raised.value.offset)
    assert view.error.message == raised.value.msg and view.error.phase == "parse"
    assert view.tokens and all(t.span.line <= 2 for t in view.tokens)
    assert not view.nodes and not view.code
    file = tmp_path / "bad.py"
    file.write_text(source)
    result = sector("viz", "phases", str(file))
    assert result.exit_code == 2
    assert "   2 |     return x +" in result.stdout
    assert " " * 21 + "^" in result.stdout
    assert result.stderr.strip() == f"error: {file}:2:15: invalid syntax (parse error)"
    as_json = sector("viz", "phases", str(file), "--json")
    assert as_json.exit_code == 2
    data = json.loads(as_json.stdout)
    assert data["error"]["line"] == 2 and data["ast"] == [] and data["tokens"]


def test_compile_errors_keep_the_syntax_tree() -> None:
    view = python_source("x = 1\nreturn x\n")
    assert view.error is not None and view.error.phase == "compile"
    assert "outside function" in view.error.message and view.error.line == 2
    assert [n.type for n in view.nodes][:2] == ["Module", "Assign"]


def test_deep_nesting_and_huge_files_are_refused(tmp_path: Path, sector) -> None:
    deep = tmp_path / "deep.py"
    deep.write_text("x = " + "+".join(["1"] * 100_000) + "\n")
    result = sector("viz", "phases", str(deep))
    assert result.exit_code == 2 and "nested too deeply" in result.stderr
    huge = tmp_path / "huge.py"
    huge.write_text("x = 1\n" * 200_000)
    result = sector("viz", "phases", str(huge))
    assert result.exit_code == 2 and "too large" in result.stderr


def test_unsupported_language_names_the_supported_ones(tmp_path: Path, sector) -> None:
    notes = tmp_path / "notes.rb"
    notes.write_text("x = 1\n")
    result = sector("viz", "phases", str(notes))
    assert result.exit_code == 2
    assert "Python, C and C++" in result.stderr and "sector viz ast" in result.stderr
    assert sector("viz", "phases", str(notes), "--lang", "ruby").exit_code == 2
    forced = sector("viz", "phases", str(notes), "--lang", "python", "--json")
    assert forced.exit_code == 0 and json.loads(forced.stdout)["language"] == "python"


def test_terminal_overview_and_line(tmp_path: Path, sector) -> None:
    file = tmp_path / "closures.py"
    file.write_text(CLOSURES)
    overview = sector("viz", "phases", str(file))
    assert overview.exit_code == 0, overview.output
    for title in ("Tokens (tokenize)", "Syntax tree (ast)", "Symbol tables", "Bytecode (dis)"):
        assert title in overview.stdout
    line = sector("viz", "phases", str(file), "--line", "6")
    assert line.exit_code == 0
    assert "count += by" in line.stdout and "STORE_DEREF" in line.stdout
    assert "AugAssign" in line.stdout and "PLUSEQUAL" in line.stdout
    assert "LOAD_CLOSURE" not in line.stdout  # that is line 4's
    assert sector("viz", "phases", str(file), "--line", "0").exit_code == 2


def test_json_holds_every_phase_with_positions(tmp_path: Path, sector) -> None:
    file = tmp_path / "classes.py"
    file.write_text(CLASSES)
    result = sector("viz", "phases", str(file), "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data) >= {"tokens", "ast", "scopes", "code", "links", "lines", "error"}
    assert data["error"] is None and data["lines"][0] == "class Account:"
    assert all({"line", "col", "end_line", "end_col"} <= set(t) for t in data["tokens"])
    links = data["links"]["9"]
    assert {"tokens", "ast", "symbols", "instructions"} <= set(links)
    assert all(data["tokens"][i]["line"] == 9 for i in links["tokens"])
    selected = json.loads(sector("viz", "phases", str(file), "--json", "-n", "9").stdout)
    assert selected["selection"] == "line 9"
    assert {t["line"] for t in selected["tokens"]} == {9}


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.sections: list[str] = []
        self.rows: list[tuple[str, str]] = []
        self.scripts = 0
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "section":
            self.sections.append(found.get("data-phase") or "")
        if tag == "div" and "data-lines" in found:
            self.rows.append((self.sections[-1], found["data-lines"] or ""))
        if tag == "script":
            self.scripts += 1
            assert "src" not in found  # nothing fetched

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_html_links_the_phases_by_line(tmp_path: Path, sector) -> None:
    file = tmp_path / "closures.py"
    file.write_text(CLOSURES)
    out = tmp_path / "phases.html"
    result = sector("viz", "phases", str(file), "--line", "6", "--out", str(out))
    assert result.exit_code == 0, result.output
    parser = _Page()
    parser.feed(out.read_text())
    assert parser.sections == ["source", "tokens", "ast", "symbols", "bytecode"]
    assert parser.scripts == 1
    on_six = {phase for phase, lines in parser.rows if "6" in lines.split()}
    assert on_six == {"source", "tokens", "ast", "symbols", "bytecode"}
    text = "".join(parser.text)
    assert "STORE_DEREF" in text and "nonlocal" in text
    assert 'data-line="6"' in out.read_text()


def test_svg_draws_four_columns(tmp_path: Path, sector) -> None:
    file = tmp_path / "comprehensions.py"
    file.write_text(COMPREHENSIONS)
    out = tmp_path / "phases.svg"
    assert sector("viz", "phases", str(file), "--out", str(out)).exit_code == 0
    root = ET.fromstring(out.read_text())
    texts = [t.text or "" for t in root.iter("{http://www.w3.org/2000/svg}text")]
    for title in ("Tokens (tokenize)", "Syntax tree (ast)", "Symbol tables (symtable)"):
        assert title in texts
    assert any("listcomp" in t for t in texts) and any("BUILD_LIST" in t for t in texts)
    boxes = [r for r in root.iter("{http://www.w3.org/2000/svg}rect") if r.get("class") == "box"]
    assert len(boxes) == 4
    selected = drawing(python_source(COMPREHENSIONS), select(python_source(COMPREHENSIONS), 5))
    assert "lambda" in selected.render() and "BUILD_LIST" not in selected.render()


def test_columns_and_page_for_a_syntax_error() -> None:
    view = python_source("x = (1,\n")
    assert view.error is not None
    html = page(view)
    assert "^" in html and "error" in html
    assert [c.key for c in columns(view)] == ["tokens", "ast", "symbols", "bytecode"]


# C and C++ in the sandbox ---------------------------------------------------------------------

C_SOURCE = """\
#include <stdio.h>
#define SQUARE(x) ((x) * (x))

int sum_squares(int n) {
    int total = 0;
    for (int i = 1; i <= n; i++)
        total += SQUARE(i);
    return total;
}

int main(void) {
    printf("%d\\n", sum_squares(10));
    return 0;
}
"""
CPP_SOURCE = """\
#include <vector>

int total(const std::vector<int>& values) {
    int sum = 0;
    for (int v : values) sum += v;
    return sum;
}
"""


def _tools(language: str, runner) -> Toolchain:  # type: ignore[no-untyped-def]
    compiler, flag = ("gcc", "-std=c17") if language == "c" else ("g++", "-std=c++20")
    return Toolchain(language, compiler, (flag,), "gcc:14", runner)


def test_c_phases_in_the_sandbox(tmp_path: Path, local_runner) -> None:  # type: ignore[no-untyped-def]
    file = tmp_path / "sum.c"
    file.write_text(C_SOURCE)
    view = asyncio.run(service.native_phases(file, _tools("c", local_runner)))
    assert view.error is None and view.problem is None and view.runner == "local"
    seven = view.restrict(select(view, line=7))
    assert [p.text.strip() for p in seven.preprocessed] == ["total += ((i) * (i));"]
    assert any("imul" in a.text for a in seven.assembly)
    assert all(a.line == 7 for a in seven.assembly)
    assert {t.text for t in seven.tokens} >= {"total", "+=", "SQUARE"}
    header = view.preprocessed[0]
    assert header.line == 1 and header.count > 50 and header.origin.endswith("stdio.h")
    labels = [a.text for a in view.assembly if a.kind == "label"]
    assert "sum_squares:" in labels and "main:" in labels
    optimised = asyncio.run(service.native_phases(file, _tools("c", local_runner), opt=2))
    assert [a.text for a in optimised.assembly] != [a.text for a in view.assembly]


def test_cpp_phases_in_the_sandbox(tmp_path: Path, local_runner) -> None:  # type: ignore[no-untyped-def]
    file = tmp_path / "total.cpp"
    file.write_text(CPP_SOURCE)
    view = asyncio.run(service.native_phases(file, _tools("cpp", local_runner)))
    assert view.error is None and view.problem is None
    assert any(p.count > 1000 for p in view.preprocessed)  # <vector> is big
    assert any(a.line == 5 for a in view.assembly)
    assert "for_range_loop" in {n.type for n in view.nodes}


def test_includes_cannot_read_host_files(tmp_path: Path, local_runner) -> None:  # type: ignore[no-untyped-def]
    secret = tmp_path / "secret" / "secret.h"
    secret.parent.mkdir()
    secret.write_text("int secret_value_4711 = 1;\n")
    file = tmp_path / "work" / "leak.c"
    file.parent.mkdir()
    file.write_text(
        f'#include "{secret}"\n#include "/etc/shadow"\nint main(void) {{ return 0; }}\n'
    )
    view = asyncio.run(service.native_phases(file, _tools("c", local_runner)))
    assert view.error is not None and view.error.line == 1
    assert "No such file" in view.error.message
    assert "secret_value_4711" not in json.dumps(view.to_json())


def test_local_headers_are_compiled_with_the_file(tmp_path: Path, local_runner) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "util.h").write_text("#define TWICE(x) (2 * (x))\n")
    file = tmp_path / "main.c"
    file.write_text('#include "util.h"\nint f(int a) { return TWICE(a); }\n')
    view = asyncio.run(service.native_phases(file, _tools("c", local_runner)))
    assert view.error is None
    assert any("(2 * (a))" in p.text for p in view.preprocessed)


def test_c_compile_error_is_shown_with_exit_2(tmp_path: Path, sector, local_runner) -> None:  # type: ignore[no-untyped-def]
    file = tmp_path / "broken.c"
    file.write_text("int main(void) {\n    return undefined_name;\n}\n")
    result = sector("viz", "phases", str(file), "--runner", "local")
    assert result.exit_code == 2, result.output
    assert "undefined_name" in result.stdout and "^" in result.stdout
    assert f"{file}:2:12" in result.stderr


def test_c_phases_from_the_cli_as_json(tmp_path: Path, sector, local_runner) -> None:  # type: ignore[no-untyped-def]
    file = tmp_path / "sum.c"
    file.write_text(C_SOURCE)
    result = sector("viz", "phases", str(file), "--runner", "local", "--json", "--opt", "2")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["language"] == "c" and data["opt"] == 2 and data["runner"] == "local"
    assert "-O2" in data["commands"]["assemble"]
    assert data["links"]["7"]["preprocessed"] and data["links"]["7"]["assembly"]


def test_without_a_sandbox_the_tree_is_shown_and_doctor_named(
    tmp_path: Path, sector, monkeypatch: pytest.MonkeyPatch
) -> None:
    file = tmp_path / "sum.c"
    file.write_text(C_SOURCE)
    monkeypatch.setenv("PATH", str(tmp_path))  # no bwrap, no docker client config
    result = sector("viz", "phases", str(file), "--runner", "local")
    assert result.exit_code == 1
    assert "Syntax tree (tree-sitter)" in result.stdout and "sum_squares" in result.stdout
    assert "sector doctor" in result.stderr and len(result.stderr.strip().splitlines()) == 1
