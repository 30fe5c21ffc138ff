"""``eng5-runner mode=anchor-align-test backend=huleedu`` end to end, by subprocess."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.fakes.huleedu_services import HuleeduServices
from tests.fakes.kafka_broker import TansuBroker
from tests.helpers.cli import clean_env, run_runner
from tests.huleedu.conftest import ThreadedWorker

pytestmark = [pytest.mark.kafka, pytest.mark.slow]


def test_anchor_align_over_huleedu_from_the_command_line(
    kafka_broker: TansuBroker,
    services: HuleeduServices,
    threaded_worker: ThreadedWorker,
    tmp_path: Path,
) -> None:
    env = clean_env(
        tmp_path,
        CJ_SERVICE_URL=services.cj_url,
        CONTENT_SERVICE_URL=services.content_url,
        KAFKA_BOOTSTRAP_SERVERS=kafka_broker.bootstrap,
    )
    out = run_runner(
        "mode=anchor-align-test",
        "backend=huleedu",
        "judge=openai",
        "await_completion=true",
        "backend.kafka_idempotence=false",
        "backend.completion_timeout_s=30",
        "backend.grace_s=0.2",
        f"cache.path={tmp_path}/store.sqlite",
        f"hydra.run.dir={tmp_path}/run",
        cwd=tmp_path,
        env=env,
    )
    assert out.returncode == 0, out.stderr
    run = tmp_path / "run"
    assert len((run / "comparisons.jsonl").read_text().splitlines()) == 66
    assert json.loads((run / "artefact.json").read_text())["metadata"]["backend"] == "huleedu"
    assert (run / "report.md").is_file() and (run / "plots" / "bt_scale.png").is_file()
