# Podium: the two commands are `make run` and `make test`; both create and use .venv.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
PODIUM := $(VENV)/bin/podium
STAMP := $(VENV)/.installed

.PHONY: run test bench lint images venv docker clean

$(STAMP): pyproject.toml
	@test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip setuptools wheel
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

venv: $(STAMP)

docker:
	@scripts/ensure-docker

images: venv docker
	$(PODIUM) images build

run: venv docker images
	$(PODIUM) up --examples

test: venv docker images
	$(PY) -m pytest

bench: venv docker images
	$(PY) benchmarks/sandbox_overhead.py
	$(PY) benchmarks/build_isolation.py
	$(PY) benchmarks/scoring.py
	$(PY) benchmarks/pipeline_latency.py
	$(PY) benchmarks/leaderboard_load.py

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy platform/podium sandbox evaluators leaderboard challenges

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
