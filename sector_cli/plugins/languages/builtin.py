"""The languages Sector ships with. Registered through entry points like any third party's."""

from __future__ import annotations

from sector_cli.plugins.language import Grammar, Language


class Python(Language):
    name = "python"
    summary = "Python 3 (CPython)"
    extensions = (".py", ".pyw")
    shebangs = ("python", "python3", "pypy3")
    grammar = Grammar("tree-sitter-python", "tree_sitter_python")
    run_command = ("python3", "-u", "{source}")
    docker_image = "python:3.12-slim"
    install_hint = "apt-get install python3"


class JavaScript(Language):
    name = "javascript"
    summary = "JavaScript on Node.js"
    extensions = (".js", ".mjs", ".cjs")
    shebangs = ("node", "nodejs")
    grammar = Grammar("tree-sitter-javascript", "tree_sitter_javascript")
    run_command = ("node", "{source}")
    docker_image = "node:22-slim"
    install_hint = "apt-get install nodejs"


class TypeScript(Language):
    name = "typescript"
    summary = "TypeScript, compiled with tsc and run on Node.js"
    extensions = (".ts", ".mts", ".cts", ".tsx")
    shebangs = ("ts-node", "tsx", "deno", "bun")
    grammar = Grammar("tree-sitter-typescript", "tree_sitter_typescript", "language_typescript")
    compile_command = (
        "tsc",
        "--target",
        "es2022",
        "--module",
        "commonjs",
        "--outDir",
        "{dir}/out",
        "{source}",
    )
    run_command = ("node", "{dir}/out/{stem}.js")
    docker_image = "node:22-slim"
    install_hint = "npm install -g typescript"


class C(Language):
    name = "c"
    summary = "C (C17) with gcc"
    extensions = (".c", ".h")
    grammar = Grammar("tree-sitter-c", "tree_sitter_c")
    compile_command = ("gcc", "-std=c17", "-O2", "-Wall", "-o", "{binary}", "{source}", "-lm")
    run_command = ("{binary}",)
    docker_image = "gcc:14"
    install_hint = "apt-get install gcc"


class Cpp(Language):
    name = "cpp"
    summary = "C++ (C++20) with g++"
    extensions = (".cpp", ".cc", ".cxx", ".c++", ".hpp", ".hh", ".hxx")
    grammar = Grammar("tree-sitter-cpp", "tree_sitter_cpp")
    compile_command = ("g++", "-std=c++20", "-O2", "-Wall", "-o", "{binary}", "{source}")
    run_command = ("{binary}",)
    docker_image = "gcc:14"
    install_hint = "apt-get install g++"


class Rust(Language):
    name = "rust"
    summary = "Rust with rustc"
    extensions = (".rs",)
    grammar = Grammar("tree-sitter-rust", "tree_sitter_rust")
    compile_command = ("rustc", "--edition", "2021", "-O", "-o", "{binary}", "{source}")
    run_command = ("{binary}",)
    docker_image = "rust:1-slim"
    install_hint = "apt-get install rustc (or rustup)"


class Go(Language):
    name = "go"
    summary = "Go with the go toolchain"
    extensions = (".go",)
    grammar = Grammar("tree-sitter-go", "tree_sitter_go")
    compile_command = ("go", "build", "-o", "{binary}", "{source}")
    run_command = ("{binary}",)
    docker_image = "golang:1-bookworm"
    install_hint = "apt-get install golang-go"


class Java(Language):
    name = "java"
    summary = "Java with javac (the file's public class must match its name)"
    extensions = (".java",)
    grammar = Grammar("tree-sitter-java", "tree_sitter_java")
    compile_command = ("javac", "-d", "{dir}/classes", "{source}")
    run_command = ("java", "-cp", "{dir}/classes", "{stem}")
    docker_image = "eclipse-temurin:21-jdk"
    install_hint = "apt-get install default-jdk"

    def source_name(self, stem: str) -> str:
        return "Main.java"  # a snippet's public class is Main by convention


class Shell(Language):
    name = "shell"
    summary = "POSIX shell and bash scripts"
    extensions = (".sh", ".bash")
    shebangs = ("sh", "bash", "dash", "zsh")
    grammar = Grammar("tree-sitter-bash", "tree_sitter_bash")
    run_command = ("bash", "{source}")
    docker_image = "debian:bookworm-slim"
    install_hint = "apt-get install bash"
