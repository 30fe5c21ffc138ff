"""What a judgement cost: token usage priced from ``genai-prices``, with overrides.

Prices per million tokens come from the maintained ``genai-prices`` package
(its bundled snapshot; nothing is fetched at run time), one component at a
time: uncached input, cache-read input, cache-write input and output
(reasoning tokens are billed as output). ``judge.price_*_per_mtok`` replaces a
component. A model the library does not know, with no input and output
override, has **no price**: its cost is unknown, never a stale default. Tiered
prices use their base tier (comparison prompts stay far below the 200k-token
tiers).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from decimal import Decimal
from importlib.metadata import version

from eng5_runner.settings.models import JudgeSettings

_LIBRARY_PROVIDER = {"openai": "openai", "anthropic": "anthropic"}


@dataclass(frozen=True, slots=True)
class TokenUsage:
    """Tokens of one call; ``input_tokens`` includes cache reads and writes."""

    input_tokens: int = 0
    cached_input_tokens: int = 0
    cache_write_tokens: int = 0
    output_tokens: int = 0
    """Includes ``reasoning_tokens``."""
    reasoning_tokens: int = 0

    @property
    def uncached_input_tokens(self) -> int:
        return max(0, self.input_tokens - self.cached_input_tokens - self.cache_write_tokens)


@dataclass(frozen=True, slots=True)
class Prices:
    """USD per million tokens, and where they came from."""

    input: float
    cached_input: float
    cache_write: float
    output: float
    source: str

    def cost(self, usage: TokenUsage) -> float:
        """USD for ``usage``."""
        return (
            usage.uncached_input_tokens * self.input
            + usage.cached_input_tokens * self.cached_input
            + usage.cache_write_tokens * self.cache_write
            + usage.output_tokens * self.output
        ) / 1e6

    def cache_savings(self, usage: TokenUsage) -> float:
        """USD saved by prompt caching (cache writes cost extra, so it can be negative)."""
        return (
            usage.cached_input_tokens * (self.input - self.cached_input)
            - usage.cache_write_tokens * (self.cache_write - self.input)
        ) / 1e6


FREE = Prices(0.0, 0.0, 0.0, 0.0, "simulated judge (free)")


class Pricer:
    """Prices per model for one judge configuration (looked up once per model)."""

    def __init__(self, settings: JudgeSettings) -> None:
        self.settings = settings
        self._cache: dict[str, Prices | None] = {}

    def prices(self, model: str | None = None) -> Prices | None:
        """Prices of ``model`` (default: the configured one); None = unknown."""
        name = model or self.settings.model
        if name not in self._cache:
            self._cache[name] = self._resolve(name)
        return self._cache[name]

    def _resolve(self, model: str) -> Prices | None:
        s = self.settings
        if s.provider == "simulated":
            return FREE
        library = library_prices(_LIBRARY_PROVIDER.get(s.provider, ""), model)
        if library is None and model != s.model:
            library = library_prices(_LIBRARY_PROVIDER.get(s.provider, ""), s.model)
        lib = library or {}
        input_price = _first(s.price_input_per_mtok, lib.get("input"))
        output_price = _first(s.price_output_per_mtok, lib.get("output"))
        if input_price is None or output_price is None:
            return None
        overridden = any(
            p is not None
            for p in (
                s.price_input_per_mtok,
                s.price_output_per_mtok,
                s.price_cached_input_per_mtok,
                s.price_cache_write_per_mtok,
            )
        )
        source = f"genai-prices {version('genai-prices')}" if library else "config"
        if library and overridden:
            source += " with config overrides"
        return Prices(
            input=input_price,
            cached_input=_first(s.price_cached_input_per_mtok, lib.get("cached_input"), input_price)
            or 0.0,
            cache_write=_first(s.price_cache_write_per_mtok, lib.get("cache_write"), input_price)
            or 0.0,
            output=output_price,
            source=source,
        )

    def cost(self, usage: TokenUsage, model: str | None = None) -> float | None:
        """USD for ``usage`` on ``model``; None when the price is unknown."""
        prices = self.prices(model)
        return None if prices is None else prices.cost(usage)


@functools.lru_cache(maxsize=64)
def library_prices(provider_id: str, model: str) -> dict[str, float] | None:
    """genai-prices' per-MTok prices of ``model`` at ``provider_id``; None if unknown."""
    if not provider_id:
        return None
    from genai_prices import Usage, calc_price

    try:
        found = calc_price(Usage(input_tokens=0, output_tokens=0), model, provider_id=provider_id)
    except LookupError:
        return None
    price = found.model_price
    values = {
        "input": _base(getattr(price, "input_mtok", None)),
        "cached_input": _base(getattr(price, "cache_read_mtok", None)),
        "cache_write": _base(getattr(price, "cache_write_mtok", None)),
        "output": _base(getattr(price, "output_mtok", None)),
    }
    return {k: v for k, v in values.items() if v is not None}


def _base(value: object) -> float | None:
    if value is None:
        return None
    if isinstance(value, Decimal | int | float):
        return float(value)
    base = getattr(value, "base", None)
    return float(base) if base is not None else None


def _first(*values: float | None) -> float | None:
    return next((v for v in values if v is not None), None)
