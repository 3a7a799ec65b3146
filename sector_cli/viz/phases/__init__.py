"""Compiler phases of one source file, linked by source position.

Python: tokens (`tokenize`), the syntax tree (`ast`), symbol tables (`symtable`) and bytecode
(`dis`, every code object). C and C++: tokens and syntax tree (tree-sitter), the preprocessed
source (`gcc -E`) and the assembly (`gcc -S`), both made inside the sandbox runner, since
`#include` reads files. Every item carries the source range it comes from, so that choosing a
line or a node (`select`) finds its tokens, nodes, symbols and instructions together: an item
belongs to a selection when it *starts* inside it.

The learner's code is only parsed and compiled here, never executed.

The public API is what this package exports; the work is done in its modules:

- `model`: the view models (`PythonPhases`, `NativePhases` and their items) and JSON;
- `python`: tokens, syntax tree and bytecode of Python (`symbols`: symtable);
- `native`: tree-sitter, then `gcc -E` and `gcc -S` in the sandbox, for C and C++;
- `choose`: the language of a file and the part of it a selection stands for;
- `render`: the terminal, SVG and HTML drawings.
"""

from __future__ import annotations

from sector_cli.viz.phases.choose import NATIVE, PYTHON, SUPPORTED, language_of, select
from sector_cli.viz.phases.model import (
    AsmLine,
    AstNode,
    CodeObject,
    Instruction,
    NativePhases,
    Phases,
    PreprocessedLine,
    PythonPhases,
    Scope,
    Selection,
    SourceError,
    Symbol,
    Token,
)
from sector_cli.viz.phases.native import Toolchain, native_phases, toolchain
from sector_cli.viz.phases.python import python_phases, python_source
from sector_cli.viz.phases.render import terminal, write

__all__ = [
    "NATIVE",
    "PYTHON",
    "SUPPORTED",
    "AsmLine",
    "AstNode",
    "CodeObject",
    "Instruction",
    "NativePhases",
    "Phases",
    "PreprocessedLine",
    "PythonPhases",
    "Scope",
    "Selection",
    "SourceError",
    "Symbol",
    "Token",
    "Toolchain",
    "language_of",
    "native_phases",
    "python_phases",
    "python_source",
    "select",
    "terminal",
    "toolchain",
    "write",
]
