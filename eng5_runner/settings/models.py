"""Typed run settings: the validated form of the composed Hydra config.

Every model is frozen and forbids unknown keys, so a typo in an experiment
file or an override is an error, not a silently ignored value.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


class RunnerMode(StrEnum):
    """What a run does; the values are the upstream runner's ``--mode`` values."""

    PLAN = "plan"
    DRY_RUN = "dry-run"
    EXECUTE = "execute"
    ANCHOR_ALIGN_TEST = "anchor-align-test"
    BOUNDARY_TEST = "boundary-test"


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def check_http_url(value: str | None) -> str | None:
    """An ``http(s)://host[:port][/path]`` URL without credentials, or None."""
    if value is None:
        return None
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(value.strip())
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError as exc:
        raise ValueError(f"not a valid URL ({exc})") from None
    if parts.scheme not in ("http", "https"):
        shown = f"scheme {parts.scheme!r}" if parts.scheme else "no scheme"
        raise ValueError(f"must be an http:// or https:// URL ({shown}), e.g. https://host/v1")
    if not parts.hostname:
        raise ValueError("the URL names no host, e.g. https://host/v1")
    if parts.username is not None or parts.password is not None:
        raise ValueError(
            "credentials in the URL are not allowed; keys come from environment variables"
        )
    return value.strip()


class DatasetSettings(_Frozen):
    """Where the essays, grades and writing task come from."""

    name: str = "custom"
    root: Path | None = None
    """Optional base directory the other paths are built from (``local_dirs``)."""
    anchors_dir: Path
    """Directory of anchor essays (.txt .md .docx .pdf) with known expert grades."""
    students_dir: Path | None = None
    """Directory of student essays; only ``execute`` needs it."""
    grades_file: Path | None = None
    """CSV with anchor id / file name / grade columns; else grades come from file names."""
    assignment_file: Path | None = None
    """The writing task shown to the judge (when ``include_assignment``)."""
    include_assignment: bool = True
    grade_scale: Literal["eng5_np_legacy_9_step", "full_16_step"] = "eng5_np_legacy_9_step"
    max_essay_chars: int = Field(100_000, ge=1)
    """A longer essay is an input error (see ``inputs.essay_limits``)."""


class SimulatedJudgeSettings(_Frozen):
    """Parameters of the offline simulated judge."""

    noise: float = Field(0.6, ge=0)
    """Standard deviation of the logistic judgement noise, in grade steps."""
    position_bias: float = 0.0
    """Added to essay A's logit: > 0 favours slot A."""
    scale: float = Field(1.0, gt=0)
    """Multiplies the grade-step differences (relative to the noise): larger = easier pairs."""
    seed: int = 0
    latency_ms: float = Field(0.0, ge=0)


class JudgeSettings(_Frozen):
    """The LLM judge: provider, model, generation parameters, prices and limits."""

    provider: Literal["simulated", "openai", "anthropic", "openai_compatible"]
    model: str
    base_url: str | None = None
    api_key_env: str | None = None
    """Name of the environment variable holding the key (never the key itself)."""
    temperature: float | None = Field(None, ge=0.0, le=2.0)
    max_tokens: int = Field(1024, ge=1)
    reasoning_effort: Literal["none", "minimal", "low", "medium", "high"] | None = None
    output_verbosity: Literal["low", "medium", "high"] | None = None
    structured_output: bool = True
    """Ask for a JSON-schema answer; turn off for servers that cannot do it."""
    price_input_per_mtok: float = Field(0.0, ge=0)
    price_output_per_mtok: float = Field(0.0, ge=0)
    concurrency: int = Field(8, ge=1, le=1024)
    requests_per_minute: int | None = Field(None, ge=1)
    tokens_per_minute: int | None = Field(None, ge=1)
    timeout_s: float = Field(120.0, gt=0)
    max_retries: int = Field(4, ge=0)
    backoff_base_s: float = Field(1.0, ge=0)
    backoff_max_s: float = Field(60.0, ge=0)
    simulated: SimulatedJudgeSettings = SimulatedJudgeSettings()
    shared_rate_limits: bool = True
    """Share requests/tokens per minute between the processes on this machine."""
    rate_limit_path: Path | None = None
    """SQLite file holding the shared buckets; null = ``ratelimits.sqlite`` beside the store."""
    rate_limit_burst_s: float = Field(10.0, gt=0)
    """How many seconds' worth of requests/tokens may go out at once."""

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        return check_http_url(value)

    @property
    def generation_params(self) -> dict[str, object]:
        """Everything besides the prompt that can change the judge's answer."""
        return {
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
            "reasoning_effort": self.reasoning_effort,
            "output_verbosity": self.output_verbosity,
            "structured_output": self.structured_output,
            "simulated": self.simulated.model_dump(exclude={"latency_ms"})
            if self.provider == "simulated"
            else None,
        }


