"""HAR 1.2: the store's exchanges out (with their verdicts), and other tools' captures in.

Export: one entry per HTTP exchange, in time order. Each entry carries the pluginlab verdict in
the custom `_pluginlab` field (HAR allows fields starting with `_`): event id, source, operation,
violations, auth result, protocol. The MCP events of one exchange (a batch, the server's messages
on a stream: one exchange_id) are one entry whose `_pluginlab.messages` keeps each message's
fields (rpc_method, rpc_id, tool, session_id, violations, frames...). Redacted secrets stay
`[redacted]`.

Import: entries from a browser's devtools, mitmproxy, Insomnia, another pluginlab-tui... become
events with source=import: redacted like live traffic (the same Redactor), bodies cut at the
store's cap, and each one validated against the spec in service at import time. An MCP entry
of ours gives back one event per message with its fields and recorded violations (MCP checks
need the session's history, so they are not made again); an entry on the MCP endpoint is not
held to the OpenAPI spec. A hostile file
(huge numbers, lone surrogates, wrong shapes, bodies nested too deeply to check) costs only the
entries that are bad: each is skipped with a reason, the others imported.

    har = to_har(events)                    # a dict, json.dumps it
    events = from_har(har, served=...)      # Event objects, ready for insert_events
"""

from __future__ import annotations

import base64
import binascii
import math
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from pluginlab_tui import __version__
from pluginlab_tui.access.redaction import Redactor
from pluginlab_tui.contract.verdict import verdict
from pluginlab_tui.replay.request import event_body
from pluginlab_tui.store import lossless
from pluginlab_tui.store.event import MAX_FRAMES, Event, iso
from pluginlab_tui.store.parts import Message, Rpc, event_from_parts, header
from pluginlab_tui.validation.validator import ContractValidator, HttpRequest, HttpResponse
from pluginlab_tui.validation.violations import Violation
from pluginlab_tui.wire import IMPORT, REDACTED

HAR_VERSION = "1.2"
#: Imported entries get stable ids: the same entry imported twice is stored once.
#: Checks skipped kept per imported message, at most.
MAX_SKIPPED = 50
_IMPORT_NAMESPACE = uuid.UUID("6f1c5a52-4d7e-4f7a-9a43-58c1e6a0b7d1")


class HarError(ValueError):
    """Not a HAR file (the message says what is wrong)."""


# -- export -----------------------------------------------------------------------------------


def _pairs(headers: Iterable[tuple[str, str]]) -> list[dict[str, str]]:
    return [{"name": k, "value": v} for k, v in headers]


def _cookies(header: str | None) -> list[dict[str, str]]:
    if not header or header == REDACTED:
        return []
    out = []
    for part in header.split(";"):
        name, sep, value = part.strip().partition("=")
        if sep and name:
            out.append({"name": name, "value": value})
    return out


def _har_time(ts: str) -> str:
    """The store's `...T09:00:00.123Z` as HAR's ISO 8601 with an offset."""
    return ts[:-1] + "+00:00" if ts.endswith("Z") else ts


#: An MCP event's fields that a HAR entry keeps, per message, in `_pluginlab.messages`.
MCP_FIELDS = (
    "rpc_method",
    "rpc_id",
    "rpc_direction",
    "tool",
    "resource_uri",
    "session_id",
    "protocol_version",
    "rpc_error",
    "is_error",
)


def _message(event: Event) -> dict[str, Any]:
    """One MCP message of an exchange: its event's own fields (the HTTP ones are the entry's)."""
    out: dict[str, Any] = {
        "event_id": event.event_id,
        "ts": event.ts,
        "source": event.source,
        "replay_of": event.replay_of,
        "duration_ms": event.duration_ms,
    }
    out.update({name: getattr(event, name) for name in MCP_FIELDS})
    out["violations"] = [v.to_dict() for v in event.violations]
    out["frames"] = event.frames
    out["skipped"] = event.skipped
    return out


def exchanges(events: Iterable[Event]) -> list[list[Event]]:
    """The events grouped by HTTP exchange (exchange_id), in the order each exchange first
    appears; an event without an exchange_id is an exchange of its own."""
    groups: dict[str, list[Event]] = {}
    for event in events:
        groups.setdefault(event.exchange_id or event.event_id, []).append(event)
    return list(groups.values())


