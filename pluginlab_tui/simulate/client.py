"""The simulator's HTTP side: one client, the replay grant, and each request kept as a Call.

Through a local proxy whose store it can read, every request carries a replay grant with
source=simulate, so the events it causes are recorded as such.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import urlsplit

import httpx

from pluginlab_tui.access.grant import Grant, sign
from pluginlab_tui.validation.violations import Violation
from pluginlab_tui.wire import EVENT_HEADER, GRANT_HEADER, SIMULATE


class SimulationError(Exception):
    """The simulator cannot go on (no manifest, no spec, sign-in refused)."""


@dataclass
class Call:
    """One request the simulator made, and its verdict."""

    step: str
    method: str
    url: str
    operation_id: str | None = None
    status: int | None = None
    duration_ms: float = 0.0
    event_id: str | None = None
    violations: list[Violation] = field(default_factory=list)
    error: str | None = None
    fault: str | None = None
    #: What an MCP request named: the tool of a tools/call, the URI of a resources/read.
    subject: str | None = None

    @property
    def broke_contract(self) -> bool:
        return bool(self.violations) or self.error is not None

    def line(self) -> str:
        status = "---" if self.status is None else str(self.status)
        if self.error:
            verdict = f"FAILED: {self.error}"
        elif self.violations:
            codes = ", ".join(sorted({v.code for v in self.violations}))
            verdict = f"{len(self.violations)} violation(s): {codes}"
        else:
            verdict = "ok"
        fault = f"  [fault {self.fault}]" if self.fault else ""
        path = urlsplit(self.url).path + (f" {self.subject}" if self.subject else "")
        return f"{self.step:<14} {self.method:<6} {path} {status} {verdict}{fault}"

    def to_json(self) -> dict[str, Any]:
        return {
            "step": self.step,
            "operation_id": self.operation_id,
            "method": self.method,
            "url": self.url,
            "status": self.status,
            "duration_ms": round(self.duration_ms, 3),
            "event_id": self.event_id,
            "violations": [v.to_dict() for v in self.violations],
            "error": self.error,
            "fault": self.fault,
            "subject": self.subject,
        }


def summary(calls: Sequence[Call]) -> str:
    broke = [c for c in calls if c.broke_contract]
    return f"{len(calls)} request(s), {len(broke)} broke the contract or failed"


class Client:
    """Sends the simulator's requests to `base_url`; each one is appended to `calls`."""

    def __init__(
        self,
        base_url: str,
        calls: list[Call],
        *,
        grant_secret: bytes | None = None,
        timeout_s: float = 60.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.calls = calls
        self.grant_secret = grant_secret
        self.http = httpx.Client(
            trust_env=False, timeout=timeout_s, follow_redirects=False, transport=transport
        )

    def close(self) -> None:
        self.http.close()

    def send(
        self,
        step: str,
        method: str,
        url: str,
        *,
        headers: dict[str, str] | None = None,
        content: bytes | None = None,
        operation_id: str | None = None,
    ) -> tuple[Call, httpx.Response | None]:
        """One request; its Call (kept), and the answer or None when there was none."""
        sent = dict(headers or {})
        if self.grant_secret is not None:
            sent[GRANT_HEADER] = sign(Grant(source=SIMULATE), self.grant_secret)
        call = Call(step, method, url, operation_id)
        started = time.perf_counter()
        try:
            answer = self.http.request(method, url, headers=sent, content=content)
        except httpx.HTTPError as exc:
            call.duration_ms = (time.perf_counter() - started) * 1000
            call.error = f"{type(exc).__name__}: {exc}"
            self.calls.append(call)
            return call, None
        call.duration_ms = (time.perf_counter() - started) * 1000
        call.status = answer.status_code
        call.event_id = answer.headers.get(EVENT_HEADER)
        self.calls.append(call)
        return call, answer

    def local(self, url: str, manifest: dict[str, Any] | None) -> str:
        """A URL the manifest names, moved onto the base URL when it points at the proxy."""
        parts = urlsplit(url)
        if not parts.scheme:
            return self.base_url + (url if url.startswith("/") else "/" + url)
        api = (manifest or {}).get("api")
        api_url = api.get("url") if isinstance(api, dict) else None
        origin = urlsplit(str(api_url or "")).netloc
        if parts.netloc in (origin, urlsplit(self.base_url).netloc) or parts.hostname in (
            "localhost",
            "127.0.0.1",
        ):
            return self.base_url + parts.path + ("?" + parts.query if parts.query else "")
        return url


class _Answer(Protocol):
    @property
    def text(self) -> str: ...


def brief(answer: _Answer | None) -> str:
    """The start of an answer's body, on one line, for an error message."""
    if answer is None:
        return "no answer"
    text = answer.text.strip().replace("\n", " ")
    return text[:200]
