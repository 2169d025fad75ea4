"""Turning an event into what the detail tabs show: text only, no widgets, no business rules."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any

import yaml

from pluginlab_tui.contract.document import operations, resolve, split_pointer
from pluginlab_tui.mcp.exchange_view import Found, find_answer, find_request, frame_rows, pretty
from pluginlab_tui.store.event import Event
from pluginlab_tui.store.oauth_timeline import Dance
from pluginlab_tui.validation.violations import Violation

#: Bodies longer than this are cut for display (the pager shows them whole).
DISPLAY_CAP = 256 * 1024
_FRAGMENT_LINES = 40


@dataclass(frozen=True, slots=True)
class Body:
    """A body as shown: its text (pretty when it is JSON and pretty is asked), and its kind."""

    text: str
    language: str  # json | text | binary | none
    cut: bool


def body_for_display(raw: str | None, binary: bool, *, pretty: bool) -> Body:
    if raw is None or raw == "":
        return Body("", "none", False)
    if binary:
        try:
            size = len(base64.b64decode(raw, validate=False))
        except ValueError:
            size = len(raw)
        return Body(
            f"<binary body, {size:,} bytes; o opens it in the pager as base64>", "binary", False
        )
    text, language = raw, "text"
    if pretty:
        try:
            text = json.dumps(json.loads(raw), indent=2, ensure_ascii=False)
            language = "json"
        except ValueError:
            pass
    elif raw.lstrip()[:1] in ("{", "["):
        language = "json"
    cut = len(text) > DISPLAY_CAP
    return Body(text[:DISPLAY_CAP] if cut else text, language, cut)


def header_lines(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(name, value) for name, value in headers]


def size_line(size: int, truncated: bool, shown: int) -> str:
    note = f", stored cut at {shown:,} bytes" if truncated else ""
    return f"{size:,} bytes{note}"


def search_hits(text: str, needle: str) -> list[tuple[int, int]]:
    """(line, column) of each case-insensitive occurrence of needle; line 0-based."""
    if not needle:
        return []
    hits: list[tuple[int, int]] = []
    low = needle.lower()
    for number, line in enumerate(text.lower().split("\n")):
        start = line.find(low)
        while start != -1:
            hits.append((number, start))
            start = line.find(low, start + max(len(low), 1))
    return hits


def _step(spec: Any, node: Any, token: str) -> tuple[bool, Any]:
    node = resolve(spec, node)
    if isinstance(node, dict):
        if token in node:
            return True, node[token]
        return False, None
    if isinstance(node, list):
        try:
            return True, node[int(token)]
        except (ValueError, IndexError):
            return False, None
    return False, None


def schema_at(spec: dict[str, Any], schema_path: str | None) -> tuple[str, Any] | None:
    """The schema a violation broke: the object holding the failed keyword, $refs followed.

    Returns (pointer, schema) of the deepest part of `schema_path` found in the spec.
    """
    if not schema_path or not schema_path.startswith("#"):
        return None
    tokens = split_pointer(schema_path[1:])
    node: Any = spec
    walked: list[str] = []
    for token in tokens:
        ok, child = _step(spec, node, token)
        if not ok:
            break
        node, walked = child, [*walked, token]
    if not walked:
        return None
    if not isinstance(resolve(spec, node), (dict, list)) and len(walked) > 1:
        # stopped on the keyword's value (type: string): show the schema that holds it
        node, walked = _walk(spec, walked[:-1]), walked[:-1]
    pointer = "#/" + "/".join(t.replace("~", "~0").replace("/", "~1") for t in walked)
    return pointer, resolve(spec, node)


def _walk(spec: Any, tokens: list[str]) -> Any:
    node = spec
    for token in tokens:
        _, node = _step(spec, node, token)
    return node


def operation_schema(spec: dict[str, Any], event: Event, violation: Violation) -> Any:
    """Without a schema path: the operation's request body or the response for its status."""
    for op in operations(spec):
        if op.data.get("operationId") != event.operation_id:
            continue
        if violation.location == "request":
            if violation.where.startswith("body"):
                return resolve(spec, op.data.get("requestBody"))
            return [resolve(spec, p) for p in op.data.get("parameters") or []] or None
        responses = op.data.get("responses") or {}
        key = str(event.status)
        chosen = responses.get(key) or responses.get(f"{key[:1]}XX") or responses.get("default")
        return resolve(spec, chosen) if chosen is not None else responses
    return None


