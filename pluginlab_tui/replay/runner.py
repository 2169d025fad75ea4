"""The Replayer: sends requests through the proxy (with the replay grant) or to a target.

Through the proxy the request carries the replay grant (see proxy/grant.py): the proxy records
it again as source=replay, linked to its original (replay_of), on behalf of the original caller.
Straight to a target URL it carries the credentials the user gives (the store keeps none), and
its verdict is checked here against the spec in service. An MCP client message is sent as
replay/mcp.py says (in a session of its own for a handshake-era version), its JSON-RPC answer
compared with the recorded one; it is checked only by the proxy.

    replayer = Replayer.for_config(config)                # through the proxy of this config
    result = replayer.replay(event)                        # one event, as recorded
    result = replayer.replay(event, edited_request)        # edited (replay.document)
    results = replayer.replay_many(events, progress=cb)   # a batch
    result.diff.lines()                                     # status, headers, JSON body changes

`transport` (an httpx transport, e.g. httpx.MockTransport) replaces the network in tests.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from pluginlab_tui.access.grant import Grant, sign, store_secret
from pluginlab_tui.config import Config
from pluginlab_tui.contract.recorded import Contracts
from pluginlab_tui.contract.verdict import verdict
from pluginlab_tui.errors import UsageError
from pluginlab_tui.mcp.sessions import SESSION_HEADER
from pluginlab_tui.replay.diff import ResponseDiff, diff_answers, diff_responses
from pluginlab_tui.replay.mcp import (
    INITIALIZE_ID,
    Call,
    answer_in,
    answer_part,
    call_of,
    closing,
    in_session,
    initialized,
    is_mcp,
    opening,
)
from pluginlab_tui.replay.request import (
    Credentials,
    ReplayRequest,
    event_body,
    outgoing_headers,
)
from pluginlab_tui.store import queries
from pluginlab_tui.store.database import open_store
from pluginlab_tui.store.event import Event
from pluginlab_tui.store.parts import header
from pluginlab_tui.validation.validator import HttpRequest, HttpResponse
from pluginlab_tui.validation.violations import Violation
from pluginlab_tui.wire import EVENT_HEADER, GRANT_HEADER, REPLAY


@dataclass
class ReplayResult:
    """One replay: the request sent, the answer, its verdict and the diff with the original."""

    request: ReplayRequest
    original: Event | None = None
    status: int | None = None
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    duration_ms: float = 0.0
    #: The new exchange's event id (X-PluginLab-Event-Id), when the proxy recorded it.
    event_id: str | None = None
    #: The new exchange as recorded (through the proxy), once it was read back.
    event: Event | None = None
    violations: list[Violation] = field(default_factory=list)
    #: Where the verdict comes from: the proxy's record, or a check made here.
    checked_by: str = "none"
    error: str | None = None
    diff: ResponseDiff | None = None
    #: The MCP client message replayed (replay/mcp.py), or None for a plain HTTP request.
    call: Call | None = None
    #: The JSON-RPC answer to it, as received.
    answer: Any = None

    @property
    def broke_contract(self) -> bool:
        return bool(self.violations) or self.error is not None

    @property
    def differs(self) -> bool:
        return self.diff is not None and self.diff.changed

    def to_json(self) -> dict[str, Any]:
        return {
            "original": None if self.original is None else self.original.event_id,
            "event_id": self.event_id,
            "method": self.request.method,
            "path": self.request.path,
            "query": self.request.query,
            "rpc_method": None if self.call is None else self.call.method,
            "status": self.status,
            "original_status": None if self.original is None else self.original.status,
            "duration_ms": round(self.duration_ms, 3),
            "violations": [v.to_dict() for v in self.violations],
            "violation_count": len(self.violations),
            "checked_by": self.checked_by,
            "error": self.error,
            "broke_contract": self.broke_contract,
            "differs": self.differs,
            "diff": None if self.diff is None else self.diff.to_dict(),
        }


Progress = Callable[[int, int, ReplayResult], None]


class _NotOpened(Exception):
    """The session a handshake-era MCP replay needs could not be opened."""


class Replayer:
    """Sends requests through the proxy (with the grant) or straight to a target."""

    def __init__(
        self,
        base_url: str,
        *,
        through_proxy: bool,
        conn: sqlite3.Connection | None = None,
        contracts: Contracts | None = None,
        credentials: Credentials | None = None,
        ignore_paths: Sequence[str] = (),
        ignore_headers: Sequence[str] = (),
        timeout_s: float = 60.0,
        readback_s: float = 10.0,
        transport: httpx.BaseTransport | None = None,
        mcp_paths: Callable[[str], bool] | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.through_proxy = through_proxy
        self.conn = conn
        #: The contracts a reply is checked against here, when the proxy's verdict is not at hand.
        self.contracts = contracts
        self.credentials = credentials
        self.ignore_paths = list(ignore_paths)
        self.ignore_headers = list(ignore_headers)
        self.readback_s = readback_s
        #: Whether a path is the MCP endpoint (config.mcp.covers).
        self.mcp_paths = mcp_paths
        self._secret: bytes | None = None
        self.client = httpx.Client(
            trust_env=False, timeout=timeout_s, follow_redirects=False, transport=transport
        )

    @classmethod
    def for_config(
        cls,
        config: Config,
        *,
        target: str | None = None,
        db: Path | None = None,
        credentials: Credentials | None = None,
        proxy_url: str | None = None,
        transport: httpx.BaseTransport | None = None,
        **options: Any,
    ) -> Replayer:
        """Through the proxy of `config` (its store holds the grant secret), or to `target`."""
        conn = open_store(db or config.store_path)
        base = target or proxy_url or f"http://{config.proxy.listen}"
        return cls(
            base,
            through_proxy=target is None,
            conn=conn,
            contracts=Contracts(config, conn),
            credentials=credentials,
            timeout_s=max(config.proxy.timeout_s + 5, 10.0),
            transport=transport,
            mcp_paths=config.mcp.covers,
            **options,
        )

    def close(self) -> None:
        self.client.close()
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def __enter__(self) -> Replayer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _grant(self, original: Event | None, linked: bool = True) -> str | None:
        """The replay grant: on behalf of the original's caller; `linked`: as its replay."""
        if self.conn is None:
            return None
        if self._secret is None:
            self._secret = store_secret(self.conn)
        grant = Grant(
            source=REPLAY,
            replay_of=None if original is None or not linked else original.event_id,
            user_id=None if original is None else original.user_id,
            plan=None if original is None else original.plan,
        )
        return sign(grant, self._secret)

    def _http(
        self, request: ReplayRequest, original: Event | None, linked: bool = True
    ) -> httpx.Response:
        """One HTTP exchange; UsageError when the proxy or target cannot be reached."""
        headers = outgoing_headers(request, self.credentials)
        if self.through_proxy:
            grant = self._grant(original, linked)
            if grant is not None:
                headers.append((GRANT_HEADER, grant))
        try:
            return self.client.request(
                request.method,
                self.base_url + request.target,
                headers=headers,
                content=request.body,
            )
        except httpx.ConnectError as exc:
            where = "the proxy" if self.through_proxy else "the target"
            hint = " (is `pluginlab-tui serve` running?)" if self.through_proxy else ""
            raise UsageError(f"cannot reach {where} at {self.base_url}{hint}: {exc}") from None

    def send(self, request: ReplayRequest, original: Event | None = None) -> ReplayResult:
        """Send one request; the result has the answer and, when original is given, the diff.

        An MCP client message goes as replay/mcp.py says (a session first where needed)."""
        if original is None:
            mcp = self.mcp_paths is not None and self.mcp_paths(request.path)
        else:
            mcp = is_mcp(original, self.mcp_paths)
        call = call_of(request, original) if mcp else None
        result = ReplayResult(request=request, original=original, call=call)
        if original is not None and original.rpc_direction == "server":
            result.error = "a message the server sent is not replayed (replay the client's request)"
            return result
        sent = request
        session: tuple[str | None, str] | None = None
        if call is not None and call.needs_session:
            try:
                session = self._open(request, call, original)
            except _NotOpened as exc:
                result.error = str(exc)
                return result
            sent = in_session(request, *session)
        started = time.perf_counter()
        try:
            answer = self._http(sent, original)
        except httpx.HTTPError as exc:
            result.duration_ms = (time.perf_counter() - started) * 1000
            result.error = f"{type(exc).__name__}: {exc}"
            return result
        finally:
            if session is not None and session[0] is not None:
                self._close(request, session[0], session[1], original)
        result.duration_ms = (time.perf_counter() - started) * 1000
        result.status = answer.status_code
        result.headers = list(answer.headers.multi_items())
        result.body = answer.content
        result.event_id = answer.headers.get(EVENT_HEADER)
        if original is None:
            return result
        if call is None:
            result.diff = diff_responses(
                original,
                result.status,
                result.headers,
                result.body,
                ignore_paths=self.ignore_paths,
                ignore_headers=self.ignore_headers,
            )
        else:
            old = None
            if call.id is not None:
                old_body = event_body(original.response_body, original.response_binary)
                old_type = header(original.response_headers, "content-type")
                old = answer_in(old_body, old_type, call.id)
                new = answer_in(result.body, answer.headers.get("content-type"), call.id)
                result.answer = new
            result.diff = diff_answers(
                original,
                answer_part(old),
                result.status,
                answer_part(result.answer),
                ignore_paths=self.ignore_paths,
            )
        return result

    def _open(
        self, request: ReplayRequest, call: Call, original: Event | None
    ) -> tuple[str | None, str]:
        """A session for the call: (its id, the negotiated version); _NotOpened says why not."""
        try:
            answer = self._http(opening(request, call.version), original, linked=False)
        except httpx.HTTPError as exc:
            raise _NotOpened(f"initialize failed: {type(exc).__name__}: {exc}") from None
        reply = answer_in(answer.content, answer.headers.get("content-type"), INITIALIZE_ID)
        if answer.status_code >= 400 or not isinstance(reply, dict) or "result" not in reply:
            error = reply.get("error") if isinstance(reply, dict) else None
            why = f"HTTP {answer.status_code}" + (f", JSON-RPC error {error}" if error else "")
            raise _NotOpened(f"initialize at {call.version} was refused: {why}")
        result = reply["result"]
        negotiated = result.get("protocolVersion") if isinstance(result, dict) else None
        version = negotiated if isinstance(negotiated, str) else call.version
        session_id = answer.headers.get(SESSION_HEADER)
        try:
            done = self._http(initialized(request, session_id, version), original, linked=False)
        except httpx.HTTPError as exc:
            raise _NotOpened(f"notifications/initialized failed: {exc}") from None
        if done.status_code >= 400:
            raise _NotOpened(f"notifications/initialized was refused: HTTP {done.status_code}")
        return session_id, version

    def _close(
        self, request: ReplayRequest, session_id: str, version: str, original: Event | None
    ) -> None:
        """End the replay's session (a server that keeps sessions would pile them up)."""
        try:
            self._http(closing(request, session_id, version), original, linked=False)
        except (httpx.HTTPError, UsageError):
            pass

    def replay(self, event: Event, request: ReplayRequest | None = None) -> ReplayResult:
        """Re-send one event (or an edited version of its request) and get its verdict."""
        result = self.send(request or ReplayRequest.from_event(event), event)
        self.settle([result])
        return result

    def replay_many(
        self, events: Sequence[Event], progress: Progress | None = None
    ) -> list[ReplayResult]:
        """Re-send events in order; `progress(done, total, result)` after each."""
        results: list[ReplayResult] = []
        for index, event in enumerate(events):
            result = self.send(ReplayRequest.from_event(event), event)
            results.append(result)
            if progress is not None:
                progress(index + 1, len(events), result)
        self.settle(results)
        return results

    def settle(self, results: Sequence[ReplayResult]) -> None:
        """Fill in each verdict: the proxy's record when it can be read, else a check here."""
        if self.through_proxy and self.conn is not None:
            waiting = {r.event_id: r for r in results if r.event_id and r.event is None}
            deadline = time.monotonic() + self.readback_s
            while waiting:
                for event_id in list(waiting):
                    found = queries.get(self.conn, event_id)
                    if found is not None:
                        result = waiting.pop(event_id)
                        result.event = found
                        result.violations = list(found.violations)
                        result.checked_by = "proxy"
                if not waiting or time.monotonic() > deadline:
                    break
                time.sleep(0.05)
        for result in results:
            if result.checked_by == "none" and result.status is not None and result.call is None:
                self._check_here(result)

    def _check_here(self, result: ReplayResult) -> None:
        """The verdict of the contract the original met (its version), else of the files."""
        if self.contracts is None:
            return
        version = None if result.original is None else result.original.version
        validator = self.contracts.of(version)
        if validator is None:
            return
        request = result.request
        result.violations = verdict(
            validator,
            HttpRequest(
                request.method,
                request.path,
                request.query,
                outgoing_headers(request, self.credentials),
                request.body,
            ),
            None
            if result.status is None
            else HttpResponse(result.status, result.headers, result.body),
            result.duration_ms,
        ).violations
        result.checked_by = "here"


def replay_event(
    event: Event,
    config: Config,
    request: ReplayRequest | None = None,
    *,
    target: str | None = None,
    credentials: Credentials | None = None,
) -> ReplayResult:
    """One replay in one call (the TUI's `r`): through the config's proxy unless target is set."""
    with Replayer.for_config(config, target=target, credentials=credentials) as replayer:
        return replayer.replay(event, request)
