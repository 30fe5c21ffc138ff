"""pairing=adaptive: round properties, stopping rules, and the store (resume, no duplicates)."""

from __future__ import annotations

import asyncio
from collections import Counter

import numpy as np
import pytest

from eng5_runner.engine.adaptive import adaptive_rounds, initial_round, judge_adaptive
from eng5_runner.engine.records import JudgementRecord, PairRequest
from eng5_runner.engine.store import SqliteStore
from eng5_runner.settings.models import PairingSettings
from tests.engine.engine_support import make_inventory


def _oracle(truth: dict[str, float], seed: int = 0):
    """A round judge drawing outcomes from BT with known abilities (a counter of calls)."""
    rng = np.random.default_rng(seed)
    calls: list[PairRequest] = []

    async def judge(batch: list[PairRequest]) -> list[JudgementRecord]:
        out = []
        for r in batch:
            calls.append(r)
            a_won = rng.random() < 1 / (1 + np.exp(-(truth[r.a_id] - truth[r.b_id])))
            out.append(
                JudgementRecord(
                    comparison_id=r.comparison_id,
                    essay_a_id=r.a_id,
                    essay_b_id=r.b_id,
                    iteration=r.iteration,
                    status="succeeded",
                    winner="A" if a_won else "B",
                    winner_id=r.a_id if a_won else r.b_id,
                    loser_id=r.b_id if a_won else r.a_id,
                    provider="oracle",
                    model="bt",
                )
            )
        return out

    return judge, calls


def _pairing(**kw) -> PairingSettings:
    return PairingSettings.model_validate({"design": "adaptive", **kw})


def _connected(ids: list[str], requests: list[PairRequest]) -> bool:
    seen, stack = {ids[0]}, [ids[0]]
    nbrs: dict[str, set[str]] = {i: set() for i in ids}
    for r in requests:
        nbrs[r.a_id].add(r.b_id)
        nbrs[r.b_id].add(r.a_id)
    while stack:
        for j in nbrs[stack.pop()] - seen:
            seen.add(j)
            stack.append(j)
    return seen == set(ids)


def test_rounds_are_connected_balanced_and_never_repeat() -> None:
    ids = [f"e{i:02d}" for i in range(41)]
    truth = {
        e: float(t) for e, t in zip(ids, np.random.default_rng(1).normal(0, 2, 41), strict=True)
    }
    judge, _ = _oracle(truth)
    result = asyncio.run(
        adaptive_rounds(ids, _pairing(target_reliability=0.99, max_rounds=12), judge)
    )
    requests = result.requests
    assert result.stop_reason == "max_rounds" and len(result.rounds) == 12
    assert _connected(ids, requests)
    pairs = Counter(frozenset((r.a_id, r.b_id)) for r in requests)
    assert max(pairs.values()) == 1  # no repeated pair
    assert len({r.comparison_id for r in requests}) == len(requests)
    start = 0
    for info in result.rounds:  # each essay at most once per round (round 0: twice)
        batch = requests[start : start + info.comparisons]
        start += info.comparisons
        seen = Counter(e for r in batch for e in (r.a_id, r.b_id))
        assert max(seen.values()) <= (2 if info.index == 0 else 1)
        assert info.index == 0 or info.comparisons >= len(ids) // 2 - 2  # greedy matching
    exposure = Counter(e for r in requests for e in (r.a_id, r.b_id))
    assert max(exposure.values()) - min(exposure.values()) <= 2
    slot_a = Counter(r.a_id for r in requests)
    for essay in ids:
        assert abs(slot_a[essay] - (exposure[essay] - slot_a[essay])) <= 2


def test_pairs_are_informative() -> None:
    ids = [f"e{i:02d}" for i in range(40)]
    truth = {e: float(t) for e, t in zip(ids, np.linspace(-4, 4, 40), strict=True)}
    judge, _ = _oracle(truth)
    result = asyncio.run(
        adaptive_rounds(ids, _pairing(target_reliability=0.99, max_rounds=6), judge)
    )
    later = result.requests[result.rounds[0].comparisons :]
    gaps = [abs(truth[r.a_id] - truth[r.b_id]) for r in later]
    ring = [
        abs(truth[r.a_id] - truth[r.b_id]) for r in result.requests[: result.rounds[0].comparisons]
    ]
    assert np.median(gaps) < 0.5 * np.median(ring)


