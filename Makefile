# Two commands from a fresh clone: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
DEMO   ?= demo-workspace

.PHONY: demo test test-dates lint install install-test bench messages clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Bytecode is compiled at install: an editable install has none, and where
# PYTHONDONTWRITEBYTECODE is set every command would otherwise recompile cstool.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	$(BIN)/python -m compileall -q cstool
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	$(BIN)/python -m compileall -q cstool
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

demo: install
	$(BIN)/cstool demo --force $(DEMO)

LINTED := cstool tests benchmarks examples

lint: install-test
	$(BIN)/ruff check $(LINTED)
	$(BIN)/ruff format --check $(LINTED)
	$(BIN)/mypy

# The suite under coverage: the figure is printed at the end (what the in-process tests
# reach; code run only in the processes tests start is not counted). No gate.
test: lint
	$(BIN)/python -m coverage run -m pytest -q
	@$(BIN)/python -m coverage report --format=total | sed 's/^/coverage of cstool\/ (in-process tests): /; s/$$/ %/'

# The suite on other days: the tests fix "now" (CSTOOL_TEST_NOW) and must pass whatever it is.
# CI runs it with TEST_ARGS='-m "not slow"': the slow tests are about processes and long property
# searches over instants of their own, none about today's date.
TEST_DATES ?= 2026-12-31T23:59:00+08:00 2027-01-01T00:00:00+08:00 2028-02-29T12:00:00+08:00
TEST_ARGS ?=
test-dates: install-test
	@for day in $(TEST_DATES); do \
		echo "== the suite at $$day"; \
		CSTOOL_TEST_NOW=$$day $(BIN)/python -m pytest -q -p no:cacheprovider $(TEST_ARGS) || exit 1; \
	done

bench: install-test
	$(BIN)/python benchmarks/run

# After changing a message in the code: extract, merge into both catalogues (translate the
# new empty entries in zh and en .po files), then run again to compile. tests/test_i18n.py
# fails while a message lacks either translation or a .mo is stale.
LOCALE := cstool/locale
messages: install-test
	$(BIN)/pybabel extract -F babel.cfg --no-location --sort-output --omit-header -o $(LOCALE)/cstool.pot .
	$(BIN)/pybabel update -i $(LOCALE)/cstool.pot -d $(LOCALE) -D cstool --no-fuzzy-matching --ignore-obsolete --width 100
	$(BIN)/pybabel compile -d $(LOCALE) -D cstool --statistics
	$(BIN)/pybabel compile -d $(LOCALE) -D click --statistics

clean:
	rm -rf $(VENV) $(DEMO) build dist .pytest_cache
