# The README's two commands: `make setup` (install, then the quickstart) and `make check`
# (what the tests need, then everything CI runs, ending with the wheel smoke test: the built
# wheel in a fresh venv, outside the clone). .ci/run runs exactly these two.
PY ?= .venv/bin/python
SRC := eng5_runner tests bench hydra_plugins
.PHONY: setup deps format lint typecheck test test-all wheel-smoke check bench

setup:
	python3 -m venv .venv
	.venv/bin/pip install -q -e ".[dev]"
	.venv/bin/eng5-runner experiment=quickstart

deps:
	bash scripts/system_deps.sh
	test -x $(PY) || python3 -m venv .venv
	$(PY) -m pip install -q -e ".[dev]"

format:
	$(PY) -m ruff check --fix $(SRC)
	$(PY) -m ruff format $(SRC)

lint:
	$(PY) -m ruff check $(SRC)
	$(PY) -m ruff format --check $(SRC)

typecheck:
	$(PY) -m mypy -p eng5_runner -p hydra_plugins.eng5_toml

test:
	$(PY) -m pytest -m "not slow"

test-all:
	$(PY) -m pytest

wheel-smoke:
	bash scripts/wheel_smoke.sh $(PY)

check: deps lint typecheck test-all wheel-smoke

bench:
	$(PY) bench/bench_startup.py
	$(PY) bench/bench_bt.py
	$(PY) bench/bench_throughput.py
