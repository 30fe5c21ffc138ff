"""Typed run settings: the validated form of the composed Hydra config.

Every model is frozen and forbids unknown keys, so a typo in an experiment
file or an override is an error, not a silently ignored value.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

ReasoningEffort = Literal["none", "minimal", "low", "medium", "high", "xhigh", "max"]
"""Every value the openai SDK's ``ReasoningEffort`` accepts (Anthropic: low..max)."""


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
    allow_unmatched_grades: bool = False
    """Grade-sheet rows that name no anchor file: a warning instead of an input error."""
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
    inconsistent_essays: tuple[str, ...] = ()
    """Simulation only (misfit tests): comparisons with these essay ids are a fair coin toss."""
    length_bias: float = 0.0
    """Simulation only (bias tests): logit bonus for slot A per doubling of its word count
    relative to B's (> 0 rewards the longer essay)."""


class JudgeSettings(_Frozen):
    """The LLM judge: provider, model, generation parameters, prices and limits."""

    provider: Literal["simulated", "openai", "anthropic", "openai_compatible"]
    model: str
    base_url: str | None = None
    api_key_env: str | None = None
    """Name of the environment variable holding the key (never the key itself)."""
    temperature: float | None = Field(None, ge=0.0, le=2.0)
    max_tokens: int = Field(1024, ge=1)
    reasoning_effort: ReasoningEffort | None = None
    """Reasoning models only (OpenAI ``reasoning_effort``, Anthropic ``output_config.effort``)."""
    output_verbosity: Literal["low", "medium", "high"] | None = None
    structured_output: bool = True
    """Ask for a JSON-schema answer; turn off for servers that cannot do it."""
    price_input_per_mtok: float | None = Field(None, ge=0)
    """USD per million uncached input tokens; null = from the genai-prices library."""
    price_output_per_mtok: float | None = Field(None, ge=0)
    """USD per million output tokens (reasoning included); null = from genai-prices."""
    concurrency: int = Field(8, ge=1, le=1024)
    requests_per_minute: int | None = Field(None, ge=1)
    tokens_per_minute: int | None = Field(None, ge=1)
    timeout_s: float = Field(120.0, gt=0)
    max_retries: int = Field(4, ge=0)
    backoff_base_s: float = Field(1.0, ge=0)
    backoff_max_s: float = Field(60.0, ge=0)
    simulated: SimulatedJudgeSettings = SimulatedJudgeSettings()
    outcome: Literal["binary", "confidence"] = "binary"
    """How a judgement enters the BT fit: a clear win (binary) or a soft outcome from the
    judge's 1–5 confidence (see docs/metrics.md "Graded outcomes")."""

    price_cached_input_per_mtok: float | None = Field(None, ge=0)
    """USD per million cache-read input tokens; null = from genai-prices."""
    price_cache_write_per_mtok: float | None = Field(None, ge=0)
    """USD per million cache-write input tokens (Anthropic); null = from genai-prices."""
    thinking_budget_tokens: int | None = Field(None, ge=1024)
    """Anthropic extended thinking budget (must be below ``max_tokens``); null = off."""
    extra_body: dict[str, Any] = Field(default_factory=dict)
    """Further request fields (service_tier, seed, ...), checked against the provider SDK."""
    prompt_caching: bool = True
    """Mark the static prefix cacheable (Anthropic cache_control, OpenAI prompt_cache_key)."""
    max_cost_usd: float | None = Field(None, gt=0)
    """Stop before the judge calls of this run would cost more than this (USD)."""
    preflight: bool = False
    """Send one comparison first; stop on an auth, model or format error before fanning out."""
    expected_cache_hit_rate: float = Field(0.9, ge=0, le=1)
    """Plan estimate: share of the static prefix served from the provider's prompt cache."""
    expected_reasoning_tokens: int | None = Field(None, ge=0)
    """Plan estimate: reasoning tokens per answer; null = a default per reasoning effort."""
    shared_rate_limits: bool = True
    """Share requests/tokens per minute between the processes on this machine."""
    rate_limit_path: Path | None = None
    """SQLite file holding the shared buckets; null = ``ratelimits.sqlite`` beside the store."""
    rate_limit_burst_s: float = Field(10.0, gt=0)
    """How many seconds' worth of requests/tokens may go out at once."""
    batch: bool = False
    """Send the pending comparisons as provider batches (OpenAI Batch API, Anthropic
    Message Batches): half price, results within the completion window."""
    batch_fallback: Literal["none", "sync"] = "none"
    """What to do with comparisons a batch could not judge: keep them failed, or
    re-judge them synchronously in the same run."""
    batch_poll_s: float = Field(30.0, gt=0)
    """Seconds between batch status checks."""
    batch_completion_window: str = Field("24h", pattern=r"^\d+[hd]$")
    """OpenAI's completion window (the API takes ``24h``); Anthropic's is fixed at 24 h."""
    batch_wait: bool = True
    """Wait for the batches to finish; false = submit (or collect what is done) and exit 7."""
    batch_max_requests: int | None = Field(None, ge=1)
    """Requests per batch at most; null = the provider's limit."""

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
            "simulated": self.simulated.model_dump(mode="json", exclude={"latency_ms"})
            if self.provider == "simulated"
            else None,
        } | self._new_generation_params()

    def _new_generation_params(self) -> dict[str, object]:
        # Only when set, so cache keys of earlier runs stay valid.
        extra: dict[str, object] = {}
        if self.thinking_budget_tokens is not None:
            extra["thinking_budget_tokens"] = self.thinking_budget_tokens
        if self.extra_body:
            extra["extra_body"] = dict(self.extra_body)
        return extra


