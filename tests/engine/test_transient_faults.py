"""Connection resets are transient; refusals on first contact are fatal; SDK errors classify."""

from __future__ import annotations

import errno
import socket

import httpx
import pytest

from eng5_runner.engine.faults import classify
from eng5_runner.engine.pairing import round_robin
from eng5_runner.engine.run_local import judge_pairs
from eng5_runner.errors import (
    ProviderConnectionLost,
    ProviderTimeout,
    ProviderUnreachable,
    unwrap_group,
)
from tests.engine.engine_support import FAKE_KEY, make_inventory
from tests.fakes.llm_servers import closed_port, reset


@pytest.mark.parametrize("transport", ["aiohttp", "httpx"])
async def test_reset_mid_run_is_retried(fake_server, openai_settings, transport):
    from eng5_runner.engine.http import build_client

    inventory = make_inventory(5)
    requests = round_robin([e.essay_id for e in inventory.anchors])
    settings = openai_settings(concurrency=3)
    fake_server.add_fault(reset(), times=4)
    client = build_client(settings.judge, kind=transport)  # type: ignore[arg-type]
    try:
        records = await judge_pairs(settings, inventory, requests, progress=False, client=client)
    finally:
        await client.aclose()
    assert all(r.succeeded for r in records)
    assert sum(r.attempts for r in records) == len(requests) + 4 == fake_server.hits


async def test_reset_on_every_attempt_fails_one_comparison_not_the_run(
    fake_server, openai_settings
):
    inventory = make_inventory(4)
    requests = round_robin([e.essay_id for e in inventory.anchors])
    victim = inventory.by_id()[requests[0].a_id].text[:40]
    fake_server.add_fault(reset(), times=100, match=victim)
    records = await judge_pairs(openai_settings(max_retries=2), inventory, requests, progress=False)
    failed = [r for r in records if not r.succeeded]
    assert failed and all("ProviderConnectionLost" in (r.failure_reason or "") for r in failed)
    assert all(r.attempts == 3 for r in failed)
    assert any(r.succeeded for r in records)


async def test_refused_on_first_contact_is_fatal_without_retries(
    inventory, make_settings, monkeypatch
):
    monkeypatch.setenv("OPENAI_API_KEY", FAKE_KEY)
    url = f"http://127.0.0.1:{closed_port()}/v1"
    settings = make_settings("openai", base_url=url, max_retries=5, concurrency=1)
    requests = round_robin([e.essay_id for e in inventory.anchors])
    seen = []
    with pytest.raises(ProviderUnreachable) as info:
        await judge_pairs(settings, inventory, requests, progress=False, on_record=seen.append)
    assert info.value.refused
    assert [r.attempts for r in seen] == [1]


class APIConnectionError(Exception):
    """Shaped like openai.APIConnectionError / anthropic.APIConnectionError."""


class APITimeoutError(APIConnectionError):
    """Shaped like openai.APITimeoutError."""


def _w(outer: BaseException, inner: BaseException) -> BaseException:
    try:
        try:
            raise inner
        except BaseException as exc:
            raise outer from exc
    except BaseException as caught:
        return caught


@pytest.mark.parametrize(
    ("exc", "expected", "refused"),
    [
        (
            _w(APIConnectionError("x"), httpx.ConnectError("refused")),
            ProviderUnreachable,
            True,
        ),
        (
            _w(APIConnectionError("x"), httpx.ReadError("reset")),
            ProviderConnectionLost,
            False,
        ),
        (APIConnectionError("Connection error."), ProviderConnectionLost, False),
        (_w(APITimeoutError("t"), httpx.ReadTimeout("slow")), ProviderTimeout, False),
        (httpx.RemoteProtocolError("server disconnected"), ProviderConnectionLost, False),
        (ConnectionResetError(errno.ECONNRESET, "reset"), ProviderConnectionLost, False),
        (ConnectionRefusedError(errno.ECONNREFUSED, "refused"), ProviderUnreachable, True),
        (socket.gaierror(-2, "Name or service not known"), ProviderUnreachable, True),
        (OSError(errno.ENETUNREACH, "Network is unreachable"), ProviderUnreachable, True),
    ],
)
def test_classify_sdk_and_transport_errors(exc, expected, refused):
    found = classify(exc, "http://h/v1")
    assert isinstance(found, expected), found
    assert getattr(found, "refused", False) is refused


def test_classify_leaves_other_errors_alone():
    assert classify(ValueError("bug")) is None
    assert classify(KeyError("x")) is None


def test_unwrap_group_prefers_runner_errors_and_interrupts():
    err = ProviderTimeout("t")
    group = ExceptionGroup("outer", [ValueError("v"), ExceptionGroup("inner", [err])])
    assert unwrap_group(group) is err
    interrupt = KeyboardInterrupt()
    assert unwrap_group(BaseExceptionGroup("g", [err, interrupt])) is interrupt
    plain = ValueError("p")
    assert unwrap_group(plain) is plain


async def test_host_going_down_mid_run_is_retried_then_fatal(fake_server, openai_settings) -> None:
    inventory = make_inventory(5)
    requests = round_robin([e.essay_id for e in inventory.anchors])
    seen = []

    def on_record(record) -> None:
        seen.append(record)
        if len(seen) == 3:
            fake_server.stop()  # the host goes away after answering three times

    settings = openai_settings(concurrency=1, max_retries=2)
    with pytest.raises(ProviderUnreachable) as info:
        await judge_pairs(settings, inventory, requests, progress=False, on_record=on_record)
    assert info.value.refused
    assert [r.succeeded for r in seen] == [True, True, True, False]
    assert seen[-1].attempts == 3  # not fatal on the first refusal: it had answered before
