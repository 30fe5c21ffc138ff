"""Judge pending comparisons through provider batches: submit, poll, collect, resume.

1. Batches of this provider still open in the ledger that hold any pending
   comparison are resumed, not re-submitted (one whose provider id was never
   written down is looked up by its local id, else sent again).
2. The other pending comparisons are split (:mod:`.splitter`), written to the
   ledger, then created at the provider. ``judge.max_cost_usd`` holds each
   batch's worst case before it is sent.
3. Every ``judge.batch_poll_s`` the open batches are polled (progress on
   stderr); an ended one is collected: each result becomes a record in the
   store (batch price, ``batch_id``), per-request errors and expiries failed
   records with their reason, then the batch is marked collected.
4. ``judge.batch_wait=false`` polls once, collects what has ended and raises
   :class:`BatchPending` (exit 7) if anything is still processing.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from typing import TypeVar

from eng5_runner.engine.batch.anthropic_batch import AnthropicBatchApi
from eng5_runner.engine.batch.api import BatchApi, BatchState, ItemResult
from eng5_runner.engine.batch.ledger import BatchLedger, LedgerItem
from eng5_runner.engine.batch.openai_batch import OpenAIBatchApi
from eng5_runner.engine.batch.progress import BatchProgress
from eng5_runner.engine.batch.records import failed, succeeded
from eng5_runner.engine.batch.requests import BatchJudge, batch_judge, read_answer, request_body
from eng5_runner.engine.batch.splitter import PROVIDER_LIMITS, BatchLimits, Sized, split
from eng5_runner.engine.http import SdkHttpClient
from eng5_runner.engine.judges.anthropic import AnthropicJudge
from eng5_runner.engine.judges.prompt import JudgePrompt
from eng5_runner.engine.judges.sdk_errors import SDK_ERRORS, provider_error
from eng5_runner.engine.records import JudgementRecord, PairRequest
from eng5_runner.engine.scheduler import Job, estimate_tokens, utc_now
from eng5_runner.engine.spend import SpendGuard
from eng5_runner.engine.store import JudgementStore, KeyInputs, SqliteStore
from eng5_runner.errors import (
    BatchPending,
    ConfigError,
    ProviderAuthError,
    ProviderError,
    ProviderResponseError,
    ProviderTimeout,
)
from eng5_runner.output.console import print_warning
from eng5_runner.settings.models import JudgeSettings

T = TypeVar("T")
SUBMIT_TIMEOUT_S = 600.0
"""Uploading a batch file (up to 200 MB) may take longer than one judge call."""


@dataclass
class _Open:
    local_id: str
    batch_id: str
    total: int
    created_at: str


def batch_ledger(store: JudgementStore | None) -> BatchLedger:
    """The ledger in the run's store; ConfigError when there is no writable store."""
    if not isinstance(store, SqliteStore) or store.read_only:
        raise ConfigError(
            "judge.batch=true needs a writable judgement store to resume batches",
            hint="use cache=read_write (cache.path=<file>.sqlite)",
        )
    return BatchLedger(store.db)