class SimulatedVariant(_Frozen):
    """Simulation only: how a prompt option shifts the *simulated* judge (others ignore it).

    Unset fields keep ``judge.simulated``; a rubric's block is applied after the system
    prompt's.  Lets offline sweeps show prompt variants that really differ.
    """

    noise: float | None = Field(None, ge=0)
    position_bias: float | None = None
    scale: float | None = Field(None, gt=0)


class PromptSettings(_Frozen):
    """A system prompt or rubric: inline ``text`` or a ``file`` (file wins)."""

    name: str
    text: str | None = None
    file: Path | None = None
    simulated: SimulatedVariant | None = None
    """Simulation only: read by the simulated judge, ignored by every real one."""


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

    design: Literal["round_robin", "balanced", "adaptive"] = "round_robin"
    comparisons_per_essay: int | None = Field(None, ge=1)
    """Balanced design: how many comparisons each essay takes part in."""
    repeats: int = Field(1, ge=1)
    """How many times each pair is judged, slot orders alternating (both designs); with
    k ≥ 2 the report gives the judge's self-consistency."""
    seed: int = 0
    target_reliability: float = Field(0.9, gt=0, lt=1)
    """Adaptive: stop once the reliability (``reliability_measure``) reaches this."""
    max_comparisons: int | None = Field(None, ge=1)
    """Adaptive: the budget, in comparisons (None = no budget)."""
    max_rounds: int = Field(30, ge=1)
    """Adaptive: the most rounds (round 0, the ring, included)."""
    allow_repeat_pairs: bool = False
    """Adaptive: may a pair be judged again in a later round."""
    reliability_measure: Literal["split_half", "ssr"] = "split_half"
    """Adaptive stopping rule; SSR is inflated under adaptive pairing (docs/metrics.md)."""
    reliability_splits: int = Field(10, ge=1)
    """Adaptive: random splits averaged for the split-half reliability after each round."""


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


class BootstrapSettings(_Frozen):
    """Bootstrap intervals of τ-b, Somers' d and Δτ-b (seeded by the run's ``seed``)."""

    resamples: int = Field(1000, ge=100, le=100000)
    max_refit_comparisons: int = Field(2_000_000, ge=0)
    """Cap on resamples × comparisons; a larger run uses fewer resamples (at least 200,
    stated in the report) so the bootstrap's cost stays bounded. 0 = never reduce."""


class ReportSettings(_Frozen):
    """What reports contain and whether missed targets fail the run."""

    targets: ReportTargets = ReportTargets()
    gate: bool = False
    baseline: Path | None = None
    plots: bool = True
    ridge: float | None = Field(None, ge=0)
    """Bradley–Terry penalty; null = MLE when it exists, else the default penalty."""
    position_model: Literal["none", "global"] = "global"
    """BT slot effect: ``global`` fits one slot-A bonus b jointly (scores corrected for
    position); ``none`` is upstream's model (b = 0)."""
    anchor_scale: Path | None = None
    """execute: an anchor-align run directory whose anchor judgements and fit are reused."""
    max_failed_fraction: float = Field(0.05, ge=0, le=1)
    """Above this share of failed or missing comparisons the run is ``partial`` (exit 4)."""
    bootstrap: BootstrapSettings = BootstrapSettings()


class SweepSettings(_Frozen):
    """Sweep-level behaviour (leaderboard order, CI gate)."""

    gate: Literal["none", "any", "all"] = "none"
    sort_by: str = "tau_b"
    descending: bool | None = None
    fail_fast: bool = False
    objective: str = "tau_b"
    """Metric (a key of ``summary.json``'s ``metrics``) the task function returns to sweepers."""
    reference: str | None = None
    """The variant every job is compared with: a job dir name, or an override the job
    carries (``system_prompt=002_language_first``); null = the first job."""


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
        "price_input_per_mtok",
        "price_output_per_mtok",
        "price_cached_input_per_mtok",
        "price_cache_write_per_mtok",
        "prompt_caching",
        "max_cost_usd",
        "preflight",
        "expected_cache_hit_rate",
        "expected_reasoning_tokens",
        "shared_rate_limits",
        "rate_limit_path",
        "rate_limit_burst_s",
        "batch",
        "batch_fallback",
        "batch_poll_s",
        "batch_completion_window",
        "batch_wait",
        "batch_max_requests",
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
    "sweep": {"fail_fast", "objective", "reference"},
    "report": {"gate", "baseline", "plots", "max_failed_fraction"},
}
TOP_LEVEL_NON_SEMANTIC = {"show_progress", "tags", "batch_label"}
