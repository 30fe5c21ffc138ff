"""The local engine's entry point: judge a list of pair requests.

``judge_pairs`` serves what the store already holds, judges the rest with the
configured judge through the scheduler (each judgement stored as it
completes), and returns one record per request, in request order.

Latent qualities for the simulated judge, in grade steps (higher = better):
an anchor's is ``-grade_rank(grade)`` (A = 0, each lower grade one step down);
a student's is a pseudo-quality spread uniformly over the same range,
``-(steps - 1) * u`` with ``u`` from the sha256 of the essay text, so it is
stable across runs but says nothing about the essay. The judge multiplies
differences by ``judge.simulated.scale`` (see ``judges.simulated``).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import socket
import threading
import uuid
from collections.abc import Awaitable, Callable, Sequence
from functools import partial
from typing import Any, TypeVar

from eng5_runner.engine.http import SdkHttpClient, build_client
from eng5_runner.engine.judges.base import Judge, make_judge
from eng5_runner.engine.judges.prompt import PROMPT_TEMPLATE, JudgePrompt, render_prompt
from eng5_runner.engine.limits import build_limiter
from eng5_runner.engine.preflight import preflight_error
from eng5_runner.engine.pricing import Pricer
from eng5_runner.engine.records import JudgementRecord, PairRequest
from eng5_runner.engine.scheduler import Job, ProgressDisplay, Scheduler, Sink
from eng5_runner.engine.spend import SpendGuard
from eng5_runner.engine.store import (
    JudgementStore,
    KeyInputs,
    cache_key,
    key_inputs,
    open_store,
    text_sha256,
)
from eng5_runner.errors import CacheMissError, ConfigError, OutputError
from eng5_runner.inputs.grade_scales import GRADE_SCALES, grade_rank
from eng5_runner.inputs.inventory import Essay, RunnerInventory
from eng5_runner.settings.compose import prompt_text
from eng5_runner.settings.models import RunnerSettings

CLAIM_TTL_S = 30.0
"""A claim whose heartbeat is older than this belongs to a dead run and is taken over."""
CLAIM_POLL_S = 0.25
T = TypeVar("T")


class ComparisonInputs:
    """Texts and cache keys of one run's comparisons (hashes computed once)."""

    def __init__(self, settings: RunnerSettings, inventory: RunnerInventory) -> None:
        self.essays: dict[str, Essay] = inventory.by_id()
        self.system = prompt_text(settings.system_prompt, "system_prompt")
        self.rubric = prompt_text(settings.rubric, "rubric")
        show_task = settings.dataset.include_assignment and inventory.assignment_text
        self.assignment = inventory.assignment_text if show_task else None
        self.sha = {i: text_sha256(e.text) or "" for i, e in self.essays.items()}
        judge = settings.judge
        self.key_inputs = partial(
            key_inputs,
            provider=judge.provider,
            model=judge.model,
            generation_params=judge.generation_params,
            template=PROMPT_TEMPLATE,
            system_prompt_sha256=text_sha256(self.system) or "",
            rubric_sha256=text_sha256(self.rubric) or "",
            assignment_sha256=text_sha256(self.assignment),
        )

    def essay(self, essay_id: str) -> Essay:
        try:
            return self.essays[essay_id]
        except KeyError:
            raise ValueError(f"essay id {essay_id!r} is not in the inventory") from None

    def inputs(self, request: PairRequest) -> KeyInputs:
        """The cache-key inputs of one comparison."""
        for essay_id in (request.a_id, request.b_id):
            self.essay(essay_id)
        return self.key_inputs(
            essay_a_sha256=self.sha[request.a_id],
            essay_b_sha256=self.sha[request.b_id],
            iteration=request.iteration,
        )

    def prompt(self, request: PairRequest) -> JudgePrompt:
        return render_prompt(
            self.system,
            self.rubric,
            self.assignment,
            self.essays[request.a_id].text,
            self.essays[request.b_id].text,
        )


def cache_key_for(
    settings: RunnerSettings, inventory: RunnerInventory, request: PairRequest
) -> str:
    """The store key of one comparison (see ``engine.store.key_inputs``)."""
    return cache_key(ComparisonInputs(settings, inventory).inputs(request))


def latent_qualities(inventory: RunnerInventory) -> dict[str, float]:
    """Latent quality per essay id for the simulated judge (module docstring)."""
    steps = len(GRADE_SCALES[inventory.grade_scale])
    qualities: dict[str, float] = {}
    for essay in inventory.essays:
        if essay.role == "anchor" and essay.grade is not None:
            qualities[essay.essay_id] = -float(grade_rank(essay.grade, inventory.grade_scale))
        else:
            digest = hashlib.sha256(b"simulated-quality\0" + essay.text.encode()).digest()
            qualities[essay.essay_id] = -(steps - 1) * int.from_bytes(digest[:8], "big") / 2**64
    return qualities


