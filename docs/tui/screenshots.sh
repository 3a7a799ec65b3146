#!/usr/bin/env bash
# Makes the screenshots of docs/tui.md with `sector tui --screenshot` (no terminal needed),
# in a throwaway project and SECTOR_HOME, with the local sandbox.
# Usage: docs/tui/screenshots.sh [SECTOR]   (default: .venv/bin/sector)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
sector="$(realpath "${1:-.venv/bin/sector}")"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export SECTOR_HOME="$work/home" SECTOR_RUNNER=local
mkdir -p "$work/sorting/lib" "$work/plain"
cd "$work/sorting"
cat > sort.py <<'PY'
from lib.swap import swap

numbers = [5, 2, 9, 1, 7]
for end in range(len(numbers) - 1, 0, -1):
    for i in range(end):
        if numbers[i] > numbers[i + 1]:
            swap(numbers, i, i + 1)
    print(f"pass {len(numbers) - end}: {numbers}")
print("sorted:", numbers)
PY
cat > lib/swap.py <<'PY'
def swap(items, i, j):
    items[i], items[j] = items[j], items[i]
PY
cat > greet.py <<'PY'
name = input("What is your name? ")
print(f"Hello, {name}!")
PY
cat > average.py <<'PY'
marks = []
print("average:", sum(marks) / len(marks))
PY
"$sector" init >/dev/null
"$sector" file add . >/dev/null
"$sector" run average.py >/dev/null 2>&1 || true  # a failing run: its verdict shows in the tree
"$sector" tui --screenshot "$here/run-panel.svg" --run sort.py
"$sector" tui --screenshot "$here/small-60x20.svg" --size 60x20 --run sort.py
cd "$work/plain"
"$sector" tui --screenshot "$here/not-a-project.svg" --size 80x24