def as_yaml(value: Any, limit: int = _FRAGMENT_LINES) -> str:
    if not isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    text = yaml.safe_dump(value, sort_keys=False, allow_unicode=True, width=100).rstrip()
    lines = text.split("\n")
    if len(lines) > limit:
        lines = [*lines[:limit], f"... ({len(lines) - limit} more lines)"]
    return "\n".join(lines)


def body_value(event: Event, violation: Violation) -> tuple[bool, Any]:
    """The part of the body a violation points at (`body/items/0/name`), when it is JSON."""
    if not violation.where.startswith("body"):
        return False, None
    raw = event.request_body if violation.location == "request" else event.response_body
    binary = event.request_binary if violation.location == "request" else event.response_binary
    if raw is None or binary:
        return False, None
    try:
        node: Any = json.loads(raw)
    except ValueError:
        return False, None
    for token in split_pointer(violation.where[len("body") :]):
        if isinstance(node, dict) and token in node:
            node = node[token]
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        else:
            return False, None
    return True, node


def auth_rows(event: Event) -> list[tuple[str, str]]:
    pluginlab = [
        (name, value) for name, value in event.request_headers if name.lower().startswith("x-")
    ]
    return [
        ("mode", event.auth_mode or "-"),
        ("decision", event.auth_result or "-"),
        ("user", event.user_id or "-"),
        ("plan", event.plan or "-"),
        ("client ip", event.client_ip or "-"),
        ("oauth client", event.oauth_client_id or "-"),
        ("conversation", event.conversation_id or "-"),
        *pluginlab,
    ]


def dance_title(dance: Dance) -> str:
    """The head of the Auth tab's timeline."""
    count = f"{len(dance.steps)} step{'s' if len(dance.steps) != 1 else ''}"
    if dance.client_id is None:
        return f"OAuth dance, no client known yet ({count})"
    return f"OAuth dance of client {dance.client_id} ({count})"


def dance_rows(dance: Dance) -> list[tuple[str, str, str, str, str]]:
    """The timeline's rows: time, step, status, auth_result, and the event id of each."""
    rows = []
    for step in dance.steps:
        name = step.step if step.count == 1 else f"{step.step} ×{step.count}"
        status = "---" if step.status is None else str(step.status)
        rows.append((step.ts[11:23], name, status, step.auth_result or "-", step.event_id))
    return rows


def dance_end(dance: Dance) -> str:
    """Where the dance stands: signed in and calling, or the step it stopped at and why."""
    last = dance.last
    if last is None:
        return "no step recorded"
    if last.step == "calls":
        return "signed in: the calls go through"
    failed = (last.status or 0) >= 400 or last.auth_result not in (None, "ok")
    if dance.client_id is None and not failed:
        return f"stopped after {last.step}: no client registered or named yet"
    if failed:
        why = f" ({last.auth_result})" if last.auth_result else ""
        return f"stopped at {last.step}: {last.status}{why}"
    return f"last step: {last.step} ({last.status})"


def timing_rows(event: Event) -> list[tuple[str, str]]:
    ms = "-" if event.duration_ms is None else f"{event.duration_ms:.1f} ms"
    return [
        ("arrived", event.ts),
        ("duration", ms),
        ("status", "none sent" if event.status is None else str(event.status)),
        ("error", event.error or "-"),
        ("source", event.source + (f" (replay of {event.replay_of})" if event.replay_of else "")),
        ("plugin version", "-" if event.version is None else str(event.version)),
        ("request size", f"{event.request_size:,} bytes"),
        ("response size", f"{event.response_size:,} bytes"),
        ("event id", event.event_id),
        ("marked", "yes" if event.marked else "no"),
        ("comment", event.comment or "-"),
    ]


