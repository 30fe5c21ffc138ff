"""Judge pending comparisons through provider batches: submit, poll, collect, resume.

1. Batches of this provider still open in the ledger that hold any pending
   comparison are resumed, not re-submitted. One whose provider id was never
   written down (killed, or the create call timed out) is looked up
   (:meth:`BatchRunner._lookup`): adopted when the provider proves it ours,
   followed as a candidate when it may be ours (ownership is proven from its
   results' custom_ids, which carry the ledger batch's nonce), and sent again
   only when the provider's complete listing has no such batch
   :data:`CREATE_GRACE_S` after it was written down.
2. The other pending comparisons are split (:mod:`.splitter`), written to the
   ledger, then created at the provider (after one free authenticated call,
   so a bad key fails before any upload). ``judge.max_cost_usd`` holds each
   batch's worst case before it is sent. A create refused by the provider
   (4xx) forgets the batch; a 429 waits Retry-After and tries again; any other
   failure (timeout, reset, 5xx) may have created it, so it is looked up,
   never simply sent again.
3. Every ``judge.batch_poll_s`` the open batches are polled (progress on
   stderr); an ended one is collected: each result becomes a record in the
   store (batch price, ``batch_id``), per-request errors and expiries failed
   records with their reason, then the batch is marked collected (the store
   is flushed first). A batch killed while ``collecting`` is collected again
   without recording its failures twice.
4. ``judge.batch_wait=false`` polls once, collects what has ended and raises
   :class:`BatchPending` (exit 7) if anything is still processing.
"""

from __future__ import annotations

import asyncio
import json
import math
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import TypeVar, overload

from eng5_runner.engine.batch.anthropic_batch import AnthropicBatchApi
from eng5_runner.engine.batch.api import BatchApi, BatchState, ItemResult
from eng5_runner.engine.batch.ledger import (
    BatchLedger,
    Ledger,
    LedgerBatch,
    LedgerItem,
    custom_id,
)
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
    ProviderRateLimited,
    ProviderResponseError,
    ProviderTimeout,
)
from eng5_runner.output.console import print_warning
from eng5_runner.settings.models import JudgeSettings

T = TypeVar("T")
SUBMIT_TIMEOUT_S = 600.0
"""Uploading a batch file (up to 200 MB) may take longer than one judge call."""
CLOCK_SKEW_S = 300.0
"""How far the provider's clock may be behind ours when matching creation times."""
CREATE_GRACE_S = 60.0
"""How long after a batch was written down its create call may still land at the provider."""
PLACEHOLDER = b'"custom_id":"' + b"#" * 64 + b'"'
"""Stands for the custom_id while lines are sized; replaced once the batch's nonce exists."""


@dataclass
class _Open:
    local_id: str
    batch_id: str | None
    """None while only ``candidates`` may be this batch."""
    total: int
    created_at: str
    nonce: str | None = None
    candidates: list[str] = field(default_factory=list)
    recollect: bool = False
    """Killed while collecting: failures already recorded are not recorded again."""

    @classmethod
    def of(
        cls, batch: LedgerBatch, batch_id: str | None, candidates: list[str] | None = None
    ) -> _Open:
        return cls(
            batch.local_id,
            batch_id,
            batch.requests,
            batch.created_at,
            batch.nonce,
            candidates or [],
            recollect=batch.state == "collecting",
        )


def batch_ledger(store: JudgementStore | None) -> Ledger:
    """The ledger in the run's store; ConfigError when there is no writable store."""
    if isinstance(store, SqliteStore) and not store.read_only:
        return BatchLedger(store.db)
    from eng5_runner.engine.store_postgres import PostgresStore

    if isinstance(store, PostgresStore) and not store.read_only:
        from eng5_runner.engine.batch.ledger_postgres import PostgresBatchLedger

        return PostgresBatchLedger(store)
    raise ConfigError(
        "judge.batch=true needs a writable judgement store to resume batches",
        hint="use cache=read_write (cache.path=<file>.sqlite, or cache.backend=postgres)",
    )


