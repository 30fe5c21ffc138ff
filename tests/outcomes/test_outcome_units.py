"""Units of honest outcomes: status rules, banners, escaping, redaction, secrets, names, caps."""

from __future__ import annotations

import pytest

from eng5_runner.engine.records import MAX_JUSTIFICATION_CHARS, JudgementRecord
from eng5_runner.errors import ConfigError, InputError, ProviderResponseError
from eng5_runner.handlers.steps.run_outcome import honest_targets
from eng5_runner.inputs.essay_limits import check_essay_sizes
from eng5_runner.output.redact import REDACTED, looks_like_key, redact
from eng5_runner.reports.context import TargetCheck
from eng5_runner.reports.markdown import cell, escape_text, verdict
from eng5_runner.reports.run_status import assess_run, banner_markdown
from eng5_runner.settings.resolvers import safe_name
from eng5_runner.settings.secret_check import SecretInConfig, check_no_secrets


def _record(n: int, ok: bool, reason: str = "HTTP 400: bad [attempts: 1]") -> JudgementRecord:
    base = {
        "comparison_id": f"c{n:05d}",
        "essay_a_id": "a",
        "essay_b_id": "b",
        "provider": "p",
        "model": "m",
    }
    if ok:
        return JudgementRecord(status="succeeded", winner="A", winner_id="a", loser_id="b", **base)
    return JudgementRecord(status="failed", failure_reason=reason, **base)


@pytest.mark.parametrize(
    ("ok", "failed", "requested", "notes", "expected"),
    [
        (20, 0, 20, (), "complete"),
        (19, 1, 20, (), "complete"),  # 5 % is not above 5 %
        (18, 2, 20, (), "partial"),
        (0, 20, 20, (), "failed"),
        (10, 0, 20, (), "partial"),  # 10 requested comparisons never arrived
        (20, 0, None, ("timed out after 30 s waiting for CJ",), "partial"),
        (0, 0, None, (), "failed"),  # CJ chose the pairs and none arrived
        (0, 0, 0, (), "complete"),  # nothing was asked for
    ],
)
def test_status_rules(ok, failed, requested, notes, expected) -> None:
    records = [_record(i, True) for i in range(ok)] + [
        _record(ok + i, False) for i in range(failed)
    ]
    status = assess_run(records, requested=requested, max_failed_fraction=0.05, backend_notes=notes)
    assert status.status == expected
    assert status.exit_code == (0 if expected == "complete" else 4)


def test_banner_groups_and_counts_reasons() -> None:
    records = [_record(i, False, f"HTTP 400: bad [attempts: {i % 3 + 1}]") for i in range(5)]
    records += [_record(9, False, "timeout"), _record(10, True)]
    status = assess_run(records, requested=7, max_failed_fraction=0.05)
    assert [(r.reason, r.count) for r in status.reasons] == [("HTTP 400: bad", 5), ("timeout", 1)]
    text = banner_markdown(status)
    assert text.startswith("> **Run PARTIAL: 6 of 7 comparison(s) failed or missing (86%)")
    assert "> - 5 × HTTP 400: bad" in text


def test_targets_of_incomplete_runs_never_pass() -> None:
    check = TargetCheck.at_most("direct_inversions", "Direct inversions", 0, 1)
    assert verdict(check) == "pass"
    partial = assess_run([_record(0, True), _record(1, False)], requested=2, max_failed_fraction=0)
    (shown,) = honest_targets([check], partial)
    assert verdict(shown) == "n/a (partial data)" and not shown.passed
    failed = assess_run([_record(0, False)], requested=1, max_failed_fraction=0.05)
    (shown,) = honest_targets([check], failed)
    assert shown.value is None and verdict(shown) == "n/a"


def test_markdown_escaping_keeps_tables_and_drops_html() -> None:
    evil = "<script>alert(1)</script> | ![x](http://evil/p.png) [a](b)\nnext"
    out = cell(evil)
    assert "<script" not in out and "&lt;script" in out
    assert "](" not in out and "\\|" in out and "\n" not in out
    assert escape_text("a <= b") == "a <= b"  # comparators stay readable


def test_redaction_of_env_secrets_keys_and_url_credentials(monkeypatch) -> None:
    monkeypatch.setenv("HULEEDU_ADMIN_TOKEN", "admintoken-0123456789")
    text = redact(
        "token admintoken-0123456789 key sk-proj-ABCDEFGHIJKLMNOP1234 "
        "url https://bob:pw@h/v1 header Authorization: Bearer abcdefghijklmnop"
    )
    assert "admintoken-0123456789" not in text and "sk-proj-ABCD" not in text
    assert "bob:pw" not in text and "abcdefghijklmnop" not in text
    assert text.count(REDACTED) >= 4


def test_failure_reasons_are_redacted_and_justifications_capped(monkeypatch) -> None:
    monkeypatch.setenv("ENG5_TEST_KEY", "supersecretvalue123")
    record = _record(0, False, "HTTP 400: you sent supersecretvalue123")
    assert "supersecretvalue123" not in (record.failure_reason or "")
    long = JudgementRecord(
        **{**_record(1, True).model_dump(), "justification": "x" * (MAX_JUSTIFICATION_CHARS + 50)}
    )
    assert long.justification is not None
    assert long.justification.endswith(f"[truncated: {MAX_JUSTIFICATION_CHARS + 50} characters]")
    assert ProviderResponseError("echo supersecretvalue123").one_line() == f"echo {REDACTED}"


def test_secret_looking_config_values_are_refused(monkeypatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-live-0123456789abcdefXYZ")
    with pytest.raises(SecretInConfig, match="judge.api_key_env") as info:
        check_no_secrets({"judge": {"api_key_env": "sk-live-0123456789abcdefXYZ"}})
    assert "0123456789" not in info.value.one_line()
    with pytest.raises(ConfigError, match="batch_label"):
        check_no_secrets({"batch_label": "sk-live-0123456789abcdefXYZ"})
    with pytest.raises(ConfigError, match=r"tags\[0\]"):
        check_no_secrets({"tags": ["prefix sk-live-0123456789abcdefXYZ"]})
    check_no_secrets({"judge": {"api_key_env": "MY_PROVIDER_KEY", "model": "gpt-4o-2024-08-06"}})
    assert not looks_like_key("claude-3-5-sonnet-20241022")


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("anchor-align-test_../../../etc_x", "anchor-align-test_______etc_x"),
        ("plan_a/b_c", "plan_a_b_c"),
        ("..", "_"),
        ("ok_name-1.2", "ok_name-1.2"),
    ],
)
def test_safe_run_names(name: str, expected: str) -> None:
    assert safe_name(name) == expected
    assert "/" not in safe_name(name) and ".." not in safe_name(name)


def test_oversized_essay_names_the_file() -> None:
    from tests.engine.engine_support import make_inventory

    inventory = make_inventory(3)
    check_essay_sizes(inventory, 10**6)
    with pytest.raises(InputError, match="max_essay_chars=5"):
        check_essay_sizes(inventory, 5)
