"""The event: one exchange that reached the proxy, whatever became of it."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from pluginlab_tui.validation.violations import Violation
from pluginlab_tui.wire import LIVE

Headers = list[tuple[str, str]]


def iso_now() -> str:
    return iso(datetime.now(UTC))


def iso(moment: datetime) -> str:
    """ISO-8601 UTC with milliseconds and a Z, so that text order is time order."""
    return (
        moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    )


@dataclass(slots=True)
class Event:
    event_id: str
    ts: str
    method: str
    url: str
    path: str
    query: str = ""
    source: str = LIVE
    replay_of: str | None = None
    operation_id: str | None = None
    status: int | None = None
    duration_ms: float | None = None
    request_headers: Headers = field(default_factory=list)
    response_headers: Headers = field(default_factory=list)
    request_body: str | None = None
    request_binary: bool = False
    response_body: str | None = None
    response_binary: bool = False
    request_size: int = 0
    response_size: int = 0
    request_truncated: bool = False
    response_truncated: bool = False
    auth_mode: str | None = None
    auth_result: str | None = None
    user_id: str | None = None
    plan: str | None = None
    version: int | None = None
    violations: list[Violation] = field(default_factory=list)
    error: str | None = None
    client_ip: str | None = None
    conversation_id: str | None = None
    #: The original bytes of fields that did not decode, as base64 by field key (store/lossless.py).
    raw: dict[str, str] = field(default_factory=dict)
    #: Only in rows read back from the store.
    id: int | None = None
    marked: bool = False
    comment: str | None = None

    @property
    def violation_count(self) -> int:
        return len(self.violations)

    def row(self) -> dict[str, Any]:
        """The values of the events table's columns."""
        return {
            "event_id": self.event_id,
            "ts": self.ts,
            "source": self.source,
            "replay_of": self.replay_of,
            "method": self.method,
            "url": self.url,
            "path": self.path,
            "query": self.query,
            "operation_id": self.operation_id,
            "status": self.status,
            "duration_ms": self.duration_ms,
            "request_headers": json.dumps(self.request_headers),
            "response_headers": json.dumps(self.response_headers),
            "request_body": self.request_body,
            "request_binary": int(self.request_binary),
            "response_body": self.response_body,
            "response_binary": int(self.response_binary),
            "request_size": self.request_size,
            "response_size": self.response_size,
            "request_truncated": int(self.request_truncated),
            "response_truncated": int(self.response_truncated),
            "auth_mode": self.auth_mode,
            "auth_result": self.auth_result,
            "user_id": self.user_id,
            "plan": self.plan,
            "version": self.version,
            "violations": json.dumps([v.to_dict() for v in self.violations]),
            "violation_count": len(self.violations),
            "error": self.error,
            "client_ip": self.client_ip,
            "conversation_id": self.conversation_id,
            "raw": json.dumps(self.raw, sort_keys=True) if self.raw else None,
        }

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Event:
        return cls(
            id=row.get("id"),
            event_id=row["event_id"],
            ts=row["ts"],
            source=row["source"],
            replay_of=row["replay_of"],
            method=row["method"],
            url=row["url"],
            path=row["path"],
            query=row["query"],
            operation_id=row["operation_id"],
            status=row["status"],
            duration_ms=row["duration_ms"],
            request_headers=[(k, v) for k, v in json.loads(row["request_headers"])],
            response_headers=[(k, v) for k, v in json.loads(row["response_headers"])],
            request_body=row["request_body"],
            request_binary=bool(row["request_binary"]),
            response_body=row["response_body"],
            response_binary=bool(row["response_binary"]),
            request_size=row["request_size"],
            response_size=row["response_size"],
            request_truncated=bool(row["request_truncated"]),
            response_truncated=bool(row["response_truncated"]),
            auth_mode=row["auth_mode"],
            auth_result=row["auth_result"],
            user_id=row["user_id"],
            plan=row["plan"],
            version=row["version"],
            violations=[Violation.from_dict(v) for v in json.loads(row["violations"])],
            error=row["error"],
            client_ip=row.get("client_ip"),
            conversation_id=row.get("conversation_id"),
            raw=json.loads(row.get("raw") or "{}"),
            marked=bool(row.get("marked") or 0),
            comment=row.get("comment"),
        )

    def to_json(self) -> dict[str, Any]:
        """The event as the `events --format json` object (DESIGN.md's field list)."""
        data = asdict(self)
        data["request_headers"] = [list(p) for p in self.request_headers]
        data["response_headers"] = [list(p) for p in self.response_headers]
        data["violations"] = [v.to_dict() for v in self.violations]
        data["violation_count"] = len(self.violations)
        del data["id"]
        return data
