"""A 2-job sweep through the submitit launcher's local mode on one PostgreSQL ledger.

``hydra/launcher=submitit_local`` pickles each job and runs it in its own
process exactly as ``submitit_slurm`` (the ``eng5_slurm`` preset) does on a
Slurm node, minus ``sbatch``: so the job function, its config and the store
settings survive submitit's pickling. Both jobs (``report.ridge`` 0.5 and
1.0) want the same 66 comparisons; each is paid once. No Slurm here: the
Slurm preset itself is only composed (tests/foundation/test_launchers.py).
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

from eng5_runner.engine.store_postgres import PostgresStore
from tests.fakes.llm_servers import FakeLLMServer
from tests.store.conftest import _missing, pg_server  # noqa: F401  (the PostgreSQL fixture)

pytestmark = pytest.mark.slow
KEY = "sk-submitit-" + "s3" * 10
BIN = Path(sys.executable).parent


def test_submitit_local_sweep_pays_each_comparison_once(pg_server, tmp_path):  # noqa: F811
    if importlib.util.find_spec("hydra_plugins.hydra_submitit_launcher") is None:
        _missing(
            'hydra-submitit-launcher is not installed; install it with: pip install -e ".[dev]"'
        )
    url = pg_server.new_database()
    env = {"PATH": f"{BIN}:/usr/bin:/bin", "HOME": str(tmp_path), "OPENAI_API_KEY": KEY}
    env["ENG5_STORE_URL"] = url
    with FakeLLMServer(latency=0.01) as server:
        out = subprocess.run(
            [
                str(BIN / "eng5-runner"), "-m", "experiment=quickstart", "judge=openai",
                "judge.model=submitit-model", f"judge.base_url={server.openai_base_url}",
                "report.ridge=0.5,1.0", "hydra/launcher=submitit_local",
                "cache.backend=postgres", f"hydra.sweep.dir={tmp_path}/sweep",
                "judge.concurrency=4", "report.plots=false", "report.bootstrap.resamples=200",
                "show_progress=false",
            ],
            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300, check=False,
        )  # fmt: skip
        paid = server.count("/chat/completions")
    assert out.returncode == 0, out.stderr[-3000:]
    assert "Traceback" not in out.stderr
    store = PostgresStore(url)
    try:
        assert paid == store.count() == 66
    finally:
        store.close()
    runs = sorted((tmp_path / "sweep").glob("*/comparisons.jsonl"))
    assert len(runs) == 2
    for run in runs:
        records = [json.loads(line) for line in run.read_text().splitlines()]
        assert len(records) == 66 and all(r["status"] == "succeeded" for r in records)
    assert list((tmp_path / "sweep" / ".submitit").glob("*/*_submitted.pkl"))  # submitit ran them
    for path in (tmp_path / "sweep").rglob("*"):
        if path.is_file():  # job pickles and logs too
            assert url not in path.read_text(errors="replace"), path
