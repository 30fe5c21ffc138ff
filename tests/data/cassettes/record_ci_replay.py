"""Re-record ``ci_replay_v1.jsonl``: run experiment=ci_replay_v1 against the loopback fake.

The fake OpenAI server answers like a careful but imperfect judge: the essay
with the better expert grade wins, except for a deterministic ~25% of
adjacent-grade pairs in the lower tail (D+ and below, where upstream's judges
erred too), with confidence growing with the grade gap. The
recording exercises the whole provider path (HTTP, structured output,
store) once; CI then replays it with no key and no network.

Run from the repo root:  python tests/data/cassettes/record_ci_replay.py
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPO))

from eng5_runner.engine.cassette import export_cassette  # noqa: E402
from eng5_runner.engine.run_local import judge_pairs  # noqa: E402
from eng5_runner.handlers.steps.mode_schedule import build_schedule  # noqa: E402
from eng5_runner.inputs.grade_scales import grade_rank  # noqa: E402
from eng5_runner.inputs.inventory import RunnerInventory  # noqa: E402
from tests.conftest import make_settings  # noqa: E402
from tests.fakes.llm_servers import FakeLLMServer  # noqa: E402

CASSETTE = REPO / "eng5_runner" / "samples" / "cassettes" / "ci_replay_v1.jsonl"
FAKE_KEY = "loopback-recording-key"


def grade_judge(inventory: RunnerInventory):  # type: ignore[no-untyped-def]
    """An answer function: better grade wins; adjacent low grades flip 25% of the time."""
    ranks = {e.text: grade_rank(e.grade or "F+") for e in inventory.anchors}

    def answer(user: str) -> dict[str, object]:
        a_at, b_at = user.index("**Essay A:**"), user.index("**Essay B:**")
        a = next(t for t in ranks if user.find(t, a_at, b_at) >= 0)
        b = next(t for t in ranks if user.find(t, b_at) >= 0)
        gap = ranks[b] - ranks[a]  # > 0: A has the better grade
        digest = int(hashlib.sha256(user.encode()).hexdigest()[:8], 16) / 2**32
        low_tail = min(ranks[a], ranks[b]) >= 4  # both D+ or lower
        flip = abs(gap) <= 1 and low_tail and digest < 0.25
        a_wins = (gap > 0 or (gap == 0 and digest < 0.5)) != flip
        return {
            "winner": "A" if a_wins else "B",
            "justification": "Clearer task fulfilment and more accurate, varied language."
            if not flip
            else "Livelier content outweighs the weaker control of language.",
            "confidence": min(5, 2 + abs(gap)) if not flip else 2,
        }

    return answer


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        store = Path(tmp) / "store.sqlite"
        settings = make_settings(
            ["experiment=ci_replay_v1", "cache=read_write", f"cache.path={store}"]
        )
        inventory = RunnerInventory.load(settings.dataset, settings.mode)
        with FakeLLMServer(api_key=FAKE_KEY, answer_fn=grade_judge(inventory)) as server:
            judge = settings.judge.model_copy(update={"base_url": server.openai_base_url})
            settings = settings.model_copy(update={"judge": judge})
            os.environ["OPENAI_API_KEY"] = FAKE_KEY
            records = asyncio.run(
                judge_pairs(
                    settings, inventory, build_schedule(settings, inventory), progress=False
                )
            )
        failed = [r for r in records if not r.succeeded]
        assert not failed, failed
        count = export_cassette(store, CASSETTE)
        print(f"wrote {count} judgements to {CASSETTE.relative_to(REPO)}")


if __name__ == "__main__":
    main()