def entry_of(event: Event, messages: Sequence[Event] = ()) -> dict[str, Any]:
    """One HTTP exchange as a HAR 1.2 entry (with `_pluginlab`): the event's HTTP fields, and
    for MCP the fields of each message that travelled in it (`messages`, default the event's)."""
    req_type = header(event.request_headers, "content-type") or ""
    request: dict[str, Any] = {
        "method": event.method,
        "url": event.url,
        "httpVersion": "HTTP/1.1",
        "cookies": _cookies(header(event.request_headers, "cookie")),
        "headers": _pairs(event.request_headers),
        "queryString": [
            {"name": k, "value": v} for k, v in parse_qsl(event.query, keep_blank_values=True)
        ],
        "headersSize": -1,
        "bodySize": event.request_size if event.request_body is not None else 0,
    }
    if event.request_body:
        post: dict[str, Any] = {"mimeType": req_type, "text": event.request_body}
        if event.request_binary:
            post["_encoding"] = "base64"
        if req_type.startswith("application/x-www-form-urlencoded") and not event.request_binary:
            post["params"] = [
                {"name": k, "value": v}
                for k, v in parse_qsl(event.request_body, keep_blank_values=True)
            ]
        request["postData"] = post
    res_type = header(event.response_headers, "content-type") or ""
    content: dict[str, Any] = {"size": event.response_size, "mimeType": res_type}
    if event.response_body is not None:
        content["text"] = event.response_body
        if event.response_binary:
            content["encoding"] = "base64"
    response: dict[str, Any] = {
        "status": event.status if event.status is not None else 0,
        "statusText": _reason(event.status),
        "httpVersion": "HTTP/1.1",
        "cookies": [],
        "headers": _pairs(event.response_headers),
        "content": content,
        "redirectURL": header(event.response_headers, "location") or "",
        "headersSize": -1,
        "bodySize": event.response_size if event.status is not None else -1,
    }
    duration = float(event.duration_ms or 0.0)
    entry: dict[str, Any] = {
        "startedDateTime": _har_time(event.ts),
        "time": duration,
        "request": request,
        "response": response,
        "cache": {},
        "timings": {"send": 0, "wait": duration, "receive": 0},
        "_pluginlab": {
            "event_id": event.event_id,
            "source": event.source,
            "replay_of": event.replay_of,
            "operation_id": event.operation_id,
            "version": event.version,
            "violations": [v.to_dict() for v in event.violations],
            "violation_count": event.violation_count,
            "error": event.error,
            "auth_mode": event.auth_mode,
            "auth_result": event.auth_result,
            "user_id": event.user_id,
            "plan": event.plan,
            "request_truncated": event.request_truncated,
            "response_truncated": event.response_truncated,
            "client_ip": event.client_ip,
            "protocol": event.protocol,
        },
    }
    if event.protocol == "mcp":
        entry["_pluginlab"]["exchange_id"] = event.exchange_id
        entry["_pluginlab"]["messages"] = [_message(e) for e in (messages or [event])]
    if event.error:
        entry["response"]["_error"] = event.error
    return entry


def _reason(status: int | None) -> str:
    if status is None:
        return ""
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def to_har(events: Iterable[Event], redactor: Redactor | None = None) -> dict[str, Any]:
    """A HAR 1.2 document of the events, each passed through the redactor (the minted-token
    pattern and the default header names when none is given): secrets stay out of exports even
    from a store written before they were redacted."""
    redactor = redactor or Redactor()
    return {
        "log": {
            "version": HAR_VERSION,
            "creator": {"name": "pluginlab-tui", "version": __version__},
            "pages": [],
            "entries": [
                entry_of(group[0], group)
                for group in exchanges(redactor.event(replace(e)) for e in events)
            ],
        }
    }


# -- import -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportOptions:
    body_cap: int = 1_048_576
    #: The proxy's redaction (Redactor.from_config), applied to every imported event.
    redactor: Redactor = field(default_factory=Redactor)
    validator: ContractValidator | None = None
    version: int | None = None
    #: Whether a path is the MCP endpoint (config.mcp.covers): its entries are not validated.
    mcp_paths: Callable[[str], bool] | None = None


@dataclass
class Imported:
    events: list[Event]
    #: Entries left out, with why (not HTTP, no method...).
    skipped: list[str]


#: HAR durations above this (milliseconds, about 31 years) are not believed.
_MAX_DURATION_MS = 1e12


