"""The one place secrets are taken out of text before it leaves the process.

A secret is the value of an environment variable whose name says it is one
(``*_KEY``, ``*_TOKEN``, ``*_SECRET``, ``*PASSWORD``, plus the HuleEdu admin
and service-account tokens), anything shaped like an API key (``sk-…``,
``sk-ant-…``), a bearer token, or the credentials part of a URL. Every error
line (``RunnerError.one_line``), every record's failure reason, warnings and
log records pass through :func:`redact`; a service or provider that echoes a
key in an error body never gets it into stderr, error.json, logs or a report.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterable
from pathlib import Path

REDACTED = "[redacted]"
MIN_SECRET_LEN = 8
_SECRET_NAME = re.compile(r"(?:^|_)(?:API_?KEY|KEY|TOKEN|SECRET|PASSWORD|PASSWD)$", re.I)
_KEY_SHAPED = re.compile(
    r"\b(?:sk-ant-|sk-proj-|sk-|sk_|pk-|rk-|xox[abpr]-|gh[pousr]_|AKIA)[A-Za-z0-9_\-]{12,}"
)
_BEARER = re.compile(r"(?i)\b(bearer|token)\s+[A-Za-z0-9._~+/=\-]{12,}")
_URL_CREDENTIALS = re.compile(r"(?i)\b([a-z][a-z0-9+.\-]*://)[^/\s@:]+(?::[^/\s@]*)?@")
_AUTH_FIELD = re.compile(
    r"(?i)(\"?(?:authorization|x-api-key|api[_-]?key|access[_-]?token)\"?\s*[:=]\s*\"?)"
    r"(?:(?:bearer|basic)\s+)?[^\s\",}]{6,}"
)


def is_secret_name(name: str) -> bool:
    """True for environment variable names that hold secrets."""
    return bool(_SECRET_NAME.search(name))


def secret_values(extra_names: Iterable[str] = ()) -> list[str]:
    """Current values of secret-named environment variables (longest first)."""
    names = {n for n in os.environ if is_secret_name(n)} | {n for n in extra_names if n}
    values = {os.environ.get(n, "").strip() for n in names}
    return sorted((v for v in values if len(v) >= MIN_SECRET_LEN), key=len, reverse=True)


def looks_like_key(text: str) -> bool:
    """True when ``text`` as a whole is shaped like an API key or token."""
    value = text.strip()
    return bool(_KEY_SHAPED.fullmatch(value)) or bool(
        len(value) >= 32
        and re.fullmatch(r"[A-Za-z0-9_\-]+", value)
        and re.search(r"\d", value)
        and re.search(r"[a-z]", value)
        and re.search(r"[A-Z]", value)
    )


def redact(text: str, extra: Iterable[str] = ()) -> str:
    """``text`` with every known secret, key-shaped string and URL credential replaced."""
    if not text:
        return text
    for secret in [*secret_values(), *(s for s in extra if s and len(s) >= 4)]:
        text = text.replace(secret, REDACTED)
    text = _URL_CREDENTIALS.sub(lambda m: f"{m.group(1)}{REDACTED}@", text)
    text = _AUTH_FIELD.sub(lambda m: f"{m.group(1)}{REDACTED}", text)
    text = _BEARER.sub(lambda m: f"{m.group(1)} {REDACTED}", text)
    return _KEY_SHAPED.sub(REDACTED, text)


class RedactingFilter(logging.Filter):
    """A logging filter that redacts every record's message (installed on the root handlers)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            return True
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


def install_log_redaction() -> None:
    """Add :class:`RedactingFilter` to every handler of the root logger (idempotent)."""
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())


def scrub_files(paths: Iterable[Path], secrets: Iterable[str]) -> None:
    """Rewrite text files that hold any of ``secrets`` (e.g. Hydra's ``.hydra/*.yaml``)."""
    wanted = [s for s in secrets if s]
    for path in paths:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        cleaned = text
        for secret in wanted:
            cleaned = cleaned.replace(secret, REDACTED)
        cleaned = redact(cleaned)
        if cleaned != text:
            try:
                path.write_text(cleaned, encoding="utf-8")
            except OSError:
                continue
