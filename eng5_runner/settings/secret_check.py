"""Refuse config values that look like secrets: keys live only in environment variables.

Two mistakes are caught before anything is written: an API key typed where
the *name* of its variable belongs (``judge.api_key_env=sk-…``), and a secret
pulled into a field that gets written (``batch_label=${oc.env:OPENAI_API_KEY}``).
The error names the key, never the value.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from eng5_runner.errors import ConfigError
from eng5_runner.output.redact import looks_like_key, secret_values

_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class SecretInConfig(ConfigError):
    """A config value is (or looks like) a secret; ``secret`` is it, for scrubbing files."""

    def __init__(self, message: str, *, hint: str, secret: str) -> None:
        super().__init__(message, hint=hint)
        self.secret = secret


def _strings(data: Any, prefix: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(data, Mapping):
        for key, value in data.items():
            yield from _strings(value, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(data, list | tuple):
        for index, value in enumerate(data):
            yield from _strings(value, f"{prefix}[{index}]")
    elif isinstance(data, str):
        yield prefix, data


def check_no_secrets(data: Mapping[str, Any]) -> None:
    """Raise :class:`SecretInConfig` for the first secret-looking value in ``data``."""
    judge = data.get("judge")
    env_name = judge.get("api_key_env") if isinstance(judge, Mapping) else None
    bad_name = isinstance(env_name, str) and bool(env_name)
    if bad_name and (looks_like_key(str(env_name)) or not _ENV_NAME.match(str(env_name))):
        raise SecretInConfig(
            "judge.api_key_env must be the NAME of an environment variable, and the "
            "value given looks like an API key (it is not shown)",
            hint="export the key, e.g. export MY_KEY=..., then set judge.api_key_env=MY_KEY",
            secret=str(env_name),
        )
    secrets = secret_values()
    for key, value in _strings(data):
        text = value.strip()
        if not text:
            continue
        if text in secrets or any(secret in text for secret in secrets):
            raise SecretInConfig(
                f"{key}: the value holds the value of a secret environment variable "
                "(it is not shown)",
                hint="keys and tokens are read from the environment by the runner; do not "
                "put ${oc.env:...} of a key into a config field",
                secret=text,
            )
        if looks_like_key(text):
            raise SecretInConfig(
                f"{key}: the value looks like an API key or token (it is not shown)",
                hint="keep keys in environment variables (judge.api_key_env names the variable)",
                secret=text,
            )
