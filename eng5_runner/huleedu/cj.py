"""CJ Assessment Service HTTP API: anchor registration and the admin preflight.

Admin calls carry ``Authorization: Bearer <token>`` from the environment; the
token is read here, passed in a header and never logged, stored or echoed.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar
from urllib.parse import quote

from pydantic import BaseModel, ValidationError

from eng5_runner.errors import RegistrationError, ServiceError
from eng5_runner.huleedu.contracts import (
    AnchorRegistrationRequest,
    AnchorRegistrationResponse,
    AnchorSummaryResponse,
    AssessmentInstructionResponse,
)
from eng5_runner.huleedu.http import ServiceCaller
from eng5_runner.inputs.inventory import Essay

M = TypeVar("M", bound=BaseModel)
TOKEN_ENV_VARS = ("HULEEDU_SERVICE_ACCOUNT_TOKEN", "HULEEDU_ADMIN_TOKEN")
_URL_HINT = "check backend.cj_service_url (e.g. http://localhost:9095) and that CJ is running"
_TOKEN_HINT = f"set {' or '.join(TOKEN_ENV_VARS)} to a valid CJ admin token"


def admin_token(env: Mapping[str, str] | None = None) -> str | None:
    """The admin bearer token from the environment (service account first), or None."""
    source = os.environ if env is None else env
    for name in TOKEN_ENV_VARS:
        value = source.get(name, "").strip()
        if value:
            return value
    return None


@dataclass(frozen=True)
class AnchorFailure:
    """One anchor that could not be registered, with the file it came from."""

    file: str
    label: str
    reason: str


class AnchorRegistrationError(RegistrationError):
    """RegistrationError that also lists the failures as data."""

    def __init__(self, message: str, *, hint: str | None, failures: list[AnchorFailure]) -> None:
        super().__init__(message, hint=hint)
        self.failures = failures


class CJClient:
    """The CJ HTTP endpoints this runner uses."""

    def __init__(self, caller: ServiceCaller, base_url: str) -> None:
        self.caller = caller
        self.base_url = base_url.rstrip("/")

    async def register_anchor(self, assignment_id: str, essay: Essay) -> AnchorRegistrationResponse:
        """Register (upsert) one anchor essay under the assignment."""
        body = AnchorRegistrationRequest(
            assignment_id=assignment_id,
            grade=essay.grade or "",
            anchor_label=essay.label,
            essay_text=essay.text,
        )
        response = await self.caller.request(
            "POST",
            f"{self.base_url}/api/v1/anchors/register",
            endpoint="CJ anchor registration",
            expected=(201,),
            hint=_URL_HINT,
            status_hints={
                400: "CJ rejected the anchor: the assignment must exist (create its assessment "
                "instructions) and the grade must be on the assignment's grade scale",
            },
            json=body.model_dump(mode="json"),
        )
        return _parse(response.json(), AnchorRegistrationResponse, "CJ anchor registration")

    async def register_anchors(
        self, assignment_id: str, anchors: Sequence[Essay], *, concurrency: int = 4
    ) -> dict[str, AnchorRegistrationResponse]:
        """Register every anchor; on any failure raise RegistrationError listing each file."""
        semaphore = asyncio.Semaphore(concurrency)

        async def one(essay: Essay) -> AnchorRegistrationResponse:
            async with semaphore:
                return await self.register_anchor(assignment_id, essay)

        results = await asyncio.gather(*(one(e) for e in anchors), return_exceptions=True)
        registered: dict[str, AnchorRegistrationResponse] = {}
        failures: list[AnchorFailure] = []
        for essay, result in zip(anchors, results, strict=True):
            if isinstance(result, AnchorRegistrationResponse):
                registered[essay.essay_id] = result
            elif isinstance(result, ServiceError | ValidationError | ValueError):
                reason = result.message if isinstance(result, ServiceError) else _short(result)
                failures.append(AnchorFailure(str(essay.source.path), essay.label, reason))
            else:
                raise result
        if failures:
            listing = "; ".join(f"{f.file}: {f.reason}" for f in failures)
            raise AnchorRegistrationError(
                f"{len(failures)} of {len(anchors)} anchor(s) could not be registered with CJ "
                f"for assignment {assignment_id}: {listing}",
                hint="fix the listed files (grade on the assignment's scale, text >= 100 "
                "characters) or the assignment, then rerun",
                failures=failures,
            )
        return registered

    async def get_instructions(
        self, assignment_id: str, token: str
    ) -> AssessmentInstructionResponse:
        """``GET /admin/v1/assessment-instructions/assignment/{id}``."""
        path = f"/admin/v1/assessment-instructions/assignment/{quote(assignment_id, safe='')}"
        data = await self._admin_get(
            path,
            token,
            "CJ admin: assessment instructions",
            "no assessment instructions for this assignment; create "
            "them (cj-admin instructions upsert) or fix "
            "backend.assignment_id",
        )
        return _parse(data, AssessmentInstructionResponse, "CJ admin: assessment instructions")

    async def get_anchor_summary(self, assignment_id: str, token: str) -> AnchorSummaryResponse:
        """``GET /admin/v1/anchors/assignment/{id}``."""
        path = f"/admin/v1/anchors/assignment/{quote(assignment_id, safe='')}"
        data = await self._admin_get(
            path,
            token,
            "CJ admin: anchors",
            "the assignment has no instructions; create them first",
        )
        return _parse(data, AnchorSummaryResponse, "CJ admin: anchors")

    async def _admin_get(self, path: str, token: str, endpoint: str, not_found: str) -> object:
        response = await self.caller.request(
            "GET",
            f"{self.base_url}{path}",
            endpoint=endpoint,
            expected=(200,),
            hint=_URL_HINT,
            status_hints={
                401: _TOKEN_HINT,
                403: "the token lacks the 'admin' role; " + _TOKEN_HINT,
                404: not_found,
            },
            headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
        )
        try:
            return response.json()
        except ValueError:
            raise ServiceError(
                f"{endpoint} answered 200 with a non-JSON body", hint=_URL_HINT
            ) from None


def _parse(data: object, model: type[M], endpoint: str) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ServiceError(
            f"{endpoint}: unexpected response ({_short(exc)})",
            hint="the CJ service version may not match this runner",
        ) from None


def _short(exc: Exception) -> str:
    text = " ".join(str(exc).split())
    return text if len(text) <= 200 else text[:197] + "..."
