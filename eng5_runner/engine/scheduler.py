"""Runs judge calls concurrently: limits, retries, progress, one record per job.

A pool of ``judge.concurrency`` workers takes jobs in order. Each call waits
for the requests- and tokens-per-minute buckets, then retries 429/5xx,
timeouts and connection errors with exponential backoff and jitter (a 429's
``Retry-After`` wins, capped at ``backoff_max_s``, and pauses every worker).
A malformed answer is re-asked once. Every finished job, succeeded or failed,
goes to ``sink`` at once (the store writes it). A connection reset or dropped
mid-run is transient (retried like a 5xx; see ``engine.faults``, which also
classifies SDK and httpx exceptions). A rejected key (401), a host that refuses
connections on first contact, or one still unreachable after all retries stops
new work; the error is raised once in-flight jobs are recorded. Exception
groups from the worker pool are unwrapped to the error that matters.
"""

from __future__ import annotations

import asyncio
import inspect
import random
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from types import TracebackType

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from eng5_runner.engine.faults import classify
from eng5_runner.engine.judges.base import Judge
from eng5_runner.engine.judges.prompt import JudgePrompt, prompt_sha256
from eng5_runner.engine.limits.base import RateLimiter
from eng5_runner.engine.records import (
    JudgeAnswer,
    JudgementRecord,
    PairRequest,
    answered_record,
    failed_record,
)
from eng5_runner.engine.spend import SpendGuard
from eng5_runner.errors import (
    ProviderAuthError,
    ProviderConnectionLost,
    ProviderError,
    ProviderRateLimited,
    ProviderResponseError,
    ProviderTimeout,
    ProviderUnreachable,
    RunnerError,
    unwrap_group,
)
from eng5_runner.output.console import err_console
from eng5_runner.settings.models import JudgeSettings

MALFORMED_REASKS = 1
Sink = Callable[[JudgementRecord], JudgementRecord | None | Awaitable[JudgementRecord | None]]
"""Takes each finished record (the store writes it); returns the store's earlier answer."""


@dataclass(frozen=True, slots=True)
class Job:
    """One comparison to judge; ``cache_key`` is copied into its record."""

    request: PairRequest
    cache_key: str = ""


class TokenBucket:
    """Refills ``per_minute`` units per minute, holds up to 10 s worth (≥ 1 call)."""

    def __init__(self, per_minute: float) -> None:
        self.rate = per_minute / 60.0
        self.capacity = max(1.0, per_minute / 6.0)
        self.level = self.capacity
        self.stamp = time.monotonic()
        self.lock = asyncio.Lock()

    def _refill(self) -> None:
        now = time.monotonic()
        self.level = min(self.capacity, self.level + (now - self.stamp) * self.rate)
        self.stamp = now

    async def acquire(self, amount: float) -> None:
        """Wait until ``amount`` fits (a request bigger than the bucket waits for a full one)."""
        async with self.lock:
            need = min(amount, self.capacity)
            self._refill()
            while self.level < need:
                await asyncio.sleep((need - self.level) / self.rate)
                self._refill()
            self.level -= amount

    def refund(self, amount: float) -> None:
        """Correct an estimate once the real usage is known (negative = charge more)."""
        self._refill()
        self.level = min(self.capacity, self.level + amount)


class _RateColumn(ProgressColumn):
    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text(f"{speed:.1f}/s" if speed else "-/s", style="cyan")


class ProgressDisplay:
    """A rich progress bar (done, failed, rate, ETA, tokens, cost) on stderr.

    Does nothing when ``enabled`` is false or the console is not a terminal.
    """

    def __init__(
        self,
        total: int,
        *,
        done: int = 0,
        enabled: bool = True,
        description: str = "judging",
        console: Console | None = None,
    ) -> None:
        console = console or err_console
        self.bar: Progress | None = None
        self.failed, self.tokens, self.cost = 0, 0, 0.0
        self.cost_known = True
        if enabled and console.is_terminal:
            self.bar = Progress(
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("[red]{task.fields[failed]} failed"),
                _RateColumn(),
                TimeRemainingColumn(),
                TextColumn("{task.fields[tokens]:,} tok"),
                TextColumn("{task.fields[cost_text]}"),
                console=console,
            )
            self.task = self.bar.add_task(
                description,
                total=total,
                completed=done,
                failed=0,
                tokens=0,
                cost=0.0,
                cost_text="$0.0000",
            )

    def __enter__(self) -> ProgressDisplay:
        if self.bar is not None:
            self.bar.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.bar is not None:
            self.bar.stop()

    def advance(self, record: JudgementRecord) -> None:
        """Count one finished comparison."""
        if self.bar is None:
            return
        self.failed += not record.succeeded
        self.tokens += record.prompt_tokens + record.completion_tokens
        self.cost += record.cost_usd
        self.cost_known = self.cost_known and (record.cost_known or not record.succeeded)
        self.bar.update(
            self.task,
            advance=1,
            failed=self.failed,
            tokens=self.tokens,
            cost=self.cost,
            cost_text=f"${self.cost:.4f}" if self.cost_known else "price unknown",
        )


