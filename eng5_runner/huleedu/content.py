"""Content Service uploads with a disk cache ``(service URL, sha256 of text) → storage_id``.

Uploads are not idempotent upstream (every POST makes a new id), so the cache
saves re-uploading unchanged essays across runs. ``force_reupload`` bypasses
it (and refreshes the entries it touches). The cache is merged and written
atomically after every batch, including a batch that partly failed.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from pydantic import ValidationError

from eng5_runner.errors import ServiceError
from eng5_runner.huleedu.contracts import ContentStoredResponse
from eng5_runner.huleedu.http import ServiceCaller, safe_url
from eng5_runner.output.atomic import write_json_atomic

log = logging.getLogger(__name__)
CACHE_SCHEMA_VERSION = 1
_HINT = "check backend.content_service_url (the full upload URL, e.g. http://host:8001/v1/content)"


@dataclass
class UploadOutcome:
    """Storage ids per key, and how many were uploaded vs reused from the cache."""

    storage_ids: dict[str, str]
    uploaded: int
    reused: int
    cache_ignored_reason: str | None = None


def text_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _service_key(url: str) -> str:
    return safe_url(url).rstrip("/")


def load_cache(path: Path | None) -> tuple[dict[str, dict[str, str]], str | None]:
    """All cached entries by service URL, and why the file was ignored (if it was)."""
    if path is None or not path.exists():
        return {}, None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return {}, "cache_file_invalid_json"
    if not isinstance(data, dict) or not isinstance(data.get("services"), dict):
        return {}, "cache_file_invalid_format"
    if data.get("schema_version") != CACHE_SCHEMA_VERSION:
        return {}, "cache_file_schema_mismatch"
    services: dict[str, dict[str, str]] = {}
    for url, entries in data["services"].items():
        if isinstance(entries, dict):
            services[str(url)] = {str(k): str(v) for k, v in entries.items() if isinstance(v, str)}
    return services, None


def save_cache(path: Path, url: str, new_entries: Mapping[str, str]) -> None:
    """Merge ``new_entries`` for ``url`` into the file (re-read first), atomically."""
    services, _ = load_cache(path)
    services.setdefault(_service_key(url), {}).update(new_entries)
    write_json_atomic(
        path,
        {
            "schema_version": CACHE_SCHEMA_VERSION,
            "updated_at": datetime.now(UTC).isoformat(),
            "services": services,
        },
    )


class ContentClient:
    """Uploads texts to one Content Service endpoint."""

    def __init__(
        self,
        caller: ServiceCaller,
        url: str,
        *,
        cache_path: Path | None,
        force_reupload: bool = False,
        concurrency: int = 10,
    ) -> None:
        self.caller = caller
        self.url = url
        self.cache_path = cache_path
        self.force_reupload = force_reupload
        self.concurrency = concurrency

    async def upload_one(self, text: str) -> str:
        """POST the UTF-8 text; return the new storage id."""
        response = await self.caller.request(
            "POST",
            self.url,
            endpoint="Content Service upload",
            expected=(201,),
            hint=_HINT,
            status_hints={400: "the Content Service rejected the text (empty body?); " + _HINT},
            content=text.encode("utf-8"),
            headers={"Content-Type": "text/plain; charset=utf-8"},
        )
        try:
            return ContentStoredResponse.model_validate(response.json()).storage_id
        except (ValueError, ValidationError):
            raise ServiceError(
                f"Content Service upload ({safe_url(self.url)}) answered 201 without a valid "
                "32-hex storage_id",
                hint=_HINT,
            ) from None

    async def upload_texts(self, texts: Mapping[str, str]) -> UploadOutcome:
        """Upload every text not already cached; ``texts`` maps a key (essay id) to text."""
        services, ignored = ({}, None) if self.force_reupload else load_cache(self.cache_path)
        cached = services.get(_service_key(self.url), {})
        by_sha: dict[str, list[str]] = {}
        for key, text in texts.items():
            by_sha.setdefault(text_sha256(text), []).append(key)
        first_text = {sha: texts[keys[0]] for sha, keys in by_sha.items()}
        todo = [sha for sha in by_sha if sha not in cached]
        semaphore = asyncio.Semaphore(self.concurrency)

        async def upload(sha: str) -> str:
            async with semaphore:
                return await self.upload_one(first_text[sha])

        results = await asyncio.gather(*(upload(sha) for sha in todo), return_exceptions=True)
        fresh = {sha: r for sha, r in zip(todo, results, strict=True) if isinstance(r, str)}
        if fresh and self.cache_path is not None:
            save_cache(self.cache_path, self.url, fresh)
        errors = [r for r in results if isinstance(r, BaseException)]
        if errors:
            first = errors[0]
            if isinstance(first, ServiceError):
                failed = len(errors)
                raise ServiceError(
                    f"{failed} of {len(todo)} upload(s) failed; first: {first.message}",
                    hint=first.hint,
                ) from None
            raise first
        known = {**cached, **fresh}
        storage_ids = {key: known[sha] for sha, keys in by_sha.items() for key in keys}
        log.info("content: %d uploaded, %d reused from cache", len(fresh), len(by_sha) - len(todo))
        return UploadOutcome(
            storage_ids=storage_ids,
            uploaded=len(fresh),
            reused=len(by_sha) - len(todo),
            cache_ignored_reason=ignored,
        )
