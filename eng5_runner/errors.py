"""The one exception tree for user-facing failures.

RunnerError                      exit 1 unless stated
├── ConfigError                  exit 2: bad key, value or override
│   └── InputError               exit 2: missing/unreadable/invalid input file or dataset
├── ProviderError                exit 1: the LLM provider failed for good
│   ├── ProviderAuthError        exit 2: missing or rejected API key
│   ├── ProviderTimeout          request timed out after retries
│   ├── ProviderRateLimited      429 after retries (carries retry_after)
│   ├── ProviderUnreachable      connection refused / DNS failure
│   ├── ProviderConnectionLost   reset / dropped mid-request (transient, retried)
│   ├── ProviderResponseError    non-retryable status or malformed answer
│   └── PreflightFailed          exit 2 (1 if transient): judge.preflight's first call failed
├── CacheMissError               exit 1: replay mode found no stored judgement
├── ServiceError                 exit 1: a HuleEdu HTTP service failed
│   └── RegistrationError        anchor registration failed (lists files)
├── KafkaError                   exit 1: broker unreachable or publish failed
├── CollectorError               exit 1: CJ reported failure / no results
├── ArtefactError                exit 1: an artefact failed schema validation
├── GateFailed                   exit 3: a report target was missed with report.gate=true
├── IncompleteRun                exit 4: the run is partial or failed (too many failed comparisons)
├── OutputError                  exit 5: the output dir or the store cannot be written/read
├── SpendCapReached              exit 6: judge.max_cost_usd would be exceeded
└── BatchPending                 exit 7: judge.batch_wait=false, batches still processing
"""

from __future__ import annotations


class RunnerError(Exception):
    """Base class: a failure the user can act on, reported as one line."""

    exit_code: int = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def one_line(self) -> str:
        """The message with its fix, on one line, secrets redacted (``output.redact``)."""
        from eng5_runner.output.redact import redact

        text = self.message if not self.hint else f"{self.message} — {self.hint}"
        return redact(" ".join(text.split()))


class ConfigError(RunnerError):
    """A configuration value or combination is invalid."""

    exit_code = 2


class InputError(ConfigError):
    """An input file or directory is missing, unreadable or invalid."""


class ProviderError(RunnerError):
    """The LLM provider could not produce a judgement."""

    spent_usd: float = 0.0
    """What the failed call was still billed (e.g. a malformed answer); set by the judge."""


class ProviderAuthError(ProviderError):
    """The API key is missing or was rejected (a configuration mistake: exit 2)."""

    exit_code = 2


class ProviderTimeout(ProviderError):
    """The provider did not answer in time."""


class ProviderRateLimited(ProviderError):
    """The provider answered 429; ``retry_after`` seconds if it said so."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ProviderUnreachable(ProviderError):
    """The provider's host could not be reached; ``refused``: it refused the connection."""

    def __init__(self, message: str, *, hint: str | None = None, refused: bool = False) -> None:
        super().__init__(message, hint=hint)
        self.refused = refused


class ProviderConnectionLost(ProviderError):
    """A connection was reset or dropped mid-request: transient, retried like a 5xx."""


class ProviderResponseError(ProviderError):
    """A non-retryable status, or an answer that does not fit the schema."""

    def __init__(self, message: str, *, retryable: bool = False, malformed: bool = False) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.malformed = malformed


class CacheMissError(RunnerError):
    """Replay mode needed a judgement that the store does not hold."""


class ServiceError(RunnerError):
    """A HuleEdu HTTP service returned an error or could not be reached."""


class RegistrationError(ServiceError):
    """One or more anchors could not be registered with CJ."""


class KafkaError(RunnerError):
    """The Kafka broker could not be reached or a publish failed."""


class CollectorError(RunnerError):
    """The CJ batch failed or produced no usable results."""


class ArtefactError(RunnerError):
    """An artefact does not validate against its published schema."""


class GateFailed(RunnerError):
    """A report target was missed while ``report.gate=true``."""

    exit_code = 3


class IncompleteRun(RunnerError):
    """The run ended ``partial`` or ``failed``: too many failed or missing comparisons."""

    exit_code = 4


class OutputError(RunnerError):
    """A file could not be written (disk full, read-only dir) or a store file is unusable."""

    exit_code = 5


def unwrap_group(exc: BaseException) -> BaseException:
    """The exception that matters inside (nested) exception groups.

    KeyboardInterrupt first, then the first RunnerError, then the first leaf;
    ``exc`` itself when it is no group.
    """
    leaves: list[BaseException] = []
    stack = [exc]
    while stack:
        current = stack.pop(0)
        if isinstance(current, BaseExceptionGroup):
            stack[:0] = list(current.exceptions)
        else:
            leaves.append(current)
    for wanted in (KeyboardInterrupt, RunnerError):
        for leaf in leaves:
            if isinstance(leaf, wanted):
                return leaf
    return leaves[0] if leaves else exc


class SpendCapReached(RunnerError):
    """The next judge calls would cost more than ``judge.max_cost_usd`` (exit 6).

    Everything judged before the stop is stored; raising the cap and running the
    same command again resumes.
    """

    exit_code = 6


class PreflightFailed(ProviderError):
    """``judge.preflight=true``: the first comparison failed, nothing else was sent.

    Exit 2 when the request itself was wrong (key, model, parameters, answer
    format); exit 1 when the provider failed transiently after every retry.
    """

    def __init__(self, message: str, *, hint: str | None = None, config_fault: bool) -> None:
        super().__init__(message, hint=hint)
        self.exit_code = 2 if config_fault else 1


class BatchPending(RunnerError):
    """``judge.batch_wait=false``: provider batches are submitted but not finished (exit 7).

    Their ids are in the judgement store; the same command again collects them.
    """

    exit_code = 7
