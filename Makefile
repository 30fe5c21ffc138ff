# One definition of "check": CI runs `make check` semantics via .ci/run.
PY ?= .venv/bin/python
.PHONY: install format lint typecheck test test-all check bench

install:
	python3 -m venv .venv && .venv/bin/pip install -e ".[dev]"

format:
	$(PY) -m ruff check --fix eng5_runner tests bench hydra_plugins
	$(PY) -m ruff format eng5_runner tests bench hydra_plugins

lint:
	$(PY) -m ruff check eng5_runner tests bench hydra_plugins
	$(PY) -m ruff format --check eng5_runner tests bench hydra_plugins

typecheck:
	$(PY) -m mypy -p eng5_runner -p hydra_plugins.eng5_toml

test:
	$(PY) -m pytest -m "not slow"

test-all:
	$(PY) -m pytest

check: lint typecheck test-all

bench:
	$(PY) bench/bench_startup.py
	$(PY) bench/bench_bt.py
	$(PY) bench/bench_throughput.py