def estimate_tokens(prompt: JudgePrompt, max_tokens: int) -> int:
    """Rough token use of one call: prompt characters / 4 + the answer budget."""
    return (len(prompt.system) + len(prompt.user)) // 4 + max_tokens


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


class Scheduler:
    """Judge jobs with bounded concurrency; see the module docstring."""

    def __init__(
        self,
        judge: Judge,
        settings: JudgeSettings,
        *,
        prompt_for: Callable[[PairRequest], JudgePrompt],
        sink: Sink,
        progress: ProgressDisplay | None = None,
        limiter: RateLimiter | None = None,
        spend: SpendGuard | None = None,
    ) -> None:
        self.judge = judge
        self.limiter = limiter
        self.spend = spend
        self.capped = False
        self.spend_settled = asyncio.Condition()
        self.settings = settings
        self.prompt_for = prompt_for
        self.sink = sink
        self.progress = progress
        rpm, tpm = settings.requests_per_minute, settings.tokens_per_minute
        self.rpm = TokenBucket(rpm) if rpm else None
        self.tpm = TokenBucket(tpm) if tpm else None
        self.cooldown_until = 0.0
        self.fatal: RunnerError | None = None
        self.contacted = False
        """True once the host answered anything (a success or an HTTP status)."""
        self.rng = random.Random()

    async def run(self, jobs: Sequence[Job]) -> list[JudgementRecord]:
        """Judge every job; records come back in job order."""
        results: list[JudgementRecord | None] = [None] * len(jobs)
        queue = iter(enumerate(jobs))

        async def worker() -> None:
            for index, job in queue:
                hold = await self._reserve(job)
                if hold is None:
                    return
                record = await self.judge_job(job)
                if self.spend is not None:
                    async with self.spend_settled:
                        self.spend.settle(hold, record.cost_usd)
                        self.spend_settled.notify_all()
                stored = self.sink(record)
                if inspect.isawaitable(stored):  # a store on a network: written in a thread
                    stored = await stored
                record = stored or record  # the store's answer wins a race
                results[index] = record
                if self.progress is not None:
                    self.progress.advance(record)
                if self.fatal is not None:
                    return

        workers = min(self.settings.concurrency, len(jobs))
        try:
            async with asyncio.TaskGroup() as group:
                for _ in range(workers):
                    group.create_task(worker())
        except BaseExceptionGroup as group_error:
            raise unwrap_group(group_error) from None
        if self.fatal is not None:
            raise self.fatal
        if self.capped and self.spend is not None:
            raise self.spend.error(sum(r is None for r in results))
        return [r for r in results if r is not None]

    async def _reserve(self, job: Job) -> float | None:
        """Hold the job's worst-case cost under ``judge.max_cost_usd``; None: stop.

        A job that does not fit waits for the calls in flight to settle (their
        real cost is usually far below the worst case); with nothing in flight
        and still no room, the run stops.
        """
        if self.capped:
            return None
        if self.spend is None:
            return 0.0
        prompt = self.prompt_for(job.request)
        amount = self.spend.worst_case(estimate_tokens(prompt, 0) * 4 // 3 + 1)  # ≈ 3 chars/token
        async with self.spend_settled:
            while not self.spend.reserve(amount):
                if self.capped or self.spend.reserved <= 1e-12:
                    self.capped = True
                    self.spend_settled.notify_all()
                    return None
                await self.spend_settled.wait()
        return amount

    def _refund(self, tokens: int) -> None:
        """Return unused tokens to the shared limiter; if its store is gone, keep the answer
        (it is paid for) and stop new work: the error ends the run once it is recorded."""
        assert self.limiter is not None
        try:
            self.limiter.refund(tokens)
        except RunnerError as exc:
            self.fatal = self.fatal or exc

    def backoff(self, retry: int, retry_after: float | None) -> float:
        """Seconds before retry number ``retry`` (1-based)."""
        cap = self.settings.backoff_max_s
        if retry_after is not None:
            return min(retry_after, cap)
        delay = min(cap, self.settings.backoff_base_s * 2 ** (retry - 1))
        return delay * (0.5 + 0.5 * self.rng.random())

    async def _wait_turn(self, tokens: int) -> None:
        pause = self.cooldown_until - time.monotonic()
        if pause > 0:
            await asyncio.sleep(pause)
        if self.limiter is not None:
            await self.limiter.acquire(tokens)
            return
        if self.rpm is not None:
            await self.rpm.acquire(1)
        if self.tpm is not None:
            await self.tpm.acquire(tokens)

    async def judge_job(self, job: Job) -> JudgementRecord:
        """One comparison with retries and one re-ask; never raises ProviderError."""
        prompt = self.prompt_for(job.request)
        estimate = estimate_tokens(prompt, self.settings.max_tokens)
        started, attempts, retries, reasks = utc_now(), 0, 0, 0
        wasted = 0.0  # billed for answers that could not be used (re-asked ones)
        while True:
            attempts += 1
            await self._wait_turn(estimate)
            t0 = time.perf_counter()
            try:
                try:
                    answer = await self.judge.judge(prompt, job.request)
                except ProviderError:
                    raise
                except Exception as raw:  # an SDK's or transport's own exception
                    classified = classify(raw)
                    if classified is None:
                        raise
                    raise classified from raw
            except ProviderError as exc:
                latency = (time.perf_counter() - t0) * 1000
                wasted += exc.spent_usd
                billed = isinstance(exc, ProviderResponseError) and exc.malformed
                if not billed:  # an error answer bills no tokens
                    if self.limiter is not None:
                        self._refund(estimate)
                    elif self.tpm is not None:
                        self.tpm.refund(estimate)
                retry_after = exc.retry_after if isinstance(exc, ProviderRateLimited) else None
                if not isinstance(exc, _NO_ANSWER):
                    self.contacted = True
                if self._refused_at_first_contact(exc):
                    self.fatal = self.fatal or exc
                    return self._failed(job, prompt, exc, attempts, latency, started)
                if isinstance(exc, ProviderResponseError) and exc.malformed:
                    if reasks < MALFORMED_REASKS:
                        reasks += 1
                        continue
                elif _retryable(exc) and retries < self.settings.max_retries and self.fatal is None:
                    retries += 1
                    delay = self.backoff(retries, retry_after)
                    if retry_after is not None:
                        self.cooldown_until = max(self.cooldown_until, time.monotonic() + delay)
                    await asyncio.sleep(delay)
                    continue
                if isinstance(exc, ProviderAuthError | ProviderUnreachable) and self.fatal is None:
                    self.fatal = exc
                failed = self._failed(job, prompt, exc, attempts, latency, started)
                return failed.model_copy(update={"cost_usd": wasted}) if wasted else failed
            latency = (time.perf_counter() - t0) * 1000
            self.contacted = True
            if self.limiter is not None:
                self._refund(estimate - answer.prompt_tokens - answer.completion_tokens)
            elif self.tpm is not None:
                self.tpm.refund(estimate - answer.prompt_tokens - answer.completion_tokens)
            record = self._succeeded(job, prompt, answer, attempts, latency, started)
            return (
                record.model_copy(update={"cost_usd": record.cost_usd + wasted})
                if wasted
                else record
            )

    def _refused_at_first_contact(self, exc: ProviderError) -> bool:
        """A host that refuses the very first connections is down: no retries."""
        return isinstance(exc, ProviderUnreachable) and exc.refused and not self.contacted

    def _succeeded(
        self,
        job: Job,
        prompt: JudgePrompt,
        answer: JudgeAnswer,
        attempts: int,
        latency: float,
        started: str,
    ) -> JudgementRecord:
        return answered_record(
            job.request,
            job.cache_key,
            answer,
            started=started,
            completed=utc_now(),
            prompt_sha256=prompt_sha256(prompt),
            latency_ms=round(latency, 3),
            attempts=attempts,
        )

    def _failed(
        self,
        job: Job,
        prompt: JudgePrompt,
        exc: ProviderError,
        attempts: int,
        latency: float,
        started: str,
    ) -> JudgementRecord:
        return failed_record(
            job.request,
            job.cache_key,
            f"{type(exc).__name__}: {exc.one_line()} [attempts: {attempts}]",
            provider=self.judge.provider,
            model=self.judge.model,
            started=started,
            completed=utc_now(),
            prompt_sha256=prompt_sha256(prompt),
            latency_ms=round(latency, 3),
            attempts=attempts,
        )


_NO_ANSWER = (ProviderUnreachable, ProviderConnectionLost, ProviderTimeout)


def _retryable(exc: ProviderError) -> bool:
    if isinstance(
        exc, ProviderRateLimited | ProviderTimeout | ProviderUnreachable | ProviderConnectionLost
    ):
        return True
    return isinstance(exc, ProviderResponseError) and exc.retryable
