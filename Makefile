# Case officers: `make all` sets everything up and builds output/ from input/.
# Developers: `make test`, `make lint`, `make bench`. See README.md.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# Touched after a successful install; pyproject.toml or constraints.txt being newer means: install again.
READY  := $(VENV)/.ready

.PHONY: all build test lint bench nightly validate list check-templates clean

all: build

$(READY): pyproject.toml constraints.txt tools/setup.sh
	@sh tools/setup.sh "$(PYTHON)" "$(VENV)"
	@touch $@

build: $(READY)
	$(BIN)/pipeline build

validate: $(READY)
	$(BIN)/pipeline validate

list: $(READY)
	$(BIN)/pipeline list

check-templates: $(READY)
	$(BIN)/pipeline check-templates

# For the scheduler: no progress bar, one log file, exit code for monitoring (see README).
nightly: $(READY)
	$(BIN)/pipeline build --nightly

test: $(READY)
	$(BIN)/python -m pytest -q

# Style and the one-way stages of pipeline/ (pyproject.toml: [tool.ruff], [tool.importlinter]).
lint: $(READY)
	$(BIN)/ruff check .
	$(BIN)/lint-imports

bench: $(READY)
	$(BIN)/python -m benchmarks

# Removes only what the pipeline wrote and nobody changed (never a held meeting's document);
# it says what it kept. Then the virtual environment.
clean:
	@if [ -x $(BIN)/pipeline ]; then $(BIN)/pipeline clean; \
	else echo "Ingen .venv: outputmappen er ikke rørt (kør 'make all' først for at rydde den op)."; fi
	rm -rf $(VENV) .pytest_cache
