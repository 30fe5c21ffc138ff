"""One factory per provider SDK: the async client a judge (or a batch job) uses.

Every client gets ``max_retries=0`` (the scheduler owns retries, Retry-After,
cooldowns and re-asks), the run's shared HTTP client (``engine.http``) and the
key from the environment. Everything else comes from the SDKs' usual
environment variables: ``OPENAI_ORG_ID``, ``OPENAI_PROJECT_ID``,
``OPENAI_BASE_URL``, ``ANTHROPIC_BASE_URL``; and Azure OpenAI
(``AZURE_OPENAI_ENDPOINT``, ``AZURE_OPENAI_API_KEY``, ``OPENAI_API_VERSION``)
when ``AZURE_OPENAI_ENDPOINT`` is set and ``judge.base_url`` is not.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from eng5_runner.engine.http import SdkHttpClient
from eng5_runner.errors import ConfigError, ProviderAuthError
from eng5_runner.settings.models import JudgeSettings

if TYPE_CHECKING:  # each SDK takes seconds to import: only the one a run uses
    from anthropic import AsyncAnthropic
    from openai import AsyncOpenAI

DEFAULT_KEY_ENV = {"openai": "OPENAI_API_KEY", "anthropic": "ANTHROPIC_API_KEY"}
AZURE_ENDPOINT_ENV = "AZURE_OPENAI_ENDPOINT"
AZURE_KEY_ENV = "AZURE_OPENAI_API_KEY"


def uses_azure(settings: JudgeSettings) -> bool:
    """Azure OpenAI: provider openai, no ``judge.base_url``, ``AZURE_OPENAI_ENDPOINT`` set."""
    return (
        settings.provider == "openai"
        and not settings.base_url
        and bool(os.environ.get(AZURE_ENDPOINT_ENV, "").strip())
    )


def key_env(settings: JudgeSettings) -> str | None:
    """The variable holding the key: ``judge.api_key_env`` or the provider's usual one."""
    if uses_azure(settings) and settings.api_key_env in (None, DEFAULT_KEY_ENV["openai"]):
        return AZURE_KEY_ENV
    if settings.api_key_env:
        return settings.api_key_env
    return DEFAULT_KEY_ENV.get(settings.provider)


def resolve_api_key(settings: JudgeSettings, *, required: bool) -> str | None:
    """The key from :func:`key_env`; ProviderAuthError if required and unset."""
    name = key_env(settings)
    key = os.environ.get(name, "").strip() if name else ""
    if not key and required:
        raise ProviderAuthError(
            f"judge.provider={settings.provider} needs an API key but the environment "
            f"variable {name} is not set",
            hint=f"export {name}=... (keys never go into config files)",
        )
    return key or None


NO_KEY = "no-key"
"""Placeholder for keyless servers; the judge omits the Authorization header."""


def openai_client(
    settings: JudgeSettings, http_client: SdkHttpClient, *, key_required: bool = True
) -> AsyncOpenAI:
    """AsyncOpenAI (or AsyncAzureOpenAI) for ``openai`` and ``openai_compatible``."""
    from openai import AsyncAzureOpenAI, AsyncOpenAI, OpenAIError

    key = resolve_api_key(settings, required=key_required)
    if uses_azure(settings):
        try:
            return AsyncAzureOpenAI(
                api_key=key,
                max_retries=0,
                timeout=settings.timeout_s,
                http_client=http_client,
            )
        except (OpenAIError, ValueError) as exc:
            raise ConfigError(
                f"Azure OpenAI ({AZURE_ENDPOINT_ENV} is set): {exc}",
                hint="set OPENAI_API_VERSION, or unset AZURE_OPENAI_ENDPOINT for api.openai.com",
            ) from None
    return AsyncOpenAI(
        api_key=key or NO_KEY,
        base_url=settings.base_url or None,
        max_retries=0,
        timeout=settings.timeout_s,
        http_client=http_client,
    )


def anthropic_client(settings: JudgeSettings, http_client: SdkHttpClient) -> AsyncAnthropic:
    """AsyncAnthropic with the SDK's default API version and headers."""
    from anthropic import AsyncAnthropic

    key = resolve_api_key(settings, required=True)
    return AsyncAnthropic(
        api_key=key,
        base_url=settings.base_url or None,
        max_retries=0,
        timeout=settings.timeout_s,
        http_client=http_client,
    )
