"""Requests- and tokens-per-minute limits shared by the processes of a sweep."""

from eng5_runner.engine.limits.base import RateLimiter, build_limiter, limit_key

__all__ = ["RateLimiter", "build_limiter", "limit_key"]