def test_repeats_only_when_asked_and_then_with_new_iterations() -> None:
    ids = ["a", "b", "c", "d"]
    truth = {"a": 1.0, "b": 0.5, "c": 0.0, "d": -0.5}
    judge, _ = _oracle(truth)
    strict = asyncio.run(adaptive_rounds(ids, _pairing(target_reliability=0.99), judge))
    assert strict.stop_reason == "no_new_pairs"
    assert len(strict.requests) == 6  # every pair of 4 once
    judge, _ = _oracle(truth)
    loose = asyncio.run(
        adaptive_rounds(
            ids, _pairing(target_reliability=0.99, allow_repeat_pairs=True, max_rounds=8), judge
        )
    )
    assert len(loose.requests) > 6
    keys = Counter((r.a_id, r.b_id, r.iteration) for r in loose.requests)
    assert max(keys.values()) == 1  # a repeated pair is a new comparison (new iteration)


def test_budget_and_target_stop_the_rounds() -> None:
    ids = [f"e{i:02d}" for i in range(30)]
    truth = {e: float(t) for e, t in zip(ids, np.linspace(-3, 3, 30), strict=True)}
    judge, calls = _oracle(truth)
    capped = asyncio.run(
        adaptive_rounds(ids, _pairing(target_reliability=0.99, max_comparisons=77), judge)
    )
    assert capped.stop_reason == "max_comparisons" and len(capped.requests) == 77 == len(calls)
    judge, _ = _oracle(truth)
    reached = asyncio.run(adaptive_rounds(ids, _pairing(target_reliability=0.8), judge))
    assert reached.stop_reason == "target_reliability"
    assert reached.rounds[-1].reliability >= 0.8 > reached.rounds[-2].reliability


def test_initial_round_is_a_ring() -> None:
    ids = [f"e{i}" for i in range(7)]
    ring = initial_round(ids, _pairing())
    assert len(ring) == 7 and _connected(ids, ring)


@pytest.fixture
def adaptive_settings(make_settings):
    base = make_settings("simulated", concurrency=2, simulated={"latency_ms": 5.0, "noise": 1.0})
    return base.model_copy(
        update={"pairing": _pairing(target_reliability=0.99, max_rounds=6), "mode": "execute"}
    )


async def test_rerun_makes_no_new_calls(adaptive_settings) -> None:
    inventory = make_inventory(6, 6)  # students placed among anchors
    ids = [e.essay_id for e in inventory.anchors + inventory.students]
    first = await judge_adaptive(
        adaptive_settings, inventory, initial_round(ids, adaptive_settings.pairing), progress=False
    )
    assert {e for r in first.requests for e in (r.a_id, r.b_id)} == set(ids)
    assert not any(r.cached for r in first.records)
    again = await judge_adaptive(
        adaptive_settings, inventory, initial_round(ids, adaptive_settings.pairing), progress=False
    )
    assert all(r.cached for r in again.records)
    assert again.requests == first.requests


async def test_resume_after_a_kill_mid_round_makes_no_duplicate_calls(
    adaptive_settings, tmp_path, monkeypatch
) -> None:
    # commit every row at once (the store batches commits), so the kill lands mid-round
    monkeypatch.setattr("eng5_runner.engine.store.FLUSH_AFTER_S", 0.0)
    inventory = make_inventory(8, 8)
    ids = [e.essay_id for e in inventory.anchors + inventory.students]
    ring = initial_round(ids, adaptive_settings.pairing)
    task = asyncio.create_task(judge_adaptive(adaptive_settings, inventory, ring, progress=False))
    store_path = tmp_path / "store.sqlite"

    def stored() -> int:
        if not store_path.exists():
            return 0
        store = SqliteStore(store_path)
        try:
            return store.count()
        finally:
            store.close()

    async with asyncio.timeout(30):
        while stored() < len(ring) + 3:  # inside round 1 (8 comparisons)
            await asyncio.sleep(0.002)
    task.cancel()  # what Ctrl-C does to the run's task
    with pytest.raises(asyncio.CancelledError):
        await task
    before = stored()
    assert len(ring) < before < len(ring) + 8

    resumed = await judge_adaptive(adaptive_settings, inventory, ring, progress=False)
    new_calls = [r for r in resumed.records if not r.cached]
    assert sum(r.cached for r in resumed.records) == before
    assert stored() == before + len(new_calls) == len(resumed.requests)
    keys = Counter(r.cache_key for r in resumed.records)
    assert max(keys.values()) == 1