def _clean(text: str) -> str:
    """Text that SQLite and UTF-8 can hold: lone surrogates written as `\\udXXX` escapes."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text


def _shown(value: Any, limit: int = 40) -> str:
    """A value for a one-line reason: short, printable, whatever it is."""
    try:
        text = _clean(str(value))
    except ValueError:  # an integer of more digits than Python converts
        return "(a number too long to show)"
    text = text.replace("\n", " ").replace("\r", " ")
    return text if len(text) <= limit else text[:limit] + "..."


def _scalar(value: Any) -> str | None:
    """A header or parameter value as text; None for what is not a string or a number."""
    if isinstance(value, str):
        return _clean(value)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        return str(value)
    except ValueError:
        return None


def _text_pairs(items: Any) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    if isinstance(items, list):
        for item in items:
            if isinstance(item, dict) and isinstance(item.get("name"), str):
                value = _scalar(item.get("value", ""))
                out.append((_clean(item["name"]), "" if value is None else value))
    return out


def _clean_headers(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """HTTP/2 pseudo-headers (Chrome's :authority, :path...) are not headers of the exchange."""
    return [(k, v) for k, v in headers if not k.startswith(":")]


def _decode(text: Any, encoding: Any) -> bytes | None:
    if not isinstance(text, str):
        return None
    if isinstance(encoding, str) and encoding.lower() == "base64":
        try:
            return base64.b64decode(text, validate=False)
        except (binascii.Error, ValueError):
            pass
    # a lone surrogate keeps its bytes: the body is then not UTF-8 and is stored as base64
    return lossless.encode(text)


def _started(value: Any) -> str:
    if isinstance(value, str):
        try:
            return iso(datetime.fromisoformat(value.replace("Z", "+00:00")))
        except (ValueError, OverflowError):
            pass
    return iso(datetime.now(UTC))


def _status(value: Any) -> int | None:
    """The entry's status: None for none (0, -1, absent); HarError for one no HTTP has."""
    if value is None or (isinstance(value, int) and not isinstance(value, bool) and value <= 0):
        return None
    if isinstance(value, int) and not isinstance(value, bool) and 100 <= value <= 999:
        return value
    raise HarError(f"status {_shown(value)} is not an HTTP status")


def _duration(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, int) and not 0 <= value <= _MAX_DURATION_MS:
        return None
    duration = float(value)
    return duration if math.isfinite(duration) and 0 <= duration <= _MAX_DURATION_MS else None


def events_from_entry(entry: dict[str, Any], options: ImportOptions) -> list[Event]:
    """One HAR entry as its events (source=import): one, or one per MCP message it carried."""
    lab = entry.get("_pluginlab")
    lab = lab if isinstance(lab, dict) else {}
    event = event_from_entry(entry, options, mcp=lab.get("protocol") == "mcp")
    if event.protocol != "mcp":
        return [event]
    messages = lab.get("messages")
    items = [m for m in messages if isinstance(m, dict)] if isinstance(messages, list) else []
    if not items:
        return [event]
    out: list[Event] = []
    for index, item in enumerate(items):
        seed = f"{event.event_id}|{index}"
        event_id = event.event_id if index == 0 else str(uuid.uuid5(_IMPORT_NAMESPACE, seed))
        message = replace(
            event,
            event_id=event_id,
            ts=_started(item["ts"]) if isinstance(item.get("ts"), str) else event.ts,
            duration_ms=_duration(item.get("duration_ms")) or event.duration_ms,
            violations=_recorded_violations(item.get("violations")),
            exchange_id=event.event_id,
            frames=_frames(item.get("frames")),
            skipped=_skipped(item.get("skipped")),
            raw=dict(event.raw),
        )
        for name in MCP_FIELDS:
            setattr(message, name, _mcp_field(name, item.get(name)))
        out.append(options.redactor.event(message))
    return out


def _mcp_field(name: str, value: Any) -> Any:
    """An MCP field as the entry gives it, when it has the field's type (else None)."""
    if name == "rpc_error":
        return value if isinstance(value, int) and not isinstance(value, bool) else None
    if name == "is_error":
        return value if isinstance(value, bool) else None
    if name == "rpc_direction":
        return value if value in ("client", "server") else None
    return _clean(value)[:2000] if isinstance(value, str) else None


def _recorded_violations(items: Any) -> list[Violation]:
    out: list[Violation] = []
    for item in items if isinstance(items, list) else []:
        if isinstance(item, dict) and isinstance(item.get("code"), str):
            found = Violation.from_dict(item)
            out.append(replace(found, message=_clean(found.message), where=_clean(found.where)))
    return out


def _skipped(items: Any) -> list[str]:
    """The checks a recorded message could not run, each with why (strings, bounded)."""
    if not isinstance(items, list):
        return []
    return [_clean(s)[:2000] for s in items if isinstance(s, str)][:MAX_SKIPPED]


def _frames(items: Any) -> list[dict[str, Any]]:
    if not isinstance(items, list):
        return []
    return [f for f in items if isinstance(f, dict)][:MAX_FRAMES]


def event_from_entry(entry: dict[str, Any], options: ImportOptions, *, mcp: bool = False) -> Event:
    """One HAR entry as an event (source=import), validated when a validator is given.

    An MCP exchange (`mcp`, or a path on the MCP endpoint) is protocol "mcp", not validated."""
    request = entry.get("request")
    if not isinstance(request, dict):
        raise HarError("an entry has no request object")
    method, url = request.get("method"), request.get("url")
    if not isinstance(url, str) or not url:
        raise HarError("the request has no url")
    if not isinstance(method, str) or not method.strip():
        raise HarError("the request has no method")
    method, url = _clean(method).upper(), _clean(url)
    try:
        parts = urlsplit(url)
    except ValueError:
        raise HarError(f"not a URL: {_shown(url, 80)}") from None
    if parts.scheme not in ("http", "https") or len(method) > 32 or not method.isascii():
        raise HarError(f"not an HTTP request: {_shown(method, 32)} {_shown(url, 80)}")
    req_headers = _clean_headers(_text_pairs(request.get("headers")))
    post = request.get("postData") if isinstance(request.get("postData"), dict) else None
    req_body: bytes | None = b""  # no postData: an empty body, as the proxy records one
    if post is not None:
        req_body = _decode(post.get("text"), post.get("encoding") or post.get("_encoding"))
        if req_body is None and isinstance(post.get("params"), list):
            from urllib.parse import urlencode

            req_body = urlencode(_text_pairs(post["params"])).encode("utf-8")
        if req_body is not None and header(req_headers, "content-type") is None:
            mime = post.get("mimeType")
            if isinstance(mime, str) and mime:
                req_headers.append(("Content-Type", _clean(mime)))
    response = entry.get("response") if isinstance(entry.get("response"), dict) else {}
    assert isinstance(response, dict)
    status = _status(response.get("status"))
    res_headers = _clean_headers(_text_pairs(response.get("headers")))
    content = response.get("content") if isinstance(response.get("content"), dict) else {}
    assert isinstance(content, dict)
    res_body = _decode(content.get("text"), content.get("encoding"))
    duration_ms = _duration(entry.get("time"))
    violations: list[Violation] = []
    operation_id = None
    mcp = mcp or (options.mcp_paths is not None and options.mcp_paths(parts.path or "/"))
    if options.validator is not None and not mcp:
        found = verdict(
            options.validator,
            HttpRequest(method, parts.path or "/", parts.query, req_headers, req_body),
            None if status is None else HttpResponse(status, res_headers, res_body),
            duration_ms or 0.0,
        )
        operation_id, violations = found.operation_id, found.violations
    started = _started(entry.get("startedDateTime"))
    seed = f"{started}|{method}|{url}|{status}|{len(req_body or b'')}|{len(res_body or b'')}"
    error = _clean(response["_error"]) if isinstance(response.get("_error"), str) else None
    if status is None and error is None:
        error = "no response in the HAR entry"
    event = event_from_parts(
        event_id=str(uuid.uuid5(_IMPORT_NAMESPACE, seed)),
        ts=started,
        source=IMPORT,
        method=method,
        url=url,
        path=parts.path or "/",
        query=parts.query,
        request=Message.kept(req_headers, req_body, options.body_cap),
        response=Message.kept(res_headers, res_body, options.body_cap),
        operation_id=operation_id,
        status=status,
        duration_ms=duration_ms,
        version=options.version,
        violations=violations,
        error=error,
        rpc=Rpc() if mcp else None,
    )
    return options.redactor.event(event)


def from_har(
    har: Any,
    options: ImportOptions | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Imported:
    """Every HTTP entry of a HAR document as an event; other entries are skipped with a reason.

    HarError when the document is not a HAR at all. A bad entry (wrong shapes, a status no HTTP
    has, a body nested too deeply to check...) is skipped with a one-line reason, redacted."""
    if not isinstance(har, dict) or not isinstance(har.get("log"), dict):
        raise HarError("not a HAR file: no top-level 'log' object")
    entries = har["log"].get("entries")
    if not isinstance(entries, list):
        raise HarError("not a HAR file: 'log.entries' is not a list")
    options = options or ImportOptions()
    events: list[Event] = []
    skipped: list[str] = []
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict):
            skipped.append(f"entry {index}: not an object")
            continue
        try:
            events.extend(events_from_entry(entry, options))
        except HarError as exc:
            skipped.append(f"entry {index}: {options.redactor.message(str(exc))}")
        except RecursionError:
            skipped.append(f"entry {index}: a body nested too deeply to check")
        except Exception as exc:  # hostile input costs its entry, never the import
            reason = options.redactor.message(_shown(exc, 120))
            skipped.append(f"entry {index}: cannot be read: {type(exc).__name__}: {reason}")
        if progress is not None:
            progress(index + 1, len(entries))
    events.sort(key=lambda e: e.ts)
    return Imported(events, skipped)


def request_body_of(event: Event) -> bytes | None:
    """The request body an exported entry carries (for tests and callers comparing)."""
    return event_body(event.request_body, event.request_binary)
