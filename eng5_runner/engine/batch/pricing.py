"""Batch prices: genai-prices' ``processing=batch`` variant, else half the synchronous price.

Both providers bill batch requests at 50% of the standard rates, prompt-cache
reads and writes included (OpenAI Batch API and Anthropic Message Batches
pricing pages). ``genai-prices`` carries these as price variants; a model it
lists without one, and prices set in the config, get the documented 0.5 factor.
"""

from __future__ import annotations

import functools
from dataclasses import replace
from importlib.metadata import version

from eng5_runner.engine.pricing import _LIBRARY_PROVIDER, Pricer, Prices, library_prices

BATCH_DISCOUNT = 0.5


class BatchPricer(Pricer):
    """:class:`Pricer` at batch rates; ``source`` says which rule priced it."""

    def _resolve(self, model: str) -> Prices | None:
        sync = super()._resolve(model)
        if sync is None or self.settings.provider == "simulated":
            return sync
        provider_id = _LIBRARY_PROVIDER.get(self.settings.provider, "")
        overridden = self.settings.price_input_per_mtok is not None
        batch = None if overridden else batch_library_prices(provider_id, model)
        if batch is None:
            return replace(
                sync,
                input=sync.input * BATCH_DISCOUNT,
                cached_input=sync.cached_input * BATCH_DISCOUNT,
                cache_write=sync.cache_write * BATCH_DISCOUNT,
                output=sync.output * BATCH_DISCOUNT,
                source=f"{sync.source}, batch x{BATCH_DISCOUNT:g}",
            )
        return Prices(
            input=batch.get("input", sync.input * BATCH_DISCOUNT),
            cached_input=batch.get("cached_input", sync.cached_input * BATCH_DISCOUNT),
            cache_write=batch.get("cache_write", sync.cache_write * BATCH_DISCOUNT),
            output=batch.get("output", sync.output * BATCH_DISCOUNT),
            source=f"genai-prices {version('genai-prices')} (batch)",
        )


@functools.lru_cache(maxsize=64)
def batch_library_prices(provider_id: str, model: str) -> dict[str, float] | None:
    """genai-prices' batch variant of ``model`` (None: unknown, or no batch variant)."""
    if not provider_id:
        return None
    from genai_prices import Usage, calc_price

    try:
        found = calc_price(
            Usage(input_tokens=0, output_tokens=0),
            model,
            provider_id=provider_id,
            price_context={"processing": "batch"},
        )
    except LookupError:
        return None
    price = found.model_price
    values = {
        "input": getattr(price, "input_mtok", None),
        "cached_input": getattr(price, "cache_read_mtok", None),
        "cache_write": getattr(price, "cache_write_mtok", None),
        "output": getattr(price, "output_mtok", None),
    }
    found_prices = {k: _base(v) for k, v in values.items() if v is not None}
    prices = {k: v for k, v in found_prices.items() if v is not None}
    if prices == library_prices(provider_id, model):
        return None  # no batch variant: the caller applies the documented discount
    return prices


def _base(value: object) -> float | None:
    base = getattr(value, "base", value)
    try:
        return float(base)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
