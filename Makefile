# The README's two commands: `make demo` and `make test`. Both run `make setup` first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.setup-stamp
TORCH_VERSION ?= 2.13.0

.PHONY: setup sandbox renderers embedder demo test lint typecheck pytest bench bench-context docs clean

setup: sandbox renderers $(STAMP) embedder

# The local sandbox's bubblewrap: installed quietly where we may (root with apt-get), else
# the command to run is printed; without it runs use util-linux's `unshare` (as root).
sandbox:
	@command -v bwrap >/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    (apt-get install -y -qq bubblewrap || { apt-get update -qq && apt-get install -y -qq bubblewrap; }) >/dev/null 2>&1 \
	      || echo "could not install bubblewrap with apt-get: runs use the unshare sandbox instead"; \
	  else \
	    echo "bubblewrap is not installed: run \`sudo apt-get install bubblewrap\` (dnf/pacman: bubblewrap)"; \
	  fi; }

# `sector export` lays out pages with WeasyPrint, which needs Pango; librsvg draws pictures
# for DOCX and PPTX (without it WeasyPrint does, more slowly). Installed the same way.
renderers:
	@ldconfig -p 2>/dev/null | grep -q libpangoft2-1.0 && command -v rsvg-convert >/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    (apt-get install -y -qq libpangoft2-1.0-0 librsvg2-bin || { apt-get update -qq && apt-get install -y -qq libpangoft2-1.0-0 librsvg2-bin; }) >/dev/null 2>&1 \
	      || echo "could not install Pango and librsvg with apt-get: PDF export needs Pango"; \
	  else \
	    echo "PDF export needs Pango: run \`sudo apt-get install libpangoft2-1.0-0 librsvg2-bin\`"; \
	  fi; }

# Re-run only when the dependencies change: quick when nothing did.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	# torch first, pinned: this version resolves to the CPU wheel here, a bare one pulls CUDA.
	$(BIN)/python -m pip install --quiet "torch==$(TORCH_VERSION)"
	CMAKE_ARGS="-DGGML_NATIVE=OFF" $(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# The context index's embedder runs an ONNX copy of the bundled model, made here once from its
# weights (about 10 s); quick when the copy is current.
embedder: $(STAMP)
	@$(BIN)/python -m sector_cli.plugins.embedders.onnx_export

demo: setup
	PATH="$(CURDIR)/$(BIN):$$PATH" bash scripts/demo.sh

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: setup
	$(BIN)/mypy

pytest: setup
	$(BIN)/pytest $(PYTEST_ARGS)

test: lint typecheck pytest

bench: setup
	$(BIN)/python bench/startup.py
	$(BIN)/python bench/runs.py
	$(BIN)/python bench/trace.py
	$(BIN)/python bench/llama_threads.py

# Needs the Python documentation as its corpus: apt-get install python3.11-doc
bench-context: setup
	$(BIN)/python bench/context.py

docs: setup
	$(BIN)/python scripts/cli_reference.py docs/cli-reference.md

clean:
	rm -rf $(VENV) build dist *.egg-info .mypy_cache .ruff_cache .pytest_cache
