# Podium: the two commands are `make run` and `make test`; both create and use .venv.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
PODIUM := $(VENV)/bin/podium
STAMP := $(VENV)/.installed

.PHONY: run test bench reliability lint images venv docker clean

# Every target first installs the system packages it needs (Debian as root), or says which.
system-%:
	@scripts/system-packages $*

$(STAMP): pyproject.toml
	@test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip setuptools wheel
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

venv: system-images $(STAMP)

docker: system-docker
	@scripts/ensure-docker

images: system-images venv docker
	$(PODIUM) images build

run: system-run venv docker images
	$(PODIUM) up --examples

test: system-test venv docker images
	$(PY) -m pytest

bench: system-bench venv docker images
	$(PY) benchmarks/sandbox_overhead.py
	$(PY) benchmarks/build_isolation.py
	$(PY) benchmarks/scoring.py
	$(PY) benchmarks/pipeline_latency.py
	$(PY) benchmarks/leaderboard_load.py
	$(PY) benchmarks/capacity.py

reliability: system-bench venv docker images
	$(PY) benchmarks/reliability.py

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy platform/podium sandbox evaluators leaderboard challenges
	$(VENV)/bin/mypy --strict sandbox evaluators leaderboard challenges

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