class PromptSettings(_Frozen):
    """A system prompt or rubric: inline ``text`` or a ``file`` (file wins)."""

    name: str
    text: str | None = None
    file: Path | None = None


class BackendSettings(_Frozen):
    """Where comparisons run: the embedded engine or the HuleEdu services."""

    kind: Literal["local", "huleedu"] = "local"
    cj_service_url: str | None = None
    content_service_url: str | None = None
    kafka_bootstrap: str | None = None
    kafka_enabled: bool = True
    """The upstream ``--no-kafka`` is ``backend.kafka_enabled=false``."""
    kafka_client_id: str = "eng5-runner"
    kafka_idempotence: bool = True
    assignment_id: UUID | None = None
    course_id: UUID | None = None
    expected_grade_scale: str | None = None
    user_id: str = "eng5_np_research_runner"
    org_id: str | None = None
    course_code: Literal["ENG5", "ENG6", "ENG7", "SV1", "SV2", "SV3"] = "ENG5"
    language: Literal["en", "sv"] = "en"
    force_reupload: bool = False
    register_anchors: bool = True
    max_comparisons: int | None = Field(None, ge=2)
    llm_batching_mode: Literal["per_request", "serial_bundle", "provider_batch_api"] | None = None
    completion_timeout_s: float = Field(1800.0, gt=0)
    grace_s: float = Field(5.0, ge=0)
    http_timeout_s: float = Field(30.0, gt=0)
    http_retries: int = Field(3, ge=0)
    upload_concurrency: int = Field(10, ge=1)
    registration_concurrency: int = Field(4, ge=1)
    broker_loss_s: float = Field(30.0, gt=0)
    """A Kafka broker unreachable this long mid-run is lost: the run stops with what it has."""

    @field_validator("cj_service_url", "content_service_url")
    @classmethod
    def _http_urls(cls, value: str | None) -> str | None:
        return check_http_url(value)

    @field_validator("course_code", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("language", mode="before")
    @classmethod
    def _lower(cls, value: object) -> object:
        return value.lower() if isinstance(value, str) else value


class PairingSettings(_Frozen):
    """The comparison design for anchor-align and execute runs."""

    design: Literal["round_robin", "balanced"] = "round_robin"
    comparisons_per_essay: int | None = Field(None, ge=1)
    """Balanced design: how many comparisons each essay takes part in."""
    repeats: int = Field(1, ge=1)
    """Round robin: how many times each pair is judged (orders alternate)."""
    seed: int = 0


class BoundaryPair(_Frozen):
    """One boundary pair: an anchor reference that should beat another."""

    higher: str = Field(min_length=1)
    lower: str = Field(min_length=1)


class BoundarySettings(_Frozen):
    """Boundary-test pairs (list of {higher, lower} or ``"H:L,H:L"``) and iterations."""

    name: str = "none"
    pairs: tuple[BoundaryPair, ...] = ()
    iterations: int = Field(10, ge=1)

    @field_validator("pairs", mode="before")
    @classmethod
    def _parse_pairs(cls, value: object) -> object:
        if isinstance(value, str):
            return parse_boundary_pairs(value)
        return value

    @model_validator(mode="after")
    def _distinct(self) -> BoundarySettings:
        seen: set[tuple[str, str]] = set()
        for pair in self.pairs:
            if pair.higher == pair.lower:
                raise ValueError(f"pair {pair.higher}:{pair.lower} compares an anchor with itself")
            key = (pair.higher, pair.lower)
            if key in seen:
                raise ValueError(f"pair {pair.higher}:{pair.lower} is listed twice")
            seen.add(key)
        return self


def parse_boundary_pairs(text: str) -> list[dict[str, str]]:
    """Parse ``"HIGHER:LOWER,HIGHER:LOWER"``; raise ValueError naming the bad item."""
    pairs: list[dict[str, str]] = []
    for raw in text.split(","):
        item = raw.strip()
        if not item:
            continue
        if item.count(":") != 1:
            raise ValueError(f"'{item}' is not HIGHER:LOWER (exactly one ':')")
        higher, lower = (part.strip() for part in item.split(":"))
        if not higher or not lower:
            raise ValueError(f"'{item}' is not HIGHER:LOWER (both sides are needed)")
        pairs.append({"higher": higher, "lower": lower})
    if not pairs:
        raise ValueError("no pairs given; write HIGHER:LOWER,HIGHER:LOWER")
    return pairs


class CacheSettings(_Frozen):
    """The judgement store: cache and resume, off, or replay-only."""

    mode: Literal["read_write", "off", "replay"] = "read_write"
    path: Path = Path("outputs/judgements.sqlite")
    """SQLite store, or a ``.jsonl`` cassette (replay mode)."""
    backend: Literal["sqlite", "postgres"] = "sqlite"
    """Where the store lives: the SQLite file ``path``, or a shared PostgreSQL database."""
    url_env: str = Field("ENG5_STORE_URL", pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    """Environment variable holding the PostgreSQL URL (never the URL itself)."""
    retry_s: float = Field(30.0, ge=0)
    """How long a lost PostgreSQL connection is retried before the run stops (exit 5)."""


class ReportTargets(_Frozen):
    """Targets from EPIC-008; each report metric is shown against its target."""

    direct_inversions_max: int = Field(1, ge=0)
    zero_win_anchors_max: int = Field(0, ge=0)
    """Zero-win anchors excluding the lowest grade present."""
    tau_upstream_min: float = Field(0.90, ge=-1, le=1)
    ab_regression_max: int = Field(0, ge=0)
    boundary_win_rate_min: float = Field(0.8, ge=0, le=1)
    """Boundary test: pooled win rate of the higher grade."""
    boundary_bias_p_min: float = Field(0.05, ge=0, le=1)
    """Boundary test: pooled position-bias p-value must be at least this."""


class ReportSettings(_Frozen):
    """What reports contain and whether missed targets fail the run."""

    targets: ReportTargets = ReportTargets()
    gate: bool = False
    baseline: Path | None = None
    plots: bool = True
    ridge: float | None = Field(None, ge=0)
    """Bradley–Terry penalty; null = MLE when it exists, else the default penalty."""
    max_failed_fraction: float = Field(0.05, ge=0, le=1)
    """Above this share of failed or missing comparisons the run is ``partial`` (exit 4)."""


class SweepSettings(_Frozen):
    """Sweep-level behaviour (leaderboard order, CI gate)."""

    gate: Literal["none", "any", "all"] = "none"
    sort_by: str = "tau_b"
    descending: bool | None = None
    fail_fast: bool = False


class RunnerSettings(_Frozen):
    """Everything a run needs, validated."""

    mode: RunnerMode
    dataset: DatasetSettings
    judge: JudgeSettings
    system_prompt: PromptSettings
    rubric: PromptSettings
    backend: BackendSettings = BackendSettings()
    pairing: PairingSettings = PairingSettings()
    boundary: BoundarySettings = BoundarySettings()
    cache: CacheSettings = CacheSettings()
    report: ReportSettings = ReportSettings()
    sweep: SweepSettings = SweepSettings()
    batch_label: str = Field("eng5-local-batch", min_length=1, pattern=r"\S")
    await_completion: bool = True
    """huleedu backend: wait for CJ's results and build the report."""
    experiment_name: str | None = None
    tags: tuple[str, ...] = ()
    seed: int = 0
    show_progress: bool = True

    @field_validator("mode", mode="before")
    @classmethod
    def _mode_case(cls, value: object) -> object:
        return value.lower() if isinstance(value, str) else value


#: Settings that do not change results; left out of the run signature.
NON_SEMANTIC_FIELDS: dict[str, set[str]] = {
    "judge": {
        "concurrency",
        "requests_per_minute",
        "tokens_per_minute",
        "timeout_s",
        "max_retries",
        "backoff_base_s",
        "backoff_max_s",
        "api_key_env",
        "base_url",
    },
    "backend": {
        "http_timeout_s",
        "http_retries",
        "upload_concurrency",
        "registration_concurrency",
        "completion_timeout_s",
        "grace_s",
        "broker_loss_s",
    },
    "cache": {"path"},
    "sweep": {"fail_fast"},
    "report": {"gate", "baseline", "plots", "max_failed_fraction"},
}
TOP_LEVEL_NON_SEMANTIC = {"show_progress", "tags", "batch_label"}
