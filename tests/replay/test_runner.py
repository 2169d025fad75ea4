"""The Replayer against an answer given by an httpx.MockTransport (no network, a real store),
and MCP calls replayed straight to the real example app."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from pluginlab_tui.access.grant import store_secret, verify
from pluginlab_tui.config import Config, load_config
from pluginlab_tui.contract.recorded import Contracts
from pluginlab_tui.errors import UsageError
from pluginlab_tui.examples import Backend
from pluginlab_tui.replay.request import Credentials
from pluginlab_tui.replay.runner import Replayer
from pluginlab_tui.store.database import open_store
from pluginlab_tui.wire import GRANT_HEADER
from tests.replay.recorded import BOARD, recorded_call, recorded_event

SPEC = """\
openapi: 3.0.3
info: {title: Todos, version: "1"}
servers: [{url: "http://127.0.0.1:8000"}]
paths:
  /todos/{username}:
    post:
      operationId: addTodo
      parameters:
        - {name: username, in: path, required: true, schema: {type: string}}
        - {name: x, in: query, schema: {type: integer}}
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [title]
              properties: {title: {type: string}}
      responses:
        "201":
          description: The new todo.
          content:
            application/json:
              schema:
                type: object
                required: [id, title]
                properties: {id: {type: integer}, title: {type: string}}
