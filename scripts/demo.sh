#!/usr/bin/env bash
# `make demo`: Sector's main job so far, on embedded defaults (SQLite, built-in plugins),
# in a throw-away SECTOR_HOME so that nothing of yours is touched.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The ONNX copy of the embedding model that `make setup` made stays where it is (the cache).
SECTOR_EMBEDDER_CACHE=${SECTOR_EMBEDDER_CACHE:-$(python -c \
  'from sector_cli.plugins.embedders.onnx_export import cache_folder; print(cache_folder())')}
export SECTOR_EMBEDDER_CACHE
export SECTOR_HOME="$work/home"
cp -r "$here/examples/hello-sector" "$work/hello-sector"
cd "$work/hello-sector"

step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; "$@"; }

step sector --version
step sector doctor || true   # missing optional pieces are reported, not fatal
step sector init
step sector file add .
step sector file ls
echo 'print("and one more line")' >> fib.py
printf 'package main\n\nimport "fmt"\n\nfunc main() { fmt.Println("hi") }\n' > src/hello.go
rm web/closure.js
step sector file sync
step sector project ls
step sector project show --json
step sector config set files.max_size 4M
step sector config show
step sector plugins ls
step sector db status

# Runs, in the local sandbox (bubblewrap, else util-linux unshare): no Docker engine needed.
# `sector doctor` says which sandbox works here (its local sandbox check), if any.
sandbox=$( (sector doctor --json || true) | python3 -c 'import json, sys
print(next((c["detail"] for c in json.load(sys.stdin) if c["check"] == "local sandbox" and c["ok"]), ""))')
if [ -n "$sandbox" ]; then printf '\nlocal sandbox: %s\n' "$sandbox"; fi
if [ -n "$sandbox" ]; then
  step sector run fib.py --runner local
  echo 'you' | step sector run greet --runner local -- there
  step sector run --runner local --lang c -c '#include <stdio.h>
int main(void) { int n = 0; for (int i = 1; i <= 100; i++) n += i; printf("%d\n", n); return 0; }'
  step sector run --runner local --lang python -c 'while True: pass' --timeout 1 || true
  step sector runs ls
  step sector runs replay 1
else
  printf '\nno local sandbox works here, so runs are skipped: `sector doctor` says why\n'
fi

# Visualizations: a traced run, stepped through and drawn as a call tree (in the sandbox), and
# how the compiler sees the same file.
if [ -n "$sandbox" ]; then
  step sector run fib.py --runner local --trace
  step sector viz trace fib.py --runner local --step 12
  step sector viz calltree fib.py --runner local --out "$work/calltree.svg"
  printf 'the call tree is also drawn in %s\n' "$work/calltree.svg"
fi
step sector viz phases fib.py --line 2
step sector viz ast fib.py --depth 3

# The assistant, streaming from the bundled model (offline, through llama.cpp).
step sector ask "What does the fib function in this file compute? @file:fib.py:1-6" \
  --max-tokens 120 --temperature 0 --seed 1 -v
step sector ask "explain @file:fib.py" --dry-run

# @context: Sector's own docs indexed locally (the bundled embedding model, LanceDB), searched
# with provenance, and an answer from them with numbered sources and the grounding check.
cp -r "$here/docs" "$work/hello-sector/manual"
step sector context add manual
step sector context ls
step sector context search "how do I limit the memory of a run" -k 3
step sector ask "@context How do I limit the memory of a run?" --max-tokens 120 --temperature 0 --seed 1
step sector context stats
step sector history ls
printf '\nDemo data lived in %s and is removed now.\n' "$work"