class BatchRunner:
    """One run's batches; see the module docstring."""

    def __init__(
        self,
        settings: JudgeSettings,
        *,
        store: JudgementStore | None,
        client: SdkHttpClient,
        prompt_for: Callable[[PairRequest], JudgePrompt],
        sink: Callable[[JudgementRecord], JudgementRecord | None],
        spend: SpendGuard | None = None,
        progress: BatchProgress | None = None,
    ) -> None:
        self.settings = settings
        self.ledger = batch_ledger(store)
        self.store = store
        self.judge: BatchJudge = batch_judge(settings, client)
        self.api: BatchApi = (
            AnthropicBatchApi(self.judge.client)
            if isinstance(self.judge, AnthropicJudge)
            else OpenAIBatchApi(self.judge.client, settings.batch_completion_window)
        )
        self.prompt_for = prompt_for
        self.sink = sink
        self.spend = spend
        self.progress = progress or BatchProgress(enabled=False)
        self.creates = 0
        self._secrets = self.judge._secrets

    async def run(self, jobs: list[Job], key_data: dict[str, KeyInputs]) -> list[JudgementRecord]:
        """One record per job, in job order (raises BatchPending, SpendCapReached...)."""
        by_key = {job.cache_key: job for job in jobs}
        results: dict[str, JudgementRecord] = {}
        tracked = await self._resume(by_key)
        covered = {
            item.cache_key for batch in tracked for item in self.ledger.items(batch.local_id)
        }
        todo = list({j.cache_key: j for j in jobs if j.cache_key not in covered}.values())
        unsent = await self._submit(todo, key_data, tracked)
        with self.progress:
            await self._poll(tracked, by_key, results)
        if unsent and self.spend is not None:
            raise self.spend.error(unsent)
        return [_for_job(results.get(job.cache_key), job) or self._missing(job) for job in jobs]

    # -- submit ----------------------------------------------------------------------
    async def _resume(self, by_key: dict[str, Job]) -> list[_Open]:
        tracked: list[_Open] = []
        for batch in self.ledger.open_batches_for(self.settings.provider, by_key):
            batch_id = batch.batch_id
            if batch_id is None:
                found = await self._call(partial(self.api.find, batch.local_id))
                if found is None:
                    self.ledger.abandon(batch.local_id)
                    continue
                batch_id = found.batch_id
                self.ledger.submitted(batch.local_id, batch_id, found.status)
            tracked.append(_Open(batch.local_id, batch_id, batch.requests, batch.created_at))
        return tracked

    def limits(self) -> BatchLimits:
        limits = PROVIDER_LIMITS[self.settings.provider]
        if self.settings.batch_max_requests is not None:
            limits = BatchLimits(
                min(limits.max_requests, self.settings.batch_max_requests), limits.max_bytes
            )
        return limits

    async def _submit(
        self, jobs: list[Job], key_data: dict[str, KeyInputs], tracked: list[_Open]
    ) -> int:
        """Create batches for ``jobs``; how many were not sent (spend cap)."""
        sized: list[Sized[tuple[Job, bytes, int]]] = []
        for job in jobs:
            prompt = self.prompt_for(job.request)
            line = self.api.line(job.cache_key, request_body(self.judge, prompt))
            encoded = json.dumps(line, separators=(",", ":"), ensure_ascii=False).encode()
            sized.append(
                Sized(job.request, (job, encoded, estimate_tokens(prompt, 0)), len(encoded) + 1)
            )
        chunks = split(sized, self.limits())
        for index, chunk in enumerate(chunks):
            if self.spend is not None:
                hold = sum(self.spend.worst_case(e.item[2] * 4 // 3 + 1) for e in chunk)
                if not self.spend.reserve(hold):
                    return sum(len(c) for c in chunks[index:])
            items = [
                LedgerItem(e.item[0].cache_key, e.item[0].request, key_data[e.item[0].cache_key])
                for e in chunk
            ]
            local_id = self.ledger.begin(self.settings.provider, self.settings.model, items)
            lines = [e.item[1] for e in chunk]
            try:
                state = await self._call(
                    partial(self.api.create, lines, local_id), timeout=SUBMIT_TIMEOUT_S
                )
            except ProviderError as exc:
                if refused(exc):
                    self.ledger.abandon(local_id)
                # else the provider may have created it: the next run looks it up (find)
                raise
            self.creates += 1
            self.ledger.submitted(local_id, state.batch_id, state.status)
            batch = self.ledger.batch(local_id)
            assert batch is not None
            tracked.append(_Open(local_id, state.batch_id, len(chunk), batch.created_at))
        return 0

    # -- poll and collect ------------------------------------------------------------
    async def _poll(
        self, tracked: list[_Open], by_key: dict[str, Job], results: dict[str, JudgementRecord]
    ) -> None:
        pending = list(tracked)
        while pending:
            still: list[_Open] = []
            for batch in pending:
                try:
                    state = await self._call(partial(self.api.retrieve, batch.batch_id))
                except ProviderAuthError:
                    raise
                except ProviderError as exc:
                    if not refused(exc):
                        print_warning(
                            f"batch {batch.batch_id}: status check failed ({exc.one_line()})"
                        )
                        still.append(batch)
                        continue
                    state = BatchState(  # e.g. 404: the provider no longer has it
                        batch.batch_id,
                        "lost",
                        ended=True,
                        total=batch.total,
                        succeeded=0,
                        failed=batch.total,
                        error=f"batch status check refused: {exc.one_line()}",
                    )
                self.ledger.status(batch.local_id, state.status)
                self.progress.update(state, batch.total)
                if state.ended:
                    await self._collect(batch, state, by_key, results)
                else:
                    still.append(batch)
            pending = still
            if pending and not self.settings.batch_wait:
                total = sum(b.total for b in pending)
                raise BatchPending(
                    f"{total} comparison(s) in {len(pending)} provider batch(es) still "
                    f"processing ({', '.join(b.batch_id for b in pending[:3])}"
                    f"{'...' if len(pending) > 3 else ''}); their ids are in the judgement store",
                    hint="run the same command again to collect them (nothing is sent twice)",
                )
            if pending:
                await asyncio.sleep(self.settings.batch_poll_s)

    async def _collect(
        self,
        batch: _Open,
        state: BatchState,
        by_key: dict[str, Job],
        results: dict[str, JudgementRecord],
    ) -> None:
        items = {item.cache_key: item for item in self.ledger.items(batch.local_id)}
        seen: set[str] = set()
        if state.error is None:
            async for outcome in self._results(state):
                item = items.get(outcome.custom_id)
                if item is None or outcome.custom_id in seen:
                    continue
                seen.add(outcome.custom_id)
                job = by_key.get(item.cache_key)
                request = job.request if job is not None else item.request
                record = self._record(request, item, outcome, batch, state, own=job is not None)
                self._keep(record, item, by_key, results)
        reason = state.error or f"no result for it in batch {state.batch_id} ({state.status})"
        for key, item in items.items():
            if key not in seen:
                request = by_key[key].request if key in by_key else item.request
                record = failed(
                    request,
                    key,
                    reason,
                    provider=self.judge.provider,
                    model=self.judge.model,
                    batch_id=state.batch_id,
                    started=batch.created_at,
                    completed=utc_now(),
                )
                self._keep(record, item, by_key, results)
        self.ledger.collected(batch.local_id)

    async def _results(self, state: BatchState) -> AsyncIterator[ItemResult]:
        try:
            async for outcome in self.api.results(state):
                yield outcome
        except SDK_ERRORS as exc:
            raise provider_error(exc, secrets=self._secrets) from None

    def _record(
        self,
        request: PairRequest,
        item: LedgerItem,
        outcome: ItemResult,
        batch: _Open,
        state: BatchState,
        *,
        own: bool,
    ) -> JudgementRecord:
        """``own``: a comparison of this run (else of another run that shared the batch)."""
        completed = utc_now()
        error = outcome.error
        if outcome.body is not None:
            try:
                answer = read_answer(self.judge, outcome.body, outcome.request_id)
            except ProviderError as exc:
                error = f"{type(exc).__name__}: {exc.one_line()}"
            else:
                return succeeded(
                    request,
                    item.cache_key,
                    self.prompt_for(request) if own else None,
                    answer,
                    batch_id=state.batch_id,
                    started=batch.created_at,
                    completed=completed,
                )
        return failed(
            request,
            item.cache_key,
            error or "empty batch result",
            provider=self.judge.provider,
            model=self.judge.model,
            batch_id=state.batch_id,
            started=batch.created_at,
            completed=completed,
        )

    def _keep(
        self,
        record: JudgementRecord,
        item: LedgerItem,
        by_key: dict[str, Job],
        results: dict[str, JudgementRecord],
    ) -> None:
        if self.spend is not None:
            self.spend.spent += record.cost_usd
            self.spend.judged += 1
        if item.cache_key in by_key:
            results[item.cache_key] = record
            self.sink(record)
        elif self.store is not None:
            self.store.put(record, item.key_inputs)  # another run's comparison: keep it too

    def _missing(self, job: Job) -> JudgementRecord:
        return failed(
            job.request,
            job.cache_key,
            "not judged by any batch",
            provider=self.judge.provider,
            model=self.judge.model,
            batch_id=None,
            started=utc_now(),
            completed=utc_now(),
        )

    async def _call(self, request: Callable[[], Awaitable[T]], timeout: float | None = None) -> T:
        try:
            async with asyncio.timeout(timeout or self.settings.timeout_s):
                return await request()
        except TimeoutError:
            raise ProviderTimeout("no answer from the batch API in time") from None
        except SDK_ERRORS as exc:
            raise provider_error(exc, secrets=self._secrets) from None


def refused(exc: ProviderError) -> bool:
    """The provider certainly did not create the batch (a 4xx or a rejected key)."""
    if isinstance(exc, ProviderAuthError):
        return True
    return isinstance(exc, ProviderResponseError) and not exc.retryable and not exc.malformed


def _for_job(record: JudgementRecord | None, job: Job) -> JudgementRecord | None:
    """``record`` under ``job``'s comparison id (a comparison listed twice in one run)."""
    if record is None or record.comparison_id == job.request.comparison_id:
        return record
    return record.model_copy(update={"comparison_id": job.request.comparison_id})