def _as_served(hit: JudgementRecord, request: PairRequest) -> JudgementRecord:
    winner_id, loser_id = (
        (request.a_id, request.b_id) if hit.winner == "A" else (request.b_id, request.a_id)
    )
    return hit.model_copy(
        update={
            "comparison_id": request.comparison_id,
            "essay_a_id": request.a_id,
            "essay_b_id": request.b_id,
            "iteration": request.iteration,
            "winner_id": winner_id,
            "loser_id": loser_id,
            "cached": True,
        }
    )


def _miss_error(inputs: ComparisonInputs, misses: list[PairRequest], path: object) -> Exception:
    shown = "; ".join(
        f"{r.comparison_id} ({inputs.essay(r.a_id).label} vs {inputs.essay(r.b_id).label}, "
        f"iteration {r.iteration})"
        for r in misses[:5]
    )
    more = f" and {len(misses) - 5} more" if len(misses) > 5 else ""
    return CacheMissError(
        f"replay: {len(misses)} comparison(s) not recorded in {path}: {shown}{more}",
        hint="record them with the same settings and cache=read_write (then export a "
        "cassette with eng5-runner-cassette export), or change back the setting that "
        "differs",
    )


async def judge_pairs(
    settings: RunnerSettings,
    inventory: RunnerInventory,
    requests: Sequence[PairRequest],
    *,
    progress: bool = True,
    client: SdkHttpClient | None = None,
    on_record: Callable[[JudgementRecord], None] | None = None,
) -> list[JudgementRecord]:
    """One record per request, in order: stored ones first, the rest judged now.

    With a store, the rest are claimed first (:func:`judge_with_claims`): what
    another run is judging right now is waited for and served, so each
    comparison is paid once and every record equals what the store holds.

    Raises CacheMissError (replay mode, before any judge call), ProviderAuthError
    (missing key before any call; rejected key after in-flight work is stored),
    ProviderUnreachable (refused on first contact, or down after all retries),
    PreflightFailed (``judge.preflight``: the first call failed) and SpendCapReached
    (``judge.max_cost_usd``; all judged work is stored). ``client`` overrides the
    shared HTTP client (it is then not closed here). ``on_record`` sees every
    record as soon as it exists (served ones first), e.g. to stream
    ``comparisons.jsonl``.
    """
    inputs = ComparisonInputs(settings, inventory)
    key_data = [inputs.inputs(r) for r in requests]
    keys = [cache_key(d) for d in key_data]
    store = open_store(settings.cache)
    try:
        hits = store.get_many(keys) if store is not None else {}
        results: list[JudgementRecord | None] = [
            _as_served(hits[k], r) if k in hits else None
            for k, r in zip(keys, requests, strict=True)
        ]
        todo = [i for i, record in enumerate(results) if record is None]
        if todo and settings.cache.mode == "replay":
            raise _miss_error(inputs, [requests[i] for i in todo], settings.cache.path)
        if on_record is not None:
            for served in results:
                if served is not None:
                    on_record(served)
        if todo:
            by_key = {keys[i]: key_data[i] for i in todo}

            def sink(record: JudgementRecord) -> JudgementRecord | None:
                try:
                    earlier = store.put(record, by_key[record.cache_key]) if store else None
                except OutputError:
                    if on_record is not None:
                        on_record(record)  # paid for: comparisons.jsonl keeps it
                    raise
                shown = record if earlier is None else _as_served(earlier, _request(record))
                if on_record is not None:
                    on_record(shown)
                return shown if earlier is not None else None

            offloaded = _offloaded(sink) if store is not None and store.blocking_io else sink

            async def judge(indices: list[int]) -> None:
                jobs = [Job(requests[i], keys[i]) for i in indices]
                display = ProgressDisplay(
                    len(requests),
                    done=len(requests) - len(indices),
                    enabled=progress and settings.show_progress,
                )
                if settings.judge.batch:
                    from eng5_runner.engine.batch.local import judge_in_batches

                    judged = await judge_in_batches(
                        settings,
                        inputs,
                        store,
                        jobs,
                        by_key,
                        sink,
                        client,
                        progress,
                        display,
                        partial(_run_judge, settings, inputs, inventory),
                    )
                else:
                    judged = await _run_judge(
                        settings, inputs, inventory, jobs, offloaded, client, display
                    )
                for i, record in zip(indices, judged, strict=True):
                    results[i] = record

            if store is None:
                await judge(todo)
            else:
                await judge_with_claims(store, todo, keys, requests, results, judge, on_record)
    finally:
        if store is not None:
            store.close()
    return [r for r in results if r is not None]


def _offloaded(
    sink: Callable[[JudgementRecord], JudgementRecord | None],
) -> Callable[[JudgementRecord], Awaitable[JudgementRecord | None]]:
    """``sink`` in a worker thread, one record at a time: a store retrying a lost
    connection then stalls only the writes, never the event loop."""
    lock = threading.Lock()

    def locked(record: JudgementRecord) -> JudgementRecord | None:
        with lock:
            return sink(record)

    async def write(record: JudgementRecord) -> JudgementRecord | None:
        return await asyncio.to_thread(locked, record)

    return write


