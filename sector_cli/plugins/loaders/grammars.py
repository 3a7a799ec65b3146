"""The tree-sitter grammars the code loader knows: what each language's syntax tree calls a
definition, and which file extensions are written in it. Data only: nothing is imported here."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Grammar:
    """What one language's syntax tree calls a definition, and where its grammar lives."""

    package: str  # the pip distribution, for the hint when it is missing
    module: str
    definitions: Mapping[str, str]  # node type -> keyword of the title ("def", "class")
    function: str = "language"  # the module's function returning the grammar
    wrappers: frozenset[str] = frozenset()  # hold one definition: decorators, `export`...
    transparent: frozenset[str] = frozenset()  # scanned in place: `#ifdef`, `extern "C" {}`
    attached: frozenset[str] = frozenset({"comment"})  # go with the definition below them
    needs_body: frozenset[str] = frozenset()  # these without a body are only declarations


JS_DEFINITIONS = {
    "function_declaration": "function",
    "generator_function_declaration": "function",
    "class_declaration": "class",
    "method_definition": "method",
    "lexical_declaration": "function",  # only `const f = () => ...`: see code._variable_name
    "variable_declaration": "function",
}
TS_DEFINITIONS = {
    **JS_DEFINITIONS,
    "abstract_class_declaration": "class",
    "interface_declaration": "interface",
    "type_alias_declaration": "type",
    "enum_declaration": "enum",
    "internal_module": "namespace",
    "module": "module",
    "function_signature": "function",
    "method_signature": "method",
    "abstract_method_signature": "method",
}
TS_WRAPPERS = frozenset({"export_statement", "ambient_declaration", "expression_statement"})
JS_ATTACHED = frozenset({"comment", "decorator"})  # a method's decorators are its siblings
C_DEFINITIONS = {
    "function_definition": "function",
    "struct_specifier": "struct",
    "union_specifier": "union",
    "enum_specifier": "enum",
    "type_definition": "typedef",
}
C_TRANSPARENT = frozenset(
    {"preproc_ifdef", "preproc_if", "preproc_else", "preproc_elif", "preproc_elifdef"}
)
C_SPECIFIERS = frozenset({"struct_specifier", "union_specifier", "enum_specifier"})

GRAMMARS: dict[str, Grammar] = {
    "python": Grammar(
        "tree-sitter-python",
        "tree_sitter_python",
        {"function_definition": "def", "class_definition": "class"},
        wrappers=frozenset({"decorated_definition"}),
    ),
    "javascript": Grammar(
        "tree-sitter-javascript",
        "tree_sitter_javascript",
        JS_DEFINITIONS,
        wrappers=frozenset({"export_statement"}),
        attached=JS_ATTACHED,
    ),
    "typescript": Grammar(
        "tree-sitter-typescript",
        "tree_sitter_typescript",
        TS_DEFINITIONS,
        "language_typescript",
        wrappers=TS_WRAPPERS,
        attached=JS_ATTACHED,
    ),
    "tsx": Grammar(
        "tree-sitter-typescript",
        "tree_sitter_typescript",
        TS_DEFINITIONS,
        "language_tsx",
        wrappers=TS_WRAPPERS,
        attached=JS_ATTACHED,
    ),
    "c": Grammar(
        "tree-sitter-c",
        "tree_sitter_c",
        C_DEFINITIONS,
        wrappers=frozenset({"declaration"}),
        transparent=C_TRANSPARENT,
        needs_body=C_SPECIFIERS,
    ),
    "cpp": Grammar(
        "tree-sitter-cpp",
        "tree_sitter_cpp",
        {
            **C_DEFINITIONS,
            "class_specifier": "class",
            "namespace_definition": "namespace",
            "field_declaration": "method",  # only a method's declaration: see code._field_name
            "concept_definition": "concept",
        },
        wrappers=frozenset({"declaration", "template_declaration"}),
        transparent=C_TRANSPARENT | {"linkage_specification", "declaration_list"},
        needs_body=C_SPECIFIERS | {"class_specifier"},
    ),
    "rust": Grammar(
        "tree-sitter-rust",
        "tree_sitter_rust",
        {
            "function_item": "fn",
            "function_signature_item": "fn",
            "struct_item": "struct",
            "enum_item": "enum",
            "union_item": "union",
            "trait_item": "trait",
            "impl_item": "impl",
            "mod_item": "mod",
            "macro_definition": "macro_rules!",
            "type_item": "type",
        },
        attached=frozenset({"line_comment", "block_comment", "attribute_item"}),
        needs_body=frozenset({"mod_item"}),
    ),
    "go": Grammar(
        "tree-sitter-go",
        "tree_sitter_go",
        {"function_declaration": "func", "method_declaration": "func", "type_declaration": "type"},
    ),
    "java": Grammar(
        "tree-sitter-java",
        "tree_sitter_java",
        {
            "class_declaration": "class",
            "interface_declaration": "interface",
            "enum_declaration": "enum",
            "record_declaration": "record",
            "annotation_type_declaration": "@interface",
            "method_declaration": "method",
            "constructor_declaration": "constructor",
            "compact_constructor_declaration": "constructor",
        },
        attached=frozenset({"line_comment", "block_comment"}),
    ),
    "bash": Grammar("tree-sitter-bash", "tree_sitter_bash", {"function_definition": "function"}),
}

EXTENSIONS: dict[str, str] = {
    **dict.fromkeys((".py", ".pyi"), "python"),
    **dict.fromkeys((".js", ".mjs", ".cjs", ".jsx"), "javascript"),
    **dict.fromkeys((".ts", ".mts", ".cts"), "typescript"),
    ".tsx": "tsx",
    **dict.fromkeys((".c", ".h"), "c"),
    **dict.fromkeys((".cc", ".cpp", ".cxx", ".hpp", ".hh", ".hxx"), "cpp"),
    ".rs": "rust",
    ".go": "go",
    ".java": "java",
    **dict.fromkeys((".sh", ".bash"), "bash"),
}