"""

Handler = Callable[[httpx.Request], httpx.Response]


@pytest.fixture
def config(tmp_path: Path) -> Config:
    (tmp_path / "openapi.yaml").write_text(SPEC, encoding="utf-8")
    store = tmp_path / "events.db"
    open_store(store, create=True).close()
    return load_config(
        None,
        {
            "plugin.profile": "actions",
            "plugin.spec": str(tmp_path / "openapi.yaml"),
            "store.path": str(store),
        },
    )


def _recording(answer: Handler) -> tuple[list[httpx.Request], httpx.MockTransport]:
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return answer(request)

    return seen, httpx.MockTransport(handle)


def _json(status: int, body: object, **headers: str) -> Handler:
    return lambda _: httpx.Response(status, json=body, headers=headers)


def test_to_a_target_the_answer_is_checked_here_and_compared(config: Config) -> None:
    seen, transport = _recording(_json(201, {"id": "one", "title": "milk", "tags": ["a"]}))
    with Replayer.for_config(
        config,
        target="http://backend.test",
        credentials=Credentials("t0k"),
        transport=transport,
    ) as replayer:
        result = replayer.replay(recorded_event())
    sent = seen[0]
    assert (sent.method, str(sent.url)) == ("POST", "http://backend.test/todos/alice?x=1")
    assert sent.headers["authorization"] == "Bearer t0k"
    assert GRANT_HEADER not in sent.headers
    assert sent.content == b'{"title": "milk"}'
    assert result.status == 201 and result.checked_by == "here"
    assert [v.code for v in result.violations] == ["invalid_response_body"]
    assert result.broke_contract
    assert result.diff is not None
    assert [(c.where, c.kind) for c in result.diff.changes] == [("$.id", "type")]


def test_an_answer_within_the_contract_is_ok_and_the_same(config: Config) -> None:
    _, transport = _recording(_json(201, {"id": 1, "title": "milk", "tags": ["a"]}))
    with Replayer.for_config(config, target="http://backend.test", transport=transport) as r:
        result = r.replay(recorded_event())
    assert result.checked_by == "here" and result.violations == []
    assert not result.broke_contract and not result.differs


def test_through_the_proxy_the_grant_stands_for_the_original_caller(config: Config) -> None:
    seen, transport = _recording(_json(201, {"id": 1, "title": "milk"}))
    original = recorded_event(user_id="alice", plan="pro")
    with Replayer.for_config(config, transport=transport, readback_s=0.0) as replayer:
        result = replayer.replay(original)
    conn = open_store(config.store_path)
    try:
        secret = store_secret(conn)
    finally:
        conn.close()
    grant = verify(seen[0].headers[GRANT_HEADER], secret)
    assert grant is not None
    assert (grant.source, grant.replay_of, grant.user_id, grant.plan) == (
        "replay",
        "e1",
        "alice",
        "pro",
    )
    assert "authorization" not in seen[0].headers  # redacted, and no credentials given
    # No event id came back, so nothing to read from the store: checked here instead.
    assert result.event_id is None and result.checked_by == "here"


def test_a_failed_exchange_is_an_error_not_a_verdict(config: Config) -> None:
    def time_out(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    with Replayer.for_config(
        config, target="http://backend.test", transport=httpx.MockTransport(time_out)
    ) as replayer:
        result = replayer.replay(recorded_event())
    assert result.status is None and result.checked_by == "none"
    assert result.error == "ReadTimeout: timed out"
    assert result.broke_contract
    assert result.to_json()["broke_contract"] is True


def test_a_proxy_that_cannot_be_reached_is_one_usage_line(config: Config) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    with Replayer.for_config(config, transport=httpx.MockTransport(refuse)) as replayer:
        with pytest.raises(UsageError, match="is `pluginlab-tui serve` running"):
            replayer.replay(recorded_event())


def test_a_batch_reports_progress_after_each_event(config: Config) -> None:
    _, transport = _recording(_json(201, {"id": 1, "title": "milk"}))
    progress: list[tuple[int, int, int | None]] = []
    events = [recorded_event(event_id=f"e{n}") for n in range(3)]
    with Replayer.for_config(config, target="http://backend.test", transport=transport) as r:
        results = r.replay_many(
            events, progress=lambda d, t, res: progress.append((d, t, res.status))
        )
    assert progress == [(1, 3, 201), (2, 3, 201), (3, 3, 201)]
    assert [res.to_json()["original"] for res in results] == ["e0", "e1", "e2"]


def test_an_unreadable_spec_gives_no_validator(tmp_path: Path) -> None:
    (tmp_path / "openapi.yaml").write_text("openapi: [not, a, spec\n", encoding="utf-8")
    config = load_config(None, {"plugin.spec": str(tmp_path / "openapi.yaml")})
    assert Contracts(config).of(None) is None


#: The parts of list_cards' answer that the recorded one leaves out (or that change each run).
_VOLATILE = ["$.result.content", "$.result.structuredContent.cards[*].created_at"]


@pytest.fixture(scope="module")
def board_app() -> Iterator[Backend]:
    """An example app of this module's own: its board as the app starts it (the session's shared
    app gets cards added by other tests), which the recorded answers are compared with."""
    with Backend("app") as backend:
        yield backend


def _mcp_replayer(app: Backend) -> Replayer:
    return Replayer(app.url, through_proxy=False, ignore_paths=_VOLATILE)


@pytest.mark.parametrize("version", ["2024-11-05", "2025-06-18", "2025-11-25"])
def test_a_handshake_era_call_is_replayed_in_a_session_of_its_own(
    board_app: Backend, version: str
) -> None:
    """initialize at the recorded version, the notification, the call in the new session (the
    recorded one ended long ago), answered on SSE; the answer compared by its result."""
    recorded = recorded_call(version=version, result={"structuredContent": BOARD, "isError": False})
    with _mcp_replayer(board_app) as replayer:
        result = replayer.replay(recorded)
    assert result.error is None and result.status == 200
    assert result.call is not None and result.call.method == "tools/call"
    assert result.answer["result"]["structuredContent"]["count"] == 2
    assert not result.differs, result.diff.lines() if result.diff else None
    assert result.to_json()["rpc_method"] == "tools/call"


def test_a_stateless_call_is_sent_as_recorded_and_a_changed_answer_differs(
    board_app: Backend,
) -> None:
    """2026-07-28: the one request with its `_meta` and headers, a JSON answer."""
    board = {"cards": BOARD["cards"][:1], "count": 1}
    recorded = recorded_call(version="2026-07-28", result={"structuredContent": board})
    with _mcp_replayer(board_app) as replayer:
        result = replayer.replay(recorded)
    assert result.status == 200 and result.error is None
    assert result.call is not None and not result.call.needs_session
    assert result.differs and result.diff is not None
    content = {c.where for c in result.diff.changes if "structuredContent" in c.where}
    assert content == {"$.result.structuredContent.cards[1]", "$.result.structuredContent.count"}


def test_a_message_of_a_batch_is_replayed_alone(board_app: Backend) -> None:
    recorded = recorded_call(version="2025-03-26", batch=True)
    with _mcp_replayer(board_app) as replayer:
        result = replayer.replay(recorded)
    assert result.status == 200 and result.answer["id"] == 7
    assert "structuredContent" in result.answer["result"]


def test_a_session_that_cannot_be_opened_is_an_error(board_app: Backend) -> None:
    recorded = recorded_call(path="/nowhere", url="http://127.0.0.1:8787/nowhere")
    with _mcp_replayer(board_app) as replayer:
        result = replayer.replay(recorded)
    assert result.broke_contract and result.status is None
    assert result.error == "initialize at 2025-06-18 was refused: HTTP 404"


def test_a_message_the_server_sent_is_not_replayed(board_app: Backend) -> None:
    pushed = recorded_call(rpc_direction="server", rpc_method="sampling/createMessage")
    with _mcp_replayer(board_app) as replayer:
        result = replayer.replay(pushed)
    assert result.status is None and result.error is not None and "server sent" in result.error
