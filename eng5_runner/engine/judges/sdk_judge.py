"""What the SDK judges share: one guarded call, dropped-parameter warnings, costs.

A call runs under ``judge.timeout_s`` as a whole; every SDK exception becomes a
ProviderError (:mod:`.sdk_errors`), so the scheduler keeps owning retries.
``judge.extra_body`` is checked once, when the judge is built, against the
SDK's own request type (:func:`check_request`).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar, cast, get_type_hints

from pydantic import BaseModel, TypeAdapter, ValidationError

from eng5_runner.engine.judges.model_params import ModelParams
from eng5_runner.engine.judges.parsing import ParsedAnswer, malformed
from eng5_runner.engine.judges.sdk_errors import provider_error
from eng5_runner.engine.pricing import Pricer, TokenUsage
from eng5_runner.engine.records import JudgeAnswer
from eng5_runner.errors import ConfigError, ProviderError, ProviderTimeout
from eng5_runner.output.console import print_warning
from eng5_runner.settings.models import JudgeSettings

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)


class SdkJudge:
    """Base of the OpenAI, OpenAI-compatible and Anthropic judges."""

    provider: str = ""
    sdk_errors: tuple[type[Exception], ...] = ()
    """The SDK's base exception(s); :func:`provider_error` maps them."""

    def __init__(self, settings: JudgeSettings, secrets: tuple[str, ...] = ()) -> None:
        self.settings = settings
        self.model = settings.model
        self.pricer = Pricer(settings)
        self._secrets = secrets

    def warn_dropped(self, params: ModelParams) -> None:
        """One warning per configured value the model refuses (at build time, once)."""
        for item in params.dropped:
            print_warning(f"{item}: not sent to {self.provider}/{self.model}")

    async def call(self, request: Callable[[], Awaitable[T]]) -> T:
        """Run one SDK request under the run's timeout; map its failures."""
        try:
            async with asyncio.timeout(self.settings.timeout_s):
                return await request()
        except TimeoutError:
            raise ProviderTimeout(f"no answer within {self.settings.timeout_s:g} s") from None
        except self.sdk_errors as exc:
            raise provider_error(exc, secrets=self._secrets) from None
        except ProviderError:
            raise
        except ValueError as exc:  # a body the SDK could not decode
            raise malformed(f"response body is not JSON ({type(exc).__name__})") from None

    def cost_of(self, model: object, usage: TokenUsage) -> float:
        """USD for ``usage`` (0 when the price is unknown)."""
        prices = self.pricer.prices(model if isinstance(model, str) and model else self.model)
        return prices.cost(usage) if prices else 0.0

    def answer(
        self,
        parsed: ParsedAnswer,
        *,
        model: object,
        usage: TokenUsage,
        raw: bytes,
        request_id: str | None,
    ) -> JudgeAnswer:
        """A JudgeAnswer with the resolved model, full usage and its true cost."""
        resolved = model if isinstance(model, str) and model else self.model
        prices = self.pricer.prices(resolved)
        return JudgeAnswer(
            winner=parsed.winner,
            confidence=parsed.confidence,
            justification=parsed.justification,
            provider=self.provider,
            model=resolved,
            prompt_tokens=usage.input_tokens,
            completion_tokens=usage.output_tokens,
            cost_usd=prices.cost(usage) if prices else 0.0,
            response_sha256=hashlib.sha256(raw).hexdigest(),
            cached_input_tokens=usage.cached_input_tokens,
            cache_write_tokens=usage.cache_write_tokens,
            reasoning_tokens=usage.reasoning_tokens,
            cost_known=prices is not None,
            cache_saved_usd=prices.cache_savings(usage) if prices else 0.0,
            request_id=request_id,
        )


def construct_response(model: type[M], content: bytes) -> M:
    """The SDK response model from a JSON body.

    Validated by pydantic-core first (fast); a body that does not fully fit
    (an OpenAI-compatible server leaving out fields) is built leniently, as
    the SDK itself does.
    """
    try:
        return cast(M, model.model_validate_json(content))
    except ValidationError:
        pass
    try:
        data = json.loads(content)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise malformed(f"response body is not JSON: {content[:80]!r}") from None
    if not isinstance(data, dict):
        raise malformed("response body is not a JSON object")
    return cast(M, model.construct(**data))


def check_request(
    params_type: Any, body: Mapping[str, Any], extra_body: Mapping[str, Any], managed: set[str]
) -> dict[str, Any]:
    """Merge ``judge.extra_body`` into ``body`` after checking it against the SDK type.

    A key the SDK's request type does not know, a key the runner sets itself, or
    a value of the wrong type is a ConfigError naming ``judge.extra_body.<key>``.
    """
    if not extra_body:
        return dict(body)
    known = set(get_type_hints(params_type))
    for key in extra_body:
        if key in managed:
            raise ConfigError(
                f"judge.extra_body.{key}: set by the runner itself",
                hint=f"remove it (use the judge.* setting for {key} where there is one)",
            )
        if key not in known:
            raise ConfigError(
                f"judge.extra_body.{key}: not a request field of this provider's API",
                hint="see the SDK's request parameters; e.g. service_tier, seed, metadata",
            )
    merged = {**body, **extra_body}
    try:
        TypeAdapter(params_type).validate_python(merged)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"] if not isinstance(p, int))
        raise ConfigError(f"judge.extra_body.{where}: {first['msg']}") from None
    return merged