def _unix(iso: str) -> float:
    return datetime.fromisoformat(iso).timestamp()


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
        return [for_job(results.get(job.cache_key), job) or self._missing(job) for job in jobs]

    def covered(self, keys: Iterable[str]) -> set[str]:
        """Which of ``keys`` are in a batch still open in the ledger (never sent again)."""
        wanted = set(keys)
        return {
            item.cache_key
            for batch in self.ledger.open_batches_for(self.settings.provider, wanted)
            for item in self.ledger.items(batch.local_id)
        } & wanted

    # -- submit ----------------------------------------------------------------------
    async def _resume(self, by_key: dict[str, Job]) -> list[_Open]:
        tracked: list[_Open] = []
        for batch in self.ledger.open_batches_for(self.settings.provider, by_key):
            if batch.batch_id is not None:
                tracked.append(_Open.of(batch, batch.batch_id))
                continue
            opened = await self._lookup(batch, wait_grace=True)
            if opened is not None:
                tracked.append(opened)
        return tracked

    async def _lookup(self, batch: LedgerBatch, *, wait_grace: bool) -> _Open | None:
        """A batch written down without provider id, as the provider lists it.

        None when the provider has none (forgotten in the ledger when
        ``wait_grace``, once :data:`CREATE_GRACE_S` has passed: the
        comparisons may be sent again).
        """
        since = _unix(batch.created_at) - CLOCK_SKEW_S
        while True:
            found = await self._call(partial(self.api.find, batch.local_id, batch.requests, since))
            owned = [state for state in found if state.owned]
            if owned:
                state = owned[-1]
                self.ledger.submitted(batch.local_id, state.batch_id, state.status)
                return _Open.of(batch, state.batch_id)
            if found:
                ids = [state.batch_id for state in found]
                print_warning(
                    f"batch {batch.local_id}: its provider id was never written down; "
                    f"{len(ids)} provider batch(es) may be it ({', '.join(ids[:3])}), "
                    "checked on their results before anything is sent again"
                )
                return _Open.of(batch, None, ids)
            if not wait_grace:
                return None
            wait = _unix(batch.created_at) + CREATE_GRACE_S - time.time()
            if wait <= 0:
                print_warning(
                    f"batch {batch.local_id}: the provider has no batch of it; "
                    "its comparisons are submitted again"
                )
                self.ledger.abandon(batch.local_id)
                return None
            if not self.settings.batch_wait:
                raise BatchPending(
                    f"batch {batch.local_id} was being created when the last run stopped "
                    "and the provider does not list it yet",
                    hint=f"run the same command again in {math.ceil(wait)} s "
                    "(nothing is sent twice)",
                )
            await asyncio.sleep(wait)

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
            line = self.api.line("#" * 64, request_body(self.judge, prompt))
            encoded = json.dumps(line, separators=(",", ":"), ensure_ascii=False).encode()
            sized.append(
                Sized(job.request, (job, encoded, estimate_tokens(prompt, 0)), len(encoded) + 1)
            )
        chunks = split(sized, self.limits())
        if chunks:
            await self._call(self.api.check)  # a bad key fails here, before any upload
        for index, chunk in enumerate(chunks):
            if self.spend is not None:
                hold = sum(self.spend.worst_case(e.item[2] * 4 // 3 + 1) for e in chunk)
                if not self.spend.reserve(hold):
                    return sum(len(c) for c in chunks[index:])
            items = [
                LedgerItem(e.item[0].cache_key, e.item[0].request, key_data[e.item[0].cache_key])
                for e in chunk
            ]
            row = self.ledger.begin(self.settings.provider, self.settings.model, items)
            lines = [
                e.item[1].replace(
                    PLACEHOLDER, b'"custom_id":"' + row.custom_id(i.cache_key).encode() + b'"', 1
                )
                for e, i in zip(chunk, items, strict=True)
            ]
            try:
                state = await self._create(lines, row.local_id)
            except ProviderError as exc:
                if refused(exc):
                    self.ledger.abandon(row.local_id)
                    raise
                print_warning(
                    f"batch {row.local_id}: the create call failed ({exc.one_line()}); "
                    "the provider may have it, looking it up"
                )
                opened = await self._lookup(row, wait_grace=False)
                if opened is None:
                    raise  # still 'submitting': the next run looks it up again
                tracked.append(opened)
                continue
            self.creates += 1
            self.ledger.submitted(row.local_id, state.batch_id, state.status)
            tracked.append(_Open.of(row, state.batch_id))
        return 0

    async def _create(self, lines: list[bytes], local_id: str) -> BatchState:
        """One create call; a 429 (certainly not created) waits Retry-After and tries again."""
        for attempt in range(self.settings.max_retries + 1):
            try:
                return await self._call(
                    partial(self.api.create, lines, local_id), timeout=SUBMIT_TIMEOUT_S
                )
            except ProviderRateLimited as exc:
                if attempt >= self.settings.max_retries:
                    raise
                await asyncio.sleep(exc.retry_after or min(2.0**attempt, 60.0))
        raise AssertionError("unreachable")

    # -- poll and collect ------------------------------------------------------------
    async def _poll(
        self, tracked: list[_Open], by_key: dict[str, Job], results: dict[str, JudgementRecord]
    ) -> None:
        pending = list(tracked)
        while pending:
            still: list[_Open] = []
            delay = self.settings.batch_poll_s
            for batch in pending:
                try:
                    if batch.batch_id is None:
                        done = await self._poll_candidates(batch, by_key, results)
                    else:
                        done = await self._poll_one(batch, batch.batch_id, by_key, results)
                except ProviderRateLimited as exc:
                    print_warning(f"batch status checks rate-limited ({exc.one_line()})")
                    delay = max(delay, exc.retry_after or delay)
                    done = False
                if not done:
                    still.append(batch)
            pending = still
            if pending and not self.settings.batch_wait:
                total = sum(b.total for b in pending)
                ids = [b.batch_id or b.local_id for b in pending]
                raise BatchPending(
                    f"{total} comparison(s) in {len(pending)} provider batch(es) still "
                    f"processing ({', '.join(ids[:3])}"
                    f"{'...' if len(pending) > 3 else ''}); their ids are in the judgement store",
                    hint="run the same command again to collect them (nothing is sent twice)",
                )
            if pending:
                await asyncio.sleep(delay)

    async def _status(self, batch: _Open, batch_id: str) -> BatchState | None:
        """The batch's state; None when the check failed transiently."""
        try:
            return await self._call(partial(self.api.retrieve, batch_id))
        except (ProviderAuthError, ProviderRateLimited):
            raise
        except ProviderError as exc:
            if not refused(exc):
                print_warning(f"batch {batch_id}: status check failed ({exc.one_line()})")
                return None
            return BatchState(  # e.g. 404: the provider no longer has it
                batch_id,
                "lost",
                ended=True,
                total=batch.total,
                succeeded=0,
                failed=batch.total,
                error=f"batch status check refused: {exc.one_line()}",
            )

    async def _poll_one(
        self,
        batch: _Open,
        batch_id: str,
        by_key: dict[str, Job],
        results: dict[str, JudgementRecord],
    ) -> bool:
        """Check one batch; collect it once ended (True)."""
        state = await self._status(batch, batch_id)
        if state is None:
            return False
        self.ledger.status(batch.local_id, state.status)
        self.progress.update(state, batch.total)
        if not state.ended:
            return False
        await self._collect(batch, state, by_key, results)
        return True

    async def _poll_candidates(
        self, batch: _Open, by_key: dict[str, Job], results: dict[str, JudgementRecord]
    ) -> bool:
        """Check the batches that may be ``batch``; True once one proved ours or none is."""
        for candidate in list(batch.candidates):
            state = await self._status(batch, candidate)
            if state is None or not state.ended:
                continue
            if state.error is None and await self._collect(
                batch, state, by_key, results, verify=True
            ):
                return True
            batch.candidates.remove(candidate)
        if batch.candidates:
            return False
        print_warning(
            f"batch {batch.local_id}: none of the provider's batches is it, so it was never "
            "created; run the same command again to submit its comparisons"
        )
        self.ledger.abandon(batch.local_id)
        return True

    async def _collect(
        self,
        batch: _Open,
        state: BatchState,
        by_key: dict[str, Job],
        results: dict[str, JudgementRecord],
        *,
        verify: bool = False,
    ) -> bool:
        """Store every result of an ended batch; with ``verify``, False if it is not ours."""
        rows = self.ledger.items(batch.local_id)
        items = {custom_id(batch.nonce, item.cache_key): item for item in rows}
        seen: set[str] = set()
        recorded: set[str] = self._recorded_failures(batch, state, rows)
        started = False
        if state.error is None:
            async for outcome in self._results(state):
                item = items.get(outcome.custom_id)
                if not started:
                    if verify and item is None:
                        return False  # another batch with as many requests
                    self._start_collecting(batch, state)
                    started = True
                if item is None or item.cache_key in seen:
                    continue
                seen.add(item.cache_key)
                job = by_key.get(item.cache_key)
                request = job.request if job is not None else item.request
                record = self._record(request, item, outcome, batch, state, own=job is not None)
                self._keep(record, item, by_key, results, recorded)
        if not started:
            if verify:
                return False
            self._start_collecting(batch, state)
        reason = state.error or f"no result for it in batch {state.batch_id} ({state.status})"
        for item in rows:
            key = item.cache_key
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
                self._keep(record, item, by_key, results, recorded)
        if self.store is not None:
            self.store.flush()  # every record durable before the batch counts as collected
        self.ledger.collected(batch.local_id)
        return True

    def _start_collecting(self, batch: _Open, state: BatchState) -> None:
        if batch.batch_id is None:  # a candidate proved ours by its custom_ids
            self.ledger.submitted(batch.local_id, state.batch_id, state.status)
            batch.batch_id = state.batch_id
        self.ledger.collecting(batch.local_id)

    def _recorded_failures(
        self, batch: _Open, state: BatchState, rows: list[LedgerItem]
    ) -> set[str]:
        """Keys whose failure in this batch a killed earlier collection already stored."""
        if not batch.recollect or self.store is None:
            return set()
        return {
            item.cache_key
            for item in rows
            if any(f.batch_id == state.batch_id for f in self.store.failures(item.cache_key))
        }

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
        recorded: set[str],
    ) -> None:
        """Count, report and store ``record`` (a failure already stored is not stored again)."""
        again = not record.succeeded and item.cache_key in recorded
        if self.spend is not None and not again:
            self.spend.spent += record.cost_usd
            self.spend.judged += 1
        if item.cache_key in by_key:
            results[item.cache_key] = record
            if not again:
                self.sink(record)
        elif self.store is not None and not again:
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
    """The provider certainly did not create the batch (a 4xx, a 429 or a rejected key)."""
    if isinstance(exc, ProviderAuthError | ProviderRateLimited):
        return True
    return isinstance(exc, ProviderResponseError) and not exc.retryable and not exc.malformed


@overload
def for_job(record: JudgementRecord, job: Job) -> JudgementRecord: ...
@overload
def for_job(record: None, job: Job) -> None: ...
def for_job(record: JudgementRecord | None, job: Job) -> JudgementRecord | None:
    """``record`` under ``job``'s comparison id (a comparison listed twice in one run)."""
    if record is None or record.comparison_id == job.request.comparison_id:
        return record
    return record.model_copy(update={"comparison_id": job.request.comparison_id})
