"""What the proxy knows of one exchange while it is in flight (kept in flow.metadata)."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from mitmproxy import http

from pluginlab_tui.inflate import Inflated
from pluginlab_tui.store.event import iso_now
from pluginlab_tui.validation.violations import Violation

if TYPE_CHECKING:
    from pluginlab_tui.contract.service import Served
    from pluginlab_tui.validation.validator import RequestCheck

_KEY = "pluginlab"


@dataclass(slots=True)
class Exchange:
    served: Served
    event_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    ts: str = field(default_factory=iso_now)
    started: float = field(default_factory=time.perf_counter)
    client_ip: str = ""
    source: str = "live"
    replay_of: str | None = None
    #: Who answered: the backend, the proxy itself (files, refusals, strict), or the mock.
    answered_by: str = "backend"
    check: RequestCheck | None = None
    #: Response violations found before the answer left (strict mode); else found later.
    response_violations: list[Violation] | None = None
    duration_ms: float | None = None
    error: str | None = None
    auth_mode: str | None = None
    auth_result: str | None = None
    user_id: str | None = None
    plan: str | None = None
    recorded: bool = False
    #: `proxy_error` violations: a stage that raised (proxy/pipeline.py).
    faults: list[Violation] = field(default_factory=list)
    #: Bodies decoded so far, by message (see proxy/bodies.py): each is inflated once.
    bodies: list[tuple[http.Message, Inflated]] = field(default_factory=list)

    @property
    def request_violations(self) -> list[Violation]:
        return [] if self.check is None else self.check.violations

    def violations(self) -> list[Violation]:
        """Every violation known now: the request's, the response's, the proxy's own faults."""
        return self.request_violations + (self.response_violations or []) + self.faults

    @property
    def operation_id(self) -> str | None:
        return None if self.check is None else self.check.operation_id

    def known_violations(self) -> int:
        return len(self.violations())


def attach(flow: http.HTTPFlow, exchange: Exchange) -> None:
    flow.metadata[_KEY] = exchange


def exchange_of(flow: http.HTTPFlow) -> Exchange | None:
    found = flow.metadata.get(_KEY)
    return found if isinstance(found, Exchange) else None


def unanswered(flow: http.HTTPFlow) -> Exchange | None:
    """The flow's exchange while no stage has answered it yet, else None (the stage stands by)."""
    return None if flow.response is not None else exchange_of(flow)
