"""The rate-limiter interface and the choice of implementation.

A limiter hands out one request plus an estimate of its tokens and takes a
correction once the real usage is known. The scheduler's own in-process
buckets are used when ``judge.shared_rate_limits=false``; otherwise the
limits live in a small SQLite file on this machine (:mod:`.sqlite`), so every
process of a sweep draws from the same buckets. A cluster-wide backend (e.g.
PostgreSQL, issue 16) implements the same three methods: with
``cache.backend=postgres`` the buckets live in the store's database
(:mod:`.postgres`), shared by every node of a cluster.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from eng5_runner.settings.models import CacheSettings, JudgeSettings


class RateLimiter(Protocol):
    """Shared requests/tokens-per-minute buckets for one provider model."""

    async def acquire(self, tokens: int) -> None:
        """Wait until one request and ``tokens`` tokens fit, then take them."""
        ...

    def refund(self, tokens: int) -> None:
        """Return ``tokens`` of an estimate (negative: charge the shortfall)."""
        ...

    def close(self) -> None:
        """Release the backing store."""
        ...


def limit_key(settings: JudgeSettings) -> str:
    """Processes with the same provider, endpoint and model share buckets."""
    return f"{settings.provider}|{settings.base_url or 'default'}|{settings.model}"


def limiter_path(settings: JudgeSettings, cache: CacheSettings) -> Path:
    """``judge.rate_limit_path``, else ``ratelimits.sqlite`` beside the judgement store."""
    return settings.rate_limit_path or Path(cache.path).parent / "ratelimits.sqlite"


def build_limiter(settings: JudgeSettings, cache: CacheSettings) -> RateLimiter | None:
    """The machine-wide limiter, or None (no limits, or per-process limits wanted)."""
    rpm, tpm = settings.requests_per_minute, settings.tokens_per_minute
    if settings.provider == "simulated" or not settings.shared_rate_limits or not (rpm or tpm):
        return None
    if cache.backend == "postgres":
        return _postgres_limiter(settings, cache)
    from eng5_runner.engine.limits.sqlite import SqliteRateLimiter

    return SqliteRateLimiter(
        limiter_path(settings, cache),
        limit_key(settings),
        requests_per_minute=rpm,
        tokens_per_minute=tpm,
        burst_s=settings.rate_limit_burst_s,
    )


def _postgres_limiter(settings: JudgeSettings, cache: CacheSettings) -> RateLimiter:
    """Buckets in the PostgreSQL store's database (URL from ``$cache.url_env``)."""
    from eng5_runner.engine.limits.postgres import PostgresRateLimiter
    from eng5_runner.engine.store_postgres import store_url

    return PostgresRateLimiter(
        store_url(cache.url_env),
        limit_key(settings),
        requests_per_minute=settings.requests_per_minute,
        tokens_per_minute=settings.tokens_per_minute,
        burst_s=settings.rate_limit_burst_s,
        url_env=cache.url_env,
        retry_s=cache.retry_s,
    )