def full_body(raw: str, binary: bool, *, pretty: bool) -> tuple[str, str]:
    """The whole body for a pager or an editor, and the file suffix that suits it."""
    if binary:
        return raw, ".b64"
    try:
        data = json.loads(raw)
    except ValueError:
        return raw, ".txt"
    return (json.dumps(data, indent=2, ensure_ascii=False) if pretty else raw), ".json"


# --- the JSON-RPC tab ---------------------------------------------------------------------------

_DIRECTIONS = {"client": "client → server", "server": "server → client"}


@dataclass(frozen=True, slots=True)
class RpcPart:
    """One part of a JSON-RPC message as shown: its title, and JSON text or a note."""

    title: str
    text: str
    json: bool


@dataclass(frozen=True, slots=True)
class RpcView:
    """An MCP event's JSON-RPC tab: facts, the request's params, the answer, the SSE frames."""

    facts: list[tuple[str, str]]
    parts: list[RpcPart]
    #: (time since the request, SSE id, event, size) per frame.
    frames: list[tuple[str, str, str, str]]


def _searched(body: str | None, binary: bool, truncated: bool, find: Found) -> Found:
    if binary:
        return Found(None, "the body is binary")
    if find.message is None and truncated and body:
        return Found(None, f"{find.note} (the stored body is cut)")
    return find


def _part(title: str, value: Any) -> RpcPart:
    text = pretty(value)
    if len(text) > DISPLAY_CAP:
        text = text[:DISPLAY_CAP] + "\n... (cut for display: the body tabs show it whole)"
    return RpcPart(title, text, True)


def _request_part(found: Found, notification: bool) -> RpcPart:
    message = found.message
    if message is None:
        return RpcPart("request", found.note, False)
    if message.kind == "invalid":
        return _part(f"invalid message: {message.problem}", message.value)
    kind = "notification" if notification else "request"
    if message.params is None:
        return RpcPart(f"{kind} params", "(none)", False)
    return _part(f"{kind} params", message.params)


def _answer_part(found: Found) -> RpcPart:
    message = found.message
    if message is None:
        return RpcPart("answer", found.note, False)
    if message.kind == "error":
        return _part("error", message.error)
    if message.kind == "invalid":
        return _part(f"invalid answer: {message.problem}", message.value)
    return _part("result", message.result)


def _outcome(event: Event, answer: Found) -> str:
    if event.rpc_error is not None:
        error = answer.message.error if answer.message is not None else None
        text = error.get("message") if isinstance(error, dict) else None
        return f"error {event.rpc_error}" + (f": {text}" if isinstance(text, str) else "")
    if event.is_error:
        return "result with isError: the tool failed"
    if answer.message is not None and answer.message.kind == "result":
        return "result"
    return "-"


def _exchange(event: Event) -> str:
    if event.exchange_id in (None, event.event_id):
        return "its own"
    return f"shared with other messages, the first event {event.exchange_id}"


def jsonrpc_view(event: Event) -> RpcView | None:
    """What the JSON-RPC tab shows of an MCP event (None: not an MCP event)."""
    if event.protocol != "mcp":
        return None
    facts = [
        ("method", event.rpc_method or "- (no JSON-RPC message: the exchange carried none)"),
        ("id", event.rpc_id or ("-" if event.rpc_method is None else "- (a notification)")),
        ("direction", _DIRECTIONS.get(event.rpc_direction or "", event.rpc_direction or "-")),
    ]
    if event.tool is not None:
        facts.append(("tool", event.tool))
    if event.resource_uri is not None:
        facts.append(("resource", event.resource_uri))
    parts: list[RpcPart] = []
    answer = Found(None)
    if event.rpc_method is not None:
        request = _searched(
            event.request_body,
            event.request_binary,
            event.request_truncated,
            find_request(event.request_body, event.rpc_id, event.rpc_method),
        )
        answer = _searched(
            event.response_body,
            event.response_binary,
            event.response_truncated,
            find_answer(event.response_body, event.rpc_id),
        )
        parts = [_request_part(request, event.rpc_id is None), _answer_part(answer)]
    facts += [
        ("outcome", _outcome(event, answer)),
        ("session", event.session_id or "-"),
        ("protocol version", event.protocol_version or "-"),
        ("HTTP exchange", _exchange(event)),
    ]
    return RpcView(facts, parts, frame_rows(event.frames))
