"""Fakes of the HuleEdu services, speaking the wire formats of UPSTREAM.md §3.

* :class:`HuleeduServices` — real aiohttp servers on 127.0.0.1 (background
  thread): the Content Service (``POST/GET /v1/content``) and the CJ HTTP API
  (``POST /api/v1/anchors/register``, admin GETs behind a Bearer token), with
  failure injection (:meth:`FakeHttpService.inject`).
* :class:`tests.fakes.cj_worker.FakeCJWorker` — a CJ + LLM Provider double on Kafka: consumes the
  request topic, publishes comparison callbacks (round robin over
  ``essays_for_cj`` or the ``pre_specified_comparisons`` in order), then the
  completion and the rich result; :class:`WorkerBehaviour` injects failure
  events, malformed / duplicate / foreign / late events, silence and a CJ that
  ignores ``pre_specified_comparisons``.

Events are built as plain dicts from the documented formats, not from the
runner's own models, so the runner's models are tested against them.
"""

from __future__ import annotations

import asyncio
import json
import re
import threading
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from eng5_runner.inputs.grade_scales import GRADE_SCALES

T_REQUEST = "huleedu.els.cj_assessment.requested.v1"
T_CALLBACK = "huleedu.llm_provider.comparison_result.v1"
T_COMPLETED = "huleedu.cj_assessment.completed.v1"
T_FAILED = "huleedu.cj_assessment.failed.v1"
T_RESULT = "huleedu.assessment.result.published.v1"
ADMIN_TOKEN = "test-admin-token-not-secret"
SCALES = {name: set(grades) for name, grades in GRADE_SCALES.items()}


def _now() -> str:
    return datetime.now(UTC).isoformat()


# --- HTTP ---------------------------------------------------------------------------------


@dataclass
class Injection:
    path_prefix: str
    status: int = 500
    times: int = 1
    body: Any = None
    drop: bool = False


