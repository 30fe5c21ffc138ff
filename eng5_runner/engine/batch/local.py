"""The local engine's batch branch: pending comparisons through :class:`.runner.BatchRunner`.

``judge.batch_fallback=sync`` sends the comparisons a batch could not judge
(per-request errors, expiries, a failed batch, malformed answers) through the
normal scheduler in the same run; their batch failures stay in the store's
failure table, and only the final record of each comparison is reported.

``judge.preflight=true`` judges the first comparison synchronously (the same
preflight as a synchronous run, at the synchronous price) before anything is
uploaded: a wrong model or parameter stops the run in seconds with
:class:`~eng5_runner.errors.PreflightFailed`. Without it the runner still makes
one free authenticated call first, so a bad key fails before any upload.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from eng5_runner.engine.batch.progress import BatchProgress
from eng5_runner.engine.batch.runner import BatchRunner, for_job
from eng5_runner.engine.http import SdkHttpClient, build_client
from eng5_runner.engine.records import JudgementRecord
from eng5_runner.engine.scheduler import Job, ProgressDisplay
from eng5_runner.engine.store import JudgementStore, KeyInputs

if TYPE_CHECKING:
    from eng5_runner.engine.run_local import ComparisonInputs
    from eng5_runner.settings.models import RunnerSettings

SyncJudge = Callable[
    [
        list[Job],
        Callable[[JudgementRecord], JudgementRecord | None],
        SdkHttpClient | None,
        ProgressDisplay,
    ],
    Awaitable[list[JudgementRecord]],
]


async def judge_in_batches(
    settings: RunnerSettings,
    inputs: ComparisonInputs,
    store: JudgementStore | None,
    jobs: list[Job],
    key_data: dict[str, KeyInputs],
    sink: Callable[[JudgementRecord], JudgementRecord | None],
    client: SdkHttpClient | None,
    progress: bool,
    display: ProgressDisplay,
    sync_judge: SyncJudge,
) -> list[JudgementRecord]:
    """Records in job order; failures re-judged synchronously with ``batch_fallback=sync``."""
    from eng5_runner.engine.run_local import spend_guard

    fallback = settings.judge.batch_fallback == "sync"

    def batch_sink(record: JudgementRecord) -> None:
        if record.succeeded or not fallback:
            sink(record)
        elif store is not None:
            store.put(record, key_data[record.cache_key])

    own_client = None
    if client is None:
        client = own_client = build_client(settings.judge)
    try:
        runner = BatchRunner(
            settings.judge,
            store=store,
            client=client,
            prompt_for=inputs.prompt,
            sink=batch_sink,
            spend=spend_guard(settings),
            progress=BatchProgress(enabled=progress and settings.show_progress),
        )
        checked: JudgementRecord | None = None
        if settings.judge.preflight:
            covered = runner.covered(job.cache_key for job in jobs)
            head = next((job for job in jobs if job.cache_key not in covered), None)
            if head is not None:  # PreflightFailed when it fails
                (checked,) = await sync_judge([head], sink, client, display)
        rest = [job for job in jobs if checked is None or job.cache_key != checked.cache_key]
        batched = iter(await runner.run(rest, key_data))
        records = [
            next(batched)
            if checked is None or job.cache_key != checked.cache_key
            else for_job(checked, job)
            for job in jobs
        ]
        retry = [i for i, r in enumerate(records) if not r.succeeded]
        if fallback and retry:
            again = await sync_judge([jobs[i] for i in retry], sink, client, display)
            for i, record in zip(retry, again, strict=True):
                records[i] = record
        return records
    finally:
        if own_client is not None:
            await own_client.aclose()
