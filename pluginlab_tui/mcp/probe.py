"""The proxy's own tools/list, for a tools/call made before any tools/list was seen (pure half).

With no catalogue, `mcp_unknown_tool` (and the argument and structured-content checks) cannot
run. Where it can, the proxy lists the server's tools itself once, as the caller would: in the
caller's session (its Mcp-Session-Id and MCP-Protocol-Version, sent unchanged), or in the
stateless era with the caller's `_meta` version, client info and capabilities. `why_not` says
where it cannot; `ask` is the request (mcp-types' envelope); `Reader` reads the answer, a JSON
body or an SSE stream, as it arrives, up to the proxy's request id. The network is proxy/'s.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pydantic
from mcp_types import (
    CLIENT_CAPABILITIES_META_KEY,
    CLIENT_INFO_META_KEY,
    PROTOCOL_VERSION_META_KEY,
    methods,
)
from mcp_types.jsonrpc import JSONRPCRequest
from mcp_types.version import KNOWN_PROTOCOL_VERSIONS

from pluginlab_tui.mcp.checks import Context
from pluginlab_tui.mcp.first_error import first_error
from pluginlab_tui.mcp.jsonrpc import Message, parse_body, parse_text
from pluginlab_tui.mcp.sessions import meta_version
from pluginlab_tui.mcp.sse import Frame, Parser
from pluginlab_tui.validation.schemas import show

#: The proxy's own request ids start so (never an id a client chose: a UUID follows).
ID_PREFIX = "pluginlab-list-"
#: Pages of tools/list followed, at most (nextCursor), and seconds for all of them.
MAX_PAGES = 10
TIMEOUT_S = 10.0
#: The `_meta` entries of the caller's request a stateless tools/list carries too.
_META_KEYS = (PROTOCOL_VERSION_META_KEY, CLIENT_INFO_META_KEY, CLIENT_CAPABILITIES_META_KEY)
#: Caller headers the proxy's request does not take: it sets them itself (its body is plain
#: JSON, its own method), or they name the caller's message or stream.
REPLACED_HEADERS = frozenset(
    {
        "content-type",
        "content-encoding",
        "accept",
        "accept-encoding",
        "mcp-method",
        "mcp-name",
        "last-event-id",
    }
)


#: A request's params (None: it has none).
Params = Mapping[str, Any] | None
#: One page of the listing: the params it was asked with, its result.
Page = tuple[Params, Mapping[str, Any]]


class Unlisted(Exception):
    """The tools could not be listed: the message says why (one line)."""


def new_id() -> str:
    return f"{ID_PREFIX}{uuid.uuid4()}"


def why_not(ctx: Context, params: Params) -> str | None:
    """Why the proxy cannot list the tools in the context of this call (None: it can)."""
    if ctx.transport == "sse":
        return "the call came on the HTTP+SSE transport, which answers on the caller's stream"
    if ctx.version not in KNOWN_PROTOCOL_VERSIONS:
        return f"the call names no protocol version the proxy knows ({show(ctx.version)})"
    if ctx.era == "stateless":
        if not isinstance(meta_version(params), str):
            return "the call carries no _meta protocol version to list the tools with"
        return None
    if ctx.session_id is None and ctx.sessions_issued:
        return "the call has no session to list the tools in"
    if ctx.session_id is not None and not ctx.session_known:
        return f"the call's session {show(ctx.session_id)} is unknown"
    return None


@dataclass(frozen=True, slots=True)
class Ask:
    """One tools/list request: its id, body and the headers set on top of the caller's."""

    id: str
    body: bytes
    headers: dict[str, str]


def ask(ctx: Context, call_params: Params, cursor: str | None) -> Ask:
    """The tools/list to send, in the call's session or with its stateless `_meta`."""
    params: dict[str, Any] = {}
    if cursor is not None:
        params["cursor"] = cursor
    headers = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}
    if ctx.era == "stateless":
        meta = call_params.get("_meta") if isinstance(call_params, Mapping) else None
        if isinstance(meta, Mapping):
            params["_meta"] = {k: meta[k] for k in _META_KEYS if k in meta}
        headers["Mcp-Method"] = "tools/list"
    rid = new_id()
    request = JSONRPCRequest(jsonrpc="2.0", id=rid, method="tools/list", params=params or None)
    body = json.dumps(request.model_dump(mode="json", by_alias=True, exclude_none=True))
    return Ask(rid, body.encode(), headers)


class Reader:
    """The answer to one Ask as it arrives: `feed` gives the result once its message came."""

    def __init__(self, rid: str, version: str, content_type: str) -> None:
        self.rid = rid
        self.version = version
        kind = content_type.split(";", 1)[0].strip().lower()
        self.stream = kind == "text/event-stream"
        if not self.stream and kind != "application/json":
            raise Unlisted(f"the server answered {show(kind or None)}, not JSON or an event stream")
        self.parser = Parser()
        self.body = bytearray()

    def feed(self, chunk: bytes) -> dict[str, Any] | None:
        """The tools/list result, when this chunk completed it (Unlisted: an error answer)."""
        if not self.stream:
            self.body += chunk
            return None
        for frame in self.parser.feed(chunk):
            if isinstance(frame, Frame) and frame.event == "message" and frame.data.strip():
                found = self._mine(parse_text(frame.data))
                if found is not None:
                    return found
        return None

    def end(self) -> dict[str, Any]:
        """The body is whole: the result, or Unlisted."""
        if not self.stream:
            for message in parse_body(bytes(self.body), self.version):
                found = self._mine(message)
                if found is not None:
                    return found
        raise Unlisted("the server's answer held no answer to the proxy's tools/list")

    def _mine(self, message: Message) -> dict[str, Any] | None:
        if message.id != self.rid:
            return None
        if message.kind == "error":
            said = (message.error or {}).get("message")
            raise Unlisted(f"the server answered JSON-RPC error {message.error_code}: {show(said)}")
        if message.kind != "result":
            raise Unlisted(f"the server's answer is not JSON-RPC: {message.problem}")
        result = message.result or {}
        try:
            methods.validate_server_result("tools/list", self.version, result)
        except KeyError:
            raise Unlisted(f"tools/list is not a method of {self.version}") from None
        except pydantic.ValidationError as exc:
            raise Unlisted(
                f"the tools/list result is not valid: {first_error(exc).text()}"
            ) from None
        except ValueError as exc:
            raise Unlisted(f"the tools/list result could not be checked: {exc}") from None
        return result


def next_cursor(result: Mapping[str, Any]) -> str | None:
    cursor = result.get("nextCursor")
    return cursor if isinstance(cursor, str) and cursor else None
