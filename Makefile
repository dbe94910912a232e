# Everything a user or CI needs; each target installs what it needs first.
# Airflow's home and metadata DB live in .airflow/ (see include/csc_complaints/cli.py).
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
CLI := $(BIN)/python -m csc_complaints.cli
FY ?= 2019/20
# make run leaves the report a DRAFT for a person to sign off; APPROVE=auto signs it off.
APPROVE ?= none
# pytest workers: the suite is mostly database-bound; 2 matches this machine's cores.
PYTEST_WORKERS ?= 2
# make demo / make run print a line per DAG and task; Airflow's own output goes to
# .airflow/logs/run-dags/. VERBOSE=1 streams it to the terminal as well.
VERBOSE ?=
RUN_DAGS_FLAGS := $(if $(filter-out 0 false no,$(VERBOSE)),--verbose)

export GX_ANALYTICS_ENABLED := False

.PHONY: install airflow-db browser-deps demo run test lint format bench clean

install: $(VENV)/.installed

$(VENV)/.installed: requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --quiet --no-deps --no-build-isolation -e .
	touch $@

# axe-core for the browser tests, pinned by package.json / package-lock.json (npm registry).
browser-deps: node_modules/.installed

node_modules/.installed: package.json package-lock.json
	npm ci --silent --no-audit --no-fund
	touch $@

airflow-db: install
	@$(CLI) airflow-db

## demo: build the demo's two councils' sources (the reference council's reference dataset and
## a synthetic second council, registered in DEMO_COUNCILS) and run the DAGs for 2018/19 and
## 2019/20, and the quarterly monitoring packs of 2019/20's four quarters, for both
DEMO_COUNCILS := $(CURDIR)/include/csc_complaints_demo/councils.toml
demo: airflow-db
	@$(CLI) demo-source
	@COMPLAINTS_COUNCILS_FILE=$(DEMO_COUNCILS) \
	  $(CLI) run-dags --fy 2018/19 --fy 2019/20 --packs 2019/20 --approve auto $(RUN_DAGS_FLAGS)

## run: the DAGs for FY, for every council of the registry (include/councils.toml or
## COMPLAINTS_COUNCILS_FILE; without one, the council of include/settings.toml), against each
## council's AIRFLOW_CONN_<source_conn_id> and AIRFLOW_CONN_COMPLAINTS_WAREHOUSE (demo DBs if unset)
run: airflow-db
	@$(CLI) run-dags --fy $(FY) --approve $(APPROVE) $(RUN_DAGS_FLAGS)

test: airflow-db browser-deps
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: airflow-db
	$(BIN)/python -m benchmarks.run

clean:
	rm -rf $(VENV) .airflow data output node_modules
