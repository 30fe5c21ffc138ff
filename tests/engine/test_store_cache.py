"""Judgement store: cache hits, failures never served, replay, cassettes, processes."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import pytest

from eng5_runner.engine.cassette import export_cassette, import_cassette, load_cassette
from eng5_runner.engine.pairing import boundary_schedule, round_robin
from eng5_runner.engine.records import JudgementRecord, PairRequest
from eng5_runner.engine.run_local import cache_key_for, judge_pairs
from eng5_runner.engine.store import SqliteStore, cache_key
from eng5_runner.errors import CacheMissError, ConfigError, InputError
from eng5_runner.settings.models import CacheSettings
from tests.engine.engine_support import FAKE_KEY, make_inventory
from tests.fakes.llm_servers import garbage


def _requests(inventory):
    return round_robin([e.essay_id for e in inventory.anchors])


async def test_second_run_is_served_from_store(fake_server, inventory, make_settings, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", FAKE_KEY)
    settings = make_settings("openai", base_url=fake_server.openai_base_url)
    requests = _requests(inventory)
    first = await judge_pairs(settings, inventory, requests, progress=False)
    second = await judge_pairs(settings, inventory, requests, progress=False)
    assert fake_server.hits == len(requests)
    assert not any(r.cached for r in first) and all(r.cached for r in second)
    strip = {"cached"}
    assert [r.model_dump(exclude=strip) for r in first] == [
        r.model_dump(exclude=strip) for r in second
    ]


async def test_changed_prompt_is_a_miss(fake_server, inventory, make_settings, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", FAKE_KEY)
    settings = make_settings("openai", base_url=fake_server.openai_base_url)
    requests = _requests(inventory)
    await judge_pairs(settings, inventory, requests, progress=False)
    changed = settings.model_copy(
        update={
            "rubric": settings.rubric.model_copy(
                update={"text": "Prefer essays with rich vocabulary."}
            )
        }
    )
    await judge_pairs(changed, inventory, requests, progress=False)
    hotter = settings.model_copy(
        update={"judge": settings.judge.model_copy(update={"temperature": 0.7})}
    )
    await judge_pairs(hotter, inventory, requests, progress=False)
    assert fake_server.hits == 3 * len(requests)


async def test_failures_are_not_served(
    fake_server, inventory, make_settings, monkeypatch, tmp_path
):
    monkeypatch.setenv("OPENAI_API_KEY", FAKE_KEY)
    settings = make_settings("openai", base_url=fake_server.openai_base_url, concurrency=1)
    requests = _requests(inventory)[:1]
    fake_server.add_fault(garbage(), times=2)
    (failed,) = await judge_pairs(settings, inventory, requests, progress=False)
    assert failed.status == "failed"
    (retried,) = await judge_pairs(settings, inventory, requests, progress=False)
    assert retried.succeeded and not retried.cached
    assert fake_server.hits == 3
    store = SqliteStore(tmp_path / "store.sqlite")
    assert store.count() == 1 and len(store.failures(failed.cache_key)) == 1
    store.close()


async def test_iterations_and_slot_order_are_distinct_keys(inventory, make_settings):
    settings = make_settings("simulated")
    a, b = inventory.anchors[0].essay_id, inventory.anchors[1].essay_id
    schedule = boundary_schedule([(a, b)], iterations=2)
    keys = {cache_key_for(settings, inventory, r) for r in schedule}
    assert len(keys) == 4
    records = await judge_pairs(settings, inventory, schedule, progress=False)
    assert [r.cache_key for r in records] == [
        cache_key_for(settings, inventory, r) for r in schedule
    ]


async def test_replay_miss_raises_before_any_call(fake_server, inventory, make_settings):
    settings = make_settings("openai", base_url=fake_server.openai_base_url, cache_mode="replay")
    SqliteStore(settings.cache.path).close()  # an empty store
    with pytest.raises(CacheMissError) as info:
        await judge_pairs(settings, inventory, _requests(inventory), progress=False)
    message = info.value.one_line()
    assert "c00000" in message and "anchor_" in message and "cache=read_write" in message
    assert fake_server.hits == 0


async def test_replay_needs_no_key_and_serves_everything(
    fake_server, inventory, make_settings, monkeypatch
):
    monkeypatch.setenv("OPENAI_API_KEY", FAKE_KEY)
    settings = make_settings("openai", base_url=fake_server.openai_base_url)
    requests = _requests(inventory)
    recorded = await judge_pairs(settings, inventory, requests, progress=False)
    monkeypatch.delenv("OPENAI_API_KEY")
    replay = settings.model_copy(
        update={"cache": settings.cache.model_copy(update={"mode": "replay"})}
    )
    replayed = await judge_pairs(replay, inventory, requests, progress=False)
    assert all(r.cached for r in replayed)
    assert [r.winner_id for r in replayed] == [r.winner_id for r in recorded]
    assert fake_server.hits == len(requests)


async def test_replay_missing_store_is_an_input_error(inventory, make_settings, tmp_path):
    settings = make_settings("simulated", cache_mode="replay", cache_path=tmp_path / "nope.sqlite")
    with pytest.raises(InputError, match="nope.sqlite"):
        await judge_pairs(settings, inventory, _requests(inventory), progress=False)


async def test_cache_off_stores_nothing(inventory, make_settings, tmp_path):
    settings = make_settings("simulated", cache_mode="off")
    records = await judge_pairs(settings, inventory, _requests(inventory), progress=False)
    assert all(r.succeeded and not r.cached for r in records)
    assert not (tmp_path / "store.sqlite").exists()


async def test_cassette_round_trip_and_replay(inventory, make_settings, tmp_path):
    settings = make_settings("simulated")
    requests = _requests(inventory)
    recorded = await judge_pairs(settings, inventory, requests, progress=False)
    cassette = tmp_path / "cassettes" / "run.jsonl"
    assert export_cassette(settings.cache.path, cassette) == len(requests)
    lines = cassette.read_text().splitlines()
    assert len(lines) == len(requests) and '"key_inputs"' in lines[0]

    loaded = load_cassette(cassette)
    assert set(loaded.data) == {r.cache_key for r in recorded}
    for record, inputs in loaded.rows():
        assert cache_key(inputs) == record.cache_key

    replay = settings.model_copy(update={"cache": CacheSettings(mode="replay", path=cassette)})
    replayed = await judge_pairs(replay, inventory, requests, progress=False)
    assert [r.winner for r in replayed] == [r.winner for r in recorded]
    assert all(r.cached for r in replayed)

    other = tmp_path / "other.sqlite"
    assert import_cassette(cassette, other) == len(requests)
    assert import_cassette(cassette, other) == len(requests)  # idempotent
    store = SqliteStore(other)
    assert store.count() == len(requests)
    store.close()
    subset = tmp_path / "subset.jsonl"
    keys = [recorded[0].cache_key, recorded[1].cache_key]
    assert export_cassette(other, subset, keys) == 2


async def test_cassette_cannot_be_written(inventory, make_settings, tmp_path):
    settings = make_settings("simulated", cache_path=tmp_path / "x.jsonl")
    with pytest.raises(ConfigError, match="cassette"):
        await judge_pairs(settings, inventory, _requests(inventory), progress=False)


def test_edited_cassette_line_is_rejected(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"not": "a record"}\n')
    with pytest.raises(InputError, match="bad.jsonl:1"):
        load_cassette(path)


def _record(key: str, worker: int, index: int) -> JudgementRecord:
    return JudgementRecord(
        comparison_id=f"c{index:05d}",
        essay_a_id=f"w{worker}",
        essay_b_id="x",
        status="succeeded",
        winner="A",
        winner_id=f"w{worker}",
        loser_id="x",
        confidence=3,
        justification="",
        provider="simulated",
        model="m",
        cache_key=key,
    )


def _writer(path: str, worker: int, count: int) -> None:
    store = SqliteStore(Path(path))
    for index in range(count):
        store.put(_record(f"{worker}-{index}", worker, index), {"worker": worker})
        if index % 10 == 0:
            store.put(
                _record(f"{worker}-{index}", worker, index).model_copy(
                    update={"status": "failed", "winner": None, "failure_reason": "x"}
                ),
                {},
            )
    store.close()


def test_processes_share_one_store(tmp_path):
    path = tmp_path / "shared.sqlite"
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_writer, args=(str(path), w, 200)) for w in range(4)]
    for process in workers:
        process.start()
    for process in workers:
        process.join(60)
        assert process.exitcode == 0
    store = SqliteStore(path)
    assert store.count() == 800
    assert len(store.failures()) == 80
    store.close()


def test_bigger_inventory_keys_are_unique():
    inventory = make_inventory(9, 3)
    ids = [e.essay_id for e in inventory.essays]
    from eng5_runner.engine.run_local import ComparisonInputs
    from eng5_runner.settings.models import RunnerSettings

    settings = RunnerSettings.model_validate(
        {
            "mode": "execute",
            "dataset": {"anchors_dir": "."},
            "judge": {"provider": "simulated", "model": "m"},
            "system_prompt": {"name": "s", "text": "s"},
            "rubric": {"name": "r", "text": "r"},
        }
    )
    inputs = ComparisonInputs(settings, inventory)
    requests = [
        PairRequest(comparison_id=f"c{i}", a_id=a, b_id=b)
        for i, (a, b) in enumerate((a, b) for a in ids for b in ids if a != b)
    ]
    keys = {cache_key(inputs.inputs(r)) for r in requests}
    assert len(keys) == len(requests)


async def test_cassette_command(inventory, make_settings, tmp_path, capsys):
    from eng5_runner.engine.cassette import main

    settings = make_settings("simulated")
    records = await judge_pairs(settings, inventory, _requests(inventory), progress=False)
    run_file = tmp_path / "comparisons.jsonl"
    run_file.write_text("".join(r.model_dump_json() + "\n" for r in records[:3]))
    out = tmp_path / "c.jsonl"
    assert main(["export", str(settings.cache.path), str(out), "--run", str(run_file)]) == 0
    assert len(out.read_text().splitlines()) == 3
    assert main(["import", str(out), str(tmp_path / "new.sqlite")]) == 0
    assert main(["import", str(tmp_path / "missing.jsonl"), str(tmp_path / "n.sqlite")]) == 2
    assert "not found" in capsys.readouterr().err
