"""An exchange's parts → its Event: the one way the recorder and HAR import build an event."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from pluginlab_tui.store.body import StoredBody, store_body
from pluginlab_tui.store.event import MAX_FRAMES, Event, Frame, Headers
from pluginlab_tui.validation.violations import Violation


def header(headers: Iterable[tuple[str, str]], name: str) -> str | None:
    """The first value of a header (name in lower case), or None."""
    for key, value in headers:
        if key.lower() == name:
            return value
    return None


@dataclass(frozen=True, slots=True)
class Message:
    """One message of an exchange as received: its headers in order and its body as stored."""

    headers: Headers
    body: StoredBody

    @classmethod
    def kept(
        cls,
        headers: Headers,
        content: bytes | None,
        cap: int,
        *,
        complete: bool = True,
        size: int | None = None,
    ) -> Message:
        """The message with its body stored as its Content-Type says (store/body.py)."""
        body = store_body(content, header(headers, "content-type"), cap, complete, size)
        return cls(headers, body)


@dataclass(frozen=True, slots=True)
class Auth:
    """What the auth gate found of the caller."""

    mode: str | None = None
    result: str | None = None
    user_id: str | None = None
    plan: str | None = None
    #: The OAuth client asked for, registered, or holding the token (events.oauth_client_id).
    client_id: str | None = None


NO_AUTH = Auth()


@dataclass(frozen=True, slots=True)
class Rpc:
    """What an MCP event knows of its JSON-RPC message (all None: an exchange without one)."""

    method: str | None = None
    #: The id as JSON text (`7`, `"a"`).
    id: str | None = None
    direction: str | None = None
    tool: str | None = None
    resource_uri: str | None = None
    session_id: str | None = None
    protocol_version: str | None = None
    error: int | None = None
    is_error: bool | None = None
    exchange_id: str | None = None
    frames: tuple[Frame, ...] = ()


def event_from_parts(
    *,
    event_id: str,
    ts: str,
    method: str,
    url: str,
    path: str,
    query: str,
    request: Message | None = None,
    response: Message | None = None,
    status: int | None = None,
    duration_ms: float | None = None,
    source: str = "live",
    replay_of: str | None = None,
    operation_id: str | None = None,
    auth: Auth = NO_AUTH,
    version: int | None = None,
    violations: list[Violation] | None = None,
    error: str | None = None,
    client_ip: str | None = None,
    rpc: Rpc | None = None,
    skipped: list[str] | None = None,
) -> Event:
    """The event of an exchange; a message not given leaves its headers and body empty.

    With `rpc` it is an MCP event (protocol "mcp"), else an HTTP one. `skipped`: the checks that
    could not run on it, each with why."""
    event = Event(
        event_id=event_id,
        ts=ts,
        method=method,
        url=url,
        path=path,
        query=query,
        source=source,
        replay_of=replay_of,
        operation_id=operation_id,
        status=status,
        duration_ms=duration_ms,
        auth_mode=auth.mode,
        auth_result=auth.result,
        user_id=auth.user_id,
        plan=auth.plan,
        oauth_client_id=auth.client_id,
        version=version,
        violations=violations or [],
        error=error,
        client_ip=client_ip,
        skipped=list(skipped or ()),
    )
    if rpc is not None:
        event.protocol = "mcp"
        event.rpc_method = rpc.method
        event.rpc_id = rpc.id
        event.rpc_direction = rpc.direction
        event.tool = rpc.tool
        event.resource_uri = rpc.resource_uri
        event.session_id = rpc.session_id
        event.protocol_version = rpc.protocol_version
        event.rpc_error = rpc.error
        event.is_error = rpc.is_error
        event.exchange_id = rpc.exchange_id
        event.frames = list(rpc.frames[:MAX_FRAMES])
    if request is not None:
        event.request_headers = request.headers
        event.request_body = request.body.text
        event.request_binary = request.body.binary
        event.request_size = request.body.size
        event.request_truncated = request.body.truncated
        event.conversation_id = header(request.headers, "openai-conversation-id")
    if response is not None:
        event.response_headers = response.headers
        event.response_body = response.body.text
        event.response_binary = response.body.binary
        event.response_size = response.body.size
        event.response_truncated = response.body.truncated
    return event
