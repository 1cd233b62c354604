# gridpatrol: `make demo` runs the main job, `make test` runs the checks. Each sets itself up.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_STAMP := $(VENV)/.installed-demo

.PHONY: demo test lint bench setup clean i18n

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	@touch $(STAMP)

$(DEMO_STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[demo]'
	@touch $(DEMO_STAMP)

setup: $(STAMP)

# Debian packages started for real by the tests; the demo only wants the CJK font for pictures.
TEST_DEBS := mosquitto chromium fonts-noto-cjk
DEMO_DEBS := fonts-noto-cjk

demo: $(DEMO_STAMP)
	@./scripts/system-deps.sh --optional $(DEMO_DEBS)
	$(BIN)/gridpatrol demo --out demo-out

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# SITL tests share one simulated copter, so they run in one process. The rest run in three
# workers on two cores: about a third of their time is spent waiting on brokers, vehicles and
# schedule clocks, and a third worker fills it (5:05 on two workers, 3:06 on three).
test: $(STAMP) lint
	@./scripts/system-deps.sh $(TEST_DEBS)
	$(BIN)/python -m pytest -q -m sitl
	$(BIN)/python -m pytest -q -m "not sitl" -n 3

# A benchmark exiting 77 cannot run here (e.g. no SITL): it says why and counts as skipped. Any
# other failure is reported after the rest have run, and fails the target. bench/_*.py are the
# benchmarks' shared helpers, not benchmarks.
bench: $(STAMP)
	@./scripts/system-deps.sh mosquitto
	@failed=""; skipped=""; for b in bench/[!_]*.py; do echo "== $$b"; $(BIN)/python $$b; rc=$$?; \
	  if [ $$rc -eq 77 ]; then skipped="$$skipped $$b"; \
	  elif [ $$rc -ne 0 ]; then failed="$$failed $$b"; echo "== $$b failed (exit $$rc)"; fi; done; \
	  echo "== benchmarks skipped:$${skipped:- none}; failed:$${failed:- none}"; test -z "$$failed"

# After adding user-facing messages: extract, merge, translate the empty msgstr, run again.
i18n: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg --no-default-keywords -k _ -k N_ --add-location=file --sort-by-file --no-wrap --project gridpatrol -o gridpatrol/locale/gridpatrol.pot .
	$(BIN)/pybabel update -i gridpatrol/locale/gridpatrol.pot -d gridpatrol/locale -D gridpatrol -l zh_CN --no-wrap --ignore-obsolete --no-fuzzy-matching
	$(BIN)/python -m gridpatrol.locale.labels centre/page/labels.js
	$(BIN)/pybabel compile -d gridpatrol/locale -D gridpatrol -l zh_CN --statistics

clean:
	rm -rf $(VENV) demo-out .pytest_cache .ruff_cache .hypothesis