class FakeHttpService:
    """Shared plumbing: request log and injected failures."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.injections: list[Injection] = []
        self.lock = threading.Lock()

    def inject(
        self,
        path_prefix: str,
        status: int = 500,
        times: int = 1,
        body: Any = None,
        drop: bool = False,
    ) -> None:
        """The next ``times`` requests under ``path_prefix`` fail this way."""
        with self.lock:
            self.injections.append(Injection(path_prefix, status, times, body, drop))

    @web.middleware
    async def middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        body = await request.read()
        self.requests.append(
            {
                "method": request.method,
                "path": request.path,
                "auth": request.headers.get("Authorization"),
                "body": body,
            }
        )
        with self.lock:
            match = next(
                (
                    i
                    for i in self.injections
                    if request.path.startswith(i.path_prefix) and i.times > 0
                ),
                None,
            )
            if match is not None:
                match.times -= 1
        if match is not None:
            if match.drop and request.transport is not None:
                request.transport.close()
                return web.Response(status=500)
            payload = (
                match.body
                if match.body is not None
                else {"error": {"error_code": "INJECTED", "message": f"injected {match.status}"}}
            )
            return web.json_response(payload, status=match.status)
        return await handler(request)


class FakeContentService(FakeHttpService):
    def __init__(self) -> None:
        super().__init__()
        self.store: dict[str, tuple[bytes, str]] = {}

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self.middleware])
        app.router.add_post("/v1/content", self.post)
        app.router.add_get("/v1/content/{content_id}", self.get)
        return app

    def put(self, data: bytes, content_type: str = "text/plain") -> str:
        storage_id = uuid.uuid4().hex
        self.store[storage_id] = (data, content_type)
        return storage_id

    async def post(self, request: web.Request) -> web.Response:
        data = await request.read()
        correlation = str(uuid.uuid4())
        if not data:
            return web.json_response(
                {
                    "error": {
                        "error_code": "VALIDATION_ERROR",
                        "message": "No content provided in request body",
                        "correlation_id": correlation,
                        "service": "content_service",
                    }
                },
                status=400,
            )
        storage_id = self.put(data, request.headers.get("Content-Type", "text/plain"))
        return web.json_response(
            {"storage_id": storage_id, "correlation_id": correlation}, status=201
        )

    async def get(self, request: web.Request) -> web.Response:
        content_id = request.match_info["content_id"]
        if not re.fullmatch(r"[0-9a-fA-F]{32}", content_id):
            return web.json_response({"error": {"message": "invalid id"}}, status=400)
        if content_id not in self.store:
            return web.json_response({"error": {"message": "not found"}}, status=404)
        data, content_type = self.store[content_id]
        return web.Response(body=data, headers={"Content-Type": content_type})


@dataclass
class Assignment:
    grade_scale: str = "eng5_np_legacy_9_step"
    context_origin: str = "research_experiment"
    student_prompt_storage_id: str | None = "0" * 32
    instructions_text: str = "Write an argumentative essay about mobile phones in school."


class FakeCJApi(FakeHttpService):
    def __init__(self, content: FakeContentService) -> None:
        super().__init__()
        self.content = content
        self.assignments: dict[str, Assignment] = {}
        self.anchors: dict[tuple[str, str, str], dict[str, Any]] = {}
        self.next_anchor_id = 1
        self.token = ADMIN_TOKEN
        self.non_admin_tokens: set[str] = set()

    def add_assignment(self, assignment_id: str, **kwargs: Any) -> Assignment:
        self.assignments[assignment_id] = Assignment(**kwargs)
        return self.assignments[assignment_id]

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self.middleware])
        app.router.add_post("/api/v1/anchors/register", self.register)
        app.router.add_get("/admin/v1/assessment-instructions/assignment/{aid}", self.instructions)
        app.router.add_get("/admin/v1/anchors/assignment/{aid}", self.anchor_summary)
        return app

    async def register(self, request: web.Request) -> web.Response:
        try:
            body = await request.json()
        except json.JSONDecodeError:
            return web.json_response({"error": "Invalid JSON"}, status=400)
        aid, grade = str(body.get("assignment_id") or ""), str(body.get("grade") or "")
        text = str(body.get("essay_text") or "")
        if not aid.strip() or not grade.strip():
            return web.json_response({"error": "assignment_id and grade are required"}, status=400)
        if len(text) < 100:
            return web.json_response(
                {"error": "essay_text must be at least 100 characters"}, status=400
            )
        if aid not in self.assignments:
            return web.json_response({"error": f"Unknown assignment_id '{aid}'"}, status=400)
        scale = self.assignments[aid].grade_scale
        if grade not in SCALES.get(scale, set()):
            return web.json_response(
                {"error": f"Invalid grade '{grade}' for scale '{scale}'"}, status=400
            )
        label = body.get("anchor_label") or grade
        key = (aid, label, scale)
        storage_id = self.content.put(text.encode())
        if key not in self.anchors:
            self.anchors[key] = {"id": self.next_anchor_id}
            self.next_anchor_id += 1
        self.anchors[key].update(
            {
                "assignment_id": aid,
                "anchor_label": label,
                "grade": grade,
                "grade_scale": scale,
                "text_storage_id": storage_id,
                "created_at": _now(),
            }
        )
        return web.json_response(
            {
                "anchor_id": self.anchors[key]["id"],
                "storage_id": storage_id,
                "grade_scale": scale,
                "status": "registered",
            },
            status=201,
        )

    def _auth(self, request: web.Request) -> web.Response | None:
        header = request.headers.get("Authorization", "")
        token = header.removeprefix("Bearer ").strip() if header.startswith("Bearer ") else ""
        if token in self.non_admin_tokens:
            return web.json_response({"error": "admin role required"}, status=403)
        if token != self.token:
            return web.json_response({"error": "invalid or missing token"}, status=401)
        return None

    def _known_assignment(self, request: web.Request, aid: str) -> web.Response | None:
        """401/403 without the admin token, 404 for an unknown assignment, else None."""
        denied = self._auth(request)
        if denied is not None:
            return denied
        if aid not in self.assignments:
            return web.json_response({"error": "not found"}, status=404)
        return None

    async def instructions(self, request: web.Request) -> web.Response:
        aid = request.match_info["aid"]
        denied = self._known_assignment(request, aid)
        if denied is not None:
            return denied
        a = self.assignments[aid]
        return web.json_response(
            {
                "id": 7,
                "assignment_id": aid,
                "course_id": None,
                "instructions_text": a.instructions_text,
                "grade_scale": a.grade_scale,
                "context_origin": a.context_origin,
                "student_prompt_storage_id": a.student_prompt_storage_id,
                "created_at": _now(),
            }
        )

    async def anchor_summary(self, request: web.Request) -> web.Response:
        aid = request.match_info["aid"]
        denied = self._known_assignment(request, aid)
        if denied is not None:
            return denied
        scale = self.assignments[aid].grade_scale
        rows = [dict(v) for (a, _, _), v in self.anchors.items() if a == aid]
        in_scale = [r for r in rows if r["grade_scale"] == scale]
        by_scale: dict[str, int] = {}
        for r in rows:
            by_scale[r["grade_scale"]] = by_scale.get(r["grade_scale"], 0) + 1
        return web.json_response(
            {
                "assignment_id": aid,
                "grade_scale": scale,
                "anchor_count": len(in_scale),
                "anchors": in_scale,
                "anchor_count_total": len(rows),
                "anchor_count_by_scale": by_scale,
            }
        )


class HuleeduServices:
    """Both HTTP fakes on free loopback ports, served from a background thread."""

    def __init__(self) -> None:
        self.content = FakeContentService()
        self.cj = FakeCJApi(self.content)
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.runners: list[web.AppRunner] = []
        self.content_url = self.cj_url = ""

    def __enter__(self) -> HuleeduServices:
        self.thread.start()
        content_port = self._run(self._serve(self.content.app()))
        cj_port = self._run(self._serve(self.cj.app()))
        self.content_url = f"http://127.0.0.1:{content_port}/v1/content"
        self.cj_url = f"http://127.0.0.1:{cj_port}"
        return self

    def __exit__(self, *exc: object) -> None:
        for runner in self.runners:
            self._run(runner.cleanup())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=5)
        self.loop.close()

    def _run(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=10)

    async def _serve(self, app: web.Application) -> int:
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        self.runners.append(runner)
        server = site._server
        assert server is not None
        sockets = getattr(server, "sockets", None) or []
        return int(sockets[0].getsockname()[1])
