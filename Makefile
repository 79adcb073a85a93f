# Two commands do all set-up on a fresh clone: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
SLR    := $(BIN)/slr
OUT    := out/demo
PROTO  := protocols/mlops.toml

.PHONY: install test lint typecheck pytest demo search clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

lint: install
	$(BIN)/ruff check slr tests benchmarks
	$(BIN)/ruff format --check slr tests benchmarks

typecheck: install
	$(BIN)/mypy slr

pytest: install
	$(BIN)/pytest

test: lint typecheck pytest

# The reference review, offline, end to end as far as the pipeline goes; outputs in out/demo/.
demo: install
	$(BIN)/python -m slr.demo --out $(OUT) -p $(PROTO)

search: install
	$(SLR) search -p $(PROTO)

clean:
	rm -rf $(VENV) out .pytest_cache .mypy_cache .ruff_cache .hypothesis
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