async def _io(store: JudgementStore, call: Callable[..., T], *args: Any) -> T:
    """``store.<call>(*args)``, in a thread when the store waits on a network."""
    if store.blocking_io:
        return await asyncio.to_thread(call, *args)
    return call(*args)


def _request(record: JudgementRecord) -> PairRequest:
    return PairRequest(
        comparison_id=record.comparison_id,
        a_id=record.essay_a_id,
        b_id=record.essay_b_id,
        iteration=record.iteration,
    )


async def judge_with_claims(
    store: JudgementStore,
    todo: list[int],
    keys: Sequence[str],
    requests: Sequence[PairRequest],
    results: list[JudgementRecord | None],
    judge: Callable[[list[int]], Awaitable[None]],
    on_record: Callable[[JudgementRecord], None] | None,
) -> None:
    """Judge what this process claims; wait for (then serve) what another one claimed.

    A key whose claim disappears without a judgement (the other run failed it or
    died) is claimed again and judged here, so every request ends with a record.
    """
    owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    beat = asyncio.create_task(_heartbeat(store, owner))
    pending = list(todo)
    try:
        while pending:
            owned = await _io(store, store.claim, [keys[i] for i in pending], owner, CLAIM_TTL_S)
            mine = [i for i in pending if keys[i] in owned]
            if mine:
                await judge(mine)
            rest = [i for i in pending if keys[i] not in owned]
            pending = await _wait_for_others(store, rest, keys, requests, results, owner, on_record)
    finally:
        beat.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await beat
        await _io(store, store.release, owner)


async def _wait_for_others(
    store: JudgementStore,
    indices: list[int],
    keys: Sequence[str],
    requests: Sequence[PairRequest],
    results: list[JudgementRecord | None],
    owner: str,
    on_record: Callable[[JudgementRecord], None] | None,
) -> list[int]:
    """Serve keys another run is judging as they land; return those it gave up."""
    waiting = list(indices)
    while waiting:
        hits = await _io(store, store.get_many, [keys[i] for i in waiting])
        for i in waiting:
            if keys[i] in hits:
                results[i] = _as_served(hits[keys[i]], requests[i])
                if on_record is not None:
                    on_record(results[i])  # type: ignore[arg-type]
        waiting = [i for i in waiting if keys[i] not in hits]
        live = await _io(
            store, store.claimed_elsewhere, [keys[i] for i in waiting], owner, CLAIM_TTL_S
        )
        orphaned = [i for i in waiting if keys[i] not in live]
        if orphaned:
            return orphaned + [i for i in waiting if keys[i] in live]
        if waiting:
            await asyncio.sleep(CLAIM_POLL_S)
    return []


async def _heartbeat(store: JudgementStore, owner: str) -> None:
    while True:
        await asyncio.sleep(CLAIM_TTL_S / 3)
        await _io(store, store.heartbeat, owner)


async def _run_judge(
    settings: RunnerSettings,
    inputs: ComparisonInputs,
    inventory: RunnerInventory,
    jobs: list[Job],
    sink: Sink,
    client: SdkHttpClient | None,
    display: ProgressDisplay,
) -> list[JudgementRecord]:
    spend = spend_guard(settings)
    own_client = None
    judge: Judge
    if settings.judge.provider == "simulated":
        judge = make_judge(
            settings.judge,
            qualities=latent_qualities(inventory),
            word_counts={e.essay_id: e.word_count for e in inventory.essays},
        )
    else:
        if client is None:
            client = own_client = build_client(settings.judge)
        try:
            judge = make_judge(settings.judge, client=client)
        except BaseException:
            if own_client is not None:
                await own_client.aclose()
            raise
    limiter = build_limiter(settings.judge, settings.cache)
    try:
        with display:
            scheduler = Scheduler(
                judge,
                settings.judge,
                prompt_for=inputs.prompt,
                sink=sink,
                progress=display,
                limiter=limiter,
                spend=spend,
            )
            first: list[JudgementRecord] = []
            if settings.judge.preflight and settings.judge.provider != "simulated":
                first = await scheduler.run(jobs[:1])
                failure = preflight_error(first[0])
                if failure is not None:
                    raise failure
                jobs = jobs[1:]
            return first + await scheduler.run(jobs)
    finally:
        if limiter is not None:
            limiter.close()
        if own_client is not None:
            await own_client.aclose()


def spend_guard(settings: RunnerSettings) -> SpendGuard | None:
    """The ``judge.max_cost_usd`` guard; ConfigError when the model has no price."""
    judge = settings.judge
    if judge.max_cost_usd is None:
        return None
    prices = Pricer(judge).prices()
    if prices is None:
        raise ConfigError(
            f"judge.max_cost_usd is set but the price of {judge.provider}/{judge.model} is "
            "unknown (not in genai-prices)",
            hint="set judge.price_input_per_mtok and judge.price_output_per_mtok",
        )
    return SpendGuard(judge.max_cost_usd, prices, judge.max_tokens)
