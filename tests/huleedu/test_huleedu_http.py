"""Content Service and CJ HTTP clients against real loopback fakes, with failure injection."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from eng5_runner.errors import RegistrationError, ServiceError
from eng5_runner.huleedu.cj import AnchorRegistrationError, CJClient, admin_token
from eng5_runner.huleedu.content import ContentClient, text_sha256
from eng5_runner.huleedu.http import HttpStatusError, ServiceCaller, make_client, safe_url
from eng5_runner.inputs.inventory import RunnerInventory
from eng5_runner.settings.models import RunnerMode
from tests.fakes.huleedu_services import ADMIN_TOKEN, HuleeduServices

from .conftest import ASSIGNMENT_ID, huleedu_settings, load_inventory


@pytest.fixture
def inventory(tmp_path: Path) -> RunnerInventory:
    return load_inventory(huleedu_settings(tmp_path, RunnerMode.EXECUTE))


def _caller(client: object, retries: int = 2) -> ServiceCaller:
    return ServiceCaller(client, retries=retries, backoff_s=0.01)  # type: ignore[arg-type]


async def test_uploads_are_cached_per_service_and_text(
    services: HuleeduServices, tmp_path: Path
) -> None:
    cache = tmp_path / "cache.json"
    texts = {"e1": "first essay", "e2": "second essay", "e3": "first essay"}
    async with make_client(5) as client:
        content = ContentClient(_caller(client), services.content_url, cache_path=cache)
        first = await content.upload_texts(texts)
        assert first.uploaded == 2 and first.reused == 0  # e3 deduplicated by checksum
        assert first.storage_ids["e1"] == first.storage_ids["e3"]
        again = await content.upload_texts(texts)
        assert again.uploaded == 0 and again.reused == 2
        assert again.storage_ids == first.storage_ids
        forced = ContentClient(
            _caller(client), services.content_url, cache_path=cache, force_reupload=True
        )
        third = await forced.upload_texts({"e1": "first essay"})
        assert third.uploaded == 1 and third.storage_ids["e1"] != first.storage_ids["e1"]
    posts = [r for r in services.content.requests if r["method"] == "POST"]
    assert len(posts) == 3
    stored = json.loads(cache.read_text())
    entries = stored["services"][services.content_url]
    assert entries[text_sha256("second essay")] == first.storage_ids["e2"]  # kept on force
    data, _ = services.content.store[first.storage_ids["e2"]]
    assert data == b"second essay"


async def test_bad_cache_file_is_ignored_with_a_reason(
    services: HuleeduServices, tmp_path: Path
) -> None:
    cache = tmp_path / "cache.json"
    cache.write_text("{not json")
    async with make_client(5) as client:
        content = ContentClient(_caller(client), services.content_url, cache_path=cache)
        outcome = await content.upload_texts({"e1": "x"})
    assert outcome.cache_ignored_reason == "cache_file_invalid_json"
    assert json.loads(cache.read_text())["schema_version"] == 1


async def test_content_400_is_a_clear_error(services: HuleeduServices, tmp_path: Path) -> None:
    async with make_client(5) as client:
        content = ContentClient(_caller(client), services.content_url, cache_path=None)
        with pytest.raises(HttpStatusError) as info:
            await content.upload_one("")
    assert info.value.status == 400
    assert "Content Service upload" in info.value.message and "400" in info.value.message
    assert "content_service_url" in (info.value.hint or "")


async def test_partial_upload_failure_keeps_the_successes(
    services: HuleeduServices, tmp_path: Path
) -> None:
    cache = tmp_path / "cache.json"
    services.content.inject("/v1/content", status=400, times=1)
    async with make_client(5) as client:
        content = ContentClient(
            _caller(client), services.content_url, cache_path=cache, concurrency=1
        )
        with pytest.raises(ServiceError, match="1 of 3 upload"):
            await content.upload_texts({"a": "one", "b": "two", "c": "three"})
    assert len(json.loads(cache.read_text())["services"][services.content_url]) == 2


async def test_5xx_and_dropped_connections_are_retried(services: HuleeduServices) -> None:
    services.content.inject("/v1/content", status=503, times=1)
    services.content.inject("/v1/content", drop=True, times=1)
    async with make_client(5) as client:
        content = ContentClient(_caller(client, retries=2), services.content_url, cache_path=None)
        assert len(await content.upload_one("hello")) == 32
        services.content.inject("/v1/content", status=500, times=5)
        with pytest.raises(HttpStatusError, match="answered 500 after 3 attempt"):
            await content.upload_one("hello")


async def test_unreachable_service_is_a_clear_error() -> None:
    async with make_client(2) as client:
        content = ContentClient(
            _caller(client, retries=1), "http://user:pw@127.0.0.1:1/v1/content", cache_path=None
        )
        with pytest.raises(ServiceError) as info:
            await content.upload_one("hello")
    assert "could not be reached after 2 attempt" in info.value.message
    assert "pw" not in info.value.one_line()
    assert safe_url("http://user:pw@host:1/x") == "http://host:1/x"


async def test_anchor_registration_succeeds_and_upserts(
    services: HuleeduServices, inventory: RunnerInventory
) -> None:
    async with make_client(5) as client:
        cj = CJClient(_caller(client), services.cj_url)
        first = await cj.register_anchors(ASSIGNMENT_ID, inventory.anchors)
        second = await cj.register_anchors(ASSIGNMENT_ID, inventory.anchors[:2])
    assert len(first) == len(inventory.anchors) == len(services.cj.anchors)
    assert (
        second[inventory.anchors[0].essay_id].anchor_id
        == first[inventory.anchors[0].essay_id].anchor_id
    )
    body = json.loads(services.cj.requests[0]["body"])
    assert set(body) == {"assignment_id", "grade", "anchor_label", "essay_text"}


async def test_registration_failures_name_every_file(
    services: HuleeduServices, inventory: RunnerInventory
) -> None:
    services.cj.assignments[ASSIGNMENT_ID].grade_scale = "full_16_step"
    bad = inventory.anchors[0].model_copy(update={"grade": "Z"})
    short = inventory.anchors[1].model_copy(update={"text": "too short"})
    services.cj.inject("/api/v1/anchors/register", status=500, times=10)
    async with make_client(5) as client:
        cj = CJClient(_caller(client, retries=1), services.cj_url)
        with pytest.raises(RegistrationError) as info:
            await cj.register_anchors(
                ASSIGNMENT_ID, [bad, short, *inventory.anchors[2:4]], concurrency=2
            )
    error = info.value
    assert isinstance(error, AnchorRegistrationError)
    assert len(error.failures) == 4
    for essay in (bad, short, *inventory.anchors[2:4]):
        assert str(essay.source.path) in error.message
    assert "essay_text" in error.message  # the short text never left the runner
    assert "500" in error.message


async def test_registration_400_unknown_assignment(
    services: HuleeduServices, inventory: RunnerInventory
) -> None:
    async with make_client(5) as client:
        cj = CJClient(_caller(client), services.cj_url)
        with pytest.raises(RegistrationError, match="Unknown assignment_id"):
            await cj.register_anchors("no-such-assignment", inventory.anchors[:1])


async def test_admin_preflight_and_token_handling(
    services: HuleeduServices,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert admin_token({}) is None
    assert admin_token({"HULEEDU_ADMIN_TOKEN": "b", "HULEEDU_SERVICE_ACCOUNT_TOKEN": "a"}) == "a"
    caplog.set_level(logging.DEBUG)
    services.cj.non_admin_tokens.add("reader-token")
    async with make_client(5) as client:
        cj = CJClient(_caller(client), services.cj_url)
        instructions = await cj.get_instructions(ASSIGNMENT_ID, ADMIN_TOKEN)
        assert instructions.grade_scale == "eng5_np_legacy_9_step"
        summary = await cj.get_anchor_summary(ASSIGNMENT_ID, ADMIN_TOKEN)
        assert summary.anchor_count == 0
        errors = {}
        for token, aid in (
            ("wrong-token", ASSIGNMENT_ID),
            ("reader-token", ASSIGNMENT_ID),
            (ADMIN_TOKEN, "missing"),
        ):
            with pytest.raises(HttpStatusError) as info:
                await cj.get_instructions(aid, token)
            errors[info.value.status] = info.value
    assert set(errors) == {401, 403, 404}
    assert "HULEEDU_SERVICE_ACCOUNT_TOKEN" in (errors[401].hint or "")
    assert "cj-admin instructions upsert" in (errors[404].hint or "")
    assert services.cj.requests[0]["auth"] == f"Bearer {ADMIN_TOKEN}"
    for error in errors.values():
        assert ADMIN_TOKEN not in error.one_line() and "wrong-token" not in error.one_line()
    assert ADMIN_TOKEN not in caplog.text


async def test_service_echoing_the_admin_token_never_shows_it(
    services: HuleeduServices, monkeypatch: pytest.MonkeyPatch
) -> None:
    import logging as _logging

    from eng5_runner.output.redact import RedactingFilter

    monkeypatch.setenv("HULEEDU_ADMIN_TOKEN", ADMIN_TOKEN)
    services.cj.inject(
        "/admin/v1/", status=500, times=10, body={"error": f"token {ADMIN_TOKEN} rejected"}
    )
    async with make_client(5) as client:
        cj = CJClient(_caller(client), services.cj_url)
        with pytest.raises(HttpStatusError) as info:
            await cj.get_instructions(ASSIGNMENT_ID, ADMIN_TOKEN)
    assert ADMIN_TOKEN not in info.value.one_line()
    record = _logging.LogRecord("x", _logging.ERROR, __file__, 1, "body: %s", (ADMIN_TOKEN,), None)
    RedactingFilter().filter(record)
    assert ADMIN_TOKEN not in record.getMessage()
