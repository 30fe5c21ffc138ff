"""``judge.preflight=true``: one real comparison before the fan-out.

The first job goes through the scheduler like any other (retries and the
re-ask included) and is recorded. If it failed, nothing else is sent: the run
stops with :class:`PreflightFailed` naming the cause, exit 2 when the request
itself was wrong (key, model, parameters, answer format) and 1 when the
provider kept failing transiently.
"""

from __future__ import annotations

from eng5_runner.engine.records import JudgementRecord
from eng5_runner.errors import PreflightFailed

_TRANSIENT = ("ProviderTimeout", "ProviderRateLimited", "ProviderUnreachable")
_TRANSIENT_STATUS = ("HTTP 5", "HTTP 408", "HTTP 409", "HTTP 425", "connection failed")


def preflight_error(record: JudgementRecord) -> PreflightFailed | None:
    """None if the preflight comparison succeeded, else why the run stops."""
    if record.succeeded:
        return None
    reason = record.failure_reason or "failed"
    kind, _, detail = reason.partition(": ")
    transient = kind in _TRANSIENT or detail.startswith(_TRANSIENT_STATUS)
    return PreflightFailed(
        f"judge.preflight: the first comparison failed, nothing else was sent: {reason}",
        hint="fix the judge settings (key, model, parameters) and run again"
        if not transient
        else "the provider is failing; try again later",
        config_fault=not transient,
    )
