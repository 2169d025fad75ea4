"""Replay: re-send recorded requests through the proxy or straight to a target, and compare.

Through the proxy the request carries the replay grant (see proxy/grant.py): the proxy records
it again as source=replay, linked to its original (replay_of), on behalf of the original caller.
Straight to a target URL it carries the credentials the user gives (the store keeps none), and
its verdict is checked here against the spec in service.

What the TUI and the CLI call:

    replayer = Replayer.for_config(config)                # through the proxy of this config
    result = replayer.replay(event)                        # one event, as recorded
    result = replayer.replay(event, edited_request)        # edited (parse_document / editor)
    results = replayer.replay_many(events, progress=cb)   # a batch
    result.diff.lines()                                     # status, headers, JSON body changes

    request = ReplayRequest.from_event(event)
    text = to_document(request); request = parse_document(text)   # the editable form
    request = edit_in_editor(request)                              # $VISUAL / $EDITOR
"""

from __future__ import annotations

import json
import os
import re
import shlex
import sqlite3
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from pluginlab_tui.config import Config
from pluginlab_tui.contract.recorded import Contracts
from pluginlab_tui.contract.verdict import verdict
from pluginlab_tui.errors import UsageError
from pluginlab_tui.proxy.grant import GRANT_HEADER, Grant, sign, store_secret
from pluginlab_tui.store import queries
from pluginlab_tui.store.database import open_store
from pluginlab_tui.store.event import Event
from pluginlab_tui.validation.validator import HttpRequest, HttpResponse
from pluginlab_tui.validation.violations import Violation

REDACTED = "[redacted]"
TOKEN_ENV = "PLUGINLAB_TOKEN"
EVENT_HEADER = "x-pluginlab-event-id"

#: Request headers never re-sent: they belong to the connection or are made again.
SKIP_REQUEST_HEADERS = frozenset(
    {
        "host",
        "content-length",
        "connection",
        "keep-alive",
        "proxy-connection",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "x-pluginlab-replay",
    }
)
#: Response headers that differ on every answer; left out of a comparison.
VOLATILE_HEADERS = frozenset(
    {
        "date",
        "server",
        "content-length",
        "connection",
        "keep-alive",
        "transfer-encoding",
        "age",
        "expires",
        "x-pluginlab-event-id",
        "x-pluginlab-violations",
        "x-request-id",
        "x-runtime",
    }
)


# -- the request ------------------------------------------------------------------------------


@dataclass
class ReplayRequest:
    """What is sent: method, path (no query), raw query string, headers in order, body."""

    method: str
    path: str
    query: str = ""
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes | None = None

    @classmethod
    def from_event(cls, event: Event) -> ReplayRequest:
        return cls(
            method=event.method,
            path=event.path,
            query=event.query,
            headers=[
                (k, v) for k, v in event.request_headers if k.lower() not in SKIP_REQUEST_HEADERS
            ],
            body=event_body(event.request_body, event.request_binary),
        )

    @property
    def target(self) -> str:
        """The path with its query, as on a request line."""
        return self.path + ("?" + self.query if self.query else "")

    def header(self, name: str) -> str | None:
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None


def event_body(text: str | None, binary: bool) -> bytes | None:
    """A stored body as bytes (stored binary bodies are base64)."""
    if text is None:
        return None
    if binary:
        import base64

        return base64.b64decode(text)
    return text.encode("utf-8")


@dataclass(frozen=True)
class Credentials:
    """What replaces the redacted credentials when a request goes straight to a target."""

    token: str
    header: str = "Authorization"
    #: Bearer or Basic in front of the token (Authorization only); None: the bare token.
    scheme: str | None = "Bearer"

    @classmethod
    def for_config(cls, token: str, config: Config) -> Credentials:
        auth = config.auth
        if auth.mode == "api_key" and auth.api_key_header.lower() != "authorization":
            return cls(token, auth.api_key_header, None)
        return cls(token, "Authorization", auth.authorization_type.capitalize())

    def value(self) -> str:
        return f"{self.scheme} {self.token}" if self.scheme else self.token


def outgoing_headers(
    request: ReplayRequest, credentials: Credentials | None = None
) -> list[tuple[str, str]]:
    """The headers to send: redacted values dropped, credentials put in when given."""
    out = [
        (k, v)
        for k, v in request.headers
        if v != REDACTED and k.lower() not in SKIP_REQUEST_HEADERS
    ]
    if credentials is not None:
        out = [(k, v) for k, v in out if k.lower() != credentials.header.lower()]
        out.append((credentials.header, credentials.value()))
    return out


def redacted_credentials(request: ReplayRequest) -> list[str]:
    """Names of the request's headers whose values the store redacted."""
    return [k for k, v in request.headers if v == REDACTED]


# -- the editable document --------------------------------------------------------------------


class EditError(UsageError):
    """The edited document is not a request; the message names the line."""


_DOC_HELP = (
    "# Edit the request, save and quit to send it; an empty file cancels.\n"
    "# Request line, then headers, a blank line, and the body (as it is sent).\n"
)
_REQUEST_LINE = re.compile(r"^([A-Za-z]+)\s+(\S+)(?:\s+HTTP/\d(?:\.\d)?)?\s*$")


def to_document(request: ReplayRequest, *, help_text: bool = True) -> str:
    """The request as an HTTP-like text to edit."""
    lines = [f"{request.method} {request.target}"]
    lines += [f"{k}: {v}" for k, v in request.headers]
    head = (_DOC_HELP if help_text else "") + "\n".join(lines) + "\n"
    if request.body is None or request.body == b"":
        return head
    try:
        body = request.body.decode("utf-8")
    except UnicodeDecodeError:
        raise EditError("the body is binary and cannot be edited as text") from None
    return head + "\n" + body + ("" if body.endswith("\n") else "\n")


def parse_document(text: str) -> ReplayRequest:
    """The request an edited document describes; EditError (naming the line) when it is not."""
    lines = text.split("\n")
    index = 0
    while index < len(lines) and (lines[index].startswith("#") or not lines[index].strip()):
        index += 1
    if index == len(lines):
        raise EditError("the document is empty: nothing to send")
    match = _REQUEST_LINE.match(lines[index].strip())
    if match is None:
        raise EditError(
            f"line {index + 1}: expected a request line like 'GET /path?query', "
            f"found {lines[index].strip()!r}"
        )
    method, target = match.group(1).upper(), match.group(2)
    if "://" in target:
        from urllib.parse import urlsplit

        parts = urlsplit(target)
        target = parts.path + ("?" + parts.query if parts.query else "")
    if not target.startswith("/"):
        raise EditError(f"line {index + 1}: the path must start with /")
    path, _, query = target.partition("?")
    headers: list[tuple[str, str]] = []
    index += 1
    while index < len(lines) and lines[index].strip():
        line = lines[index]
        if line.startswith("#"):
            index += 1
            continue
        name, sep, value = line.partition(":")
        if not sep or not name.strip() or " " in name.strip():
            raise EditError(f"line {index + 1}: expected a header 'Name: value', found {line!r}")
        headers.append((name.strip(), value.strip()))
        index += 1
    body: bytes | None = None
    if index < len(lines):
        rest = "\n".join(lines[index + 1 :]).rstrip("\n")  # editors add final newlines
        body = rest.encode("utf-8") if rest else None
    return ReplayRequest(method, path, query, headers, body)


def edit_in_editor(request: ReplayRequest, editor: str | None = None) -> ReplayRequest | None:
    """Open the request in $VISUAL or $EDITOR; the edited request, or None when cancelled."""
    command = editor or os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
    with tempfile.TemporaryDirectory(prefix="pluginlab-replay-") as folder:
        path = Path(folder) / "request.http"
        path.write_text(to_document(request), encoding="utf-8")
        try:
            done = subprocess.run([*shlex.split(command), str(path)], check=False)
        except OSError as exc:
            raise UsageError(f"cannot start the editor {command!r}: {exc.strerror}") from None
        if done.returncode != 0:
            raise UsageError(f"the editor {command!r} exited with {done.returncode}; not sent")
        text = path.read_text(encoding="utf-8")
    if not text.strip() or all(line.startswith("#") for line in text.strip().splitlines()):
        return None
    return parse_document(text)


# -- the comparison ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    """One difference: where (`status`, `header.X`, or a body path like `$.todos[0].id`)."""

    where: str
    kind: str  # changed | added | removed | type
    old: Any = None
    new: Any = None

    def to_dict(self) -> dict[str, Any]:
        return {"where": self.where, "kind": self.kind, "old": self.old, "new": self.new}

    def line(self) -> str:
        if self.kind == "added":
            return f"+ {self.where}: {_show(self.new)}"
        if self.kind == "removed":
            return f"- {self.where}: {_show(self.old)}"
        return f"~ {self.where}: {_show(self.old)} -> {_show(self.new)}"


def _show(value: Any, limit: int = 80) -> str:
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


@dataclass(frozen=True)
class ResponseDiff:
    status: Change | None = None
    headers: list[Change] = field(default_factory=list)
    body: list[Change] = field(default_factory=list)
    #: Why part of the answers could not be compared (a cut body, say).
    notes: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return self.status is not None or bool(self.headers) or bool(self.body)

    @property
    def changes(self) -> list[Change]:
        return ([self.status] if self.status else []) + self.headers + self.body

    def lines(self) -> list[str]:
        return [c.line() for c in self.changes] + [f"  ({n})" for n in self.notes]

    def to_dict(self) -> dict[str, Any]:
        return {
            "changed": self.changed,
            "changes": [c.to_dict() for c in self.changes],
            "notes": list(self.notes),
        }


def _segments(path: str) -> list[str]:
    """'$.todos[0].id', 'todos.*.id' or '/todos/0/id' -> ['todos', '0', 'id']."""
    text = path.strip()
    if text.startswith("/"):
        return [p.replace("~1", "/").replace("~0", "~") for p in text[1:].split("/") if p]
    text = text.removeprefix("$").lstrip(".")
    text = re.sub(r"\[(\*|\d+)\]", r".\1", text)
    text = re.sub(r"\[['\"]([^'\"]*)['\"]\]", r".\1", text)
    return [p for p in text.split(".") if p]


def _ignored(path: list[str], patterns: list[list[str]]) -> bool:
    for pattern in patterns:
        if len(pattern) <= len(path) and all(
            p == "*" or p == s for p, s in zip(pattern, path, strict=False)
        ):
            return True  # a pattern also covers everything below it
    return False


def _display(path: list[str | int]) -> str:
    out = "$"
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        elif re.fullmatch(r"[A-Za-z_][A-Za-z0-9_-]*", part):
            out += "." + part
        else:
            out += f"[{json.dumps(part)}]"
    return out


def json_diff(old: Any, new: Any, ignore: Sequence[str] = ()) -> list[Change]:
    """Structural differences between two JSON values (paths in ignore are skipped)."""
    patterns = [_segments(p) for p in ignore]
    out: list[Change] = []

    def walk(a: Any, b: Any, path: list[str | int]) -> None:
        if patterns and _ignored([str(p) for p in path], patterns):
            return
        if isinstance(a, dict) and isinstance(b, dict):
            for key in a:
                if key not in b:
                    if not _ignored([*map(str, path), str(key)], patterns):
                        out.append(Change(_display([*path, key]), "removed", a[key], None))
                else:
                    walk(a[key], b[key], [*path, key])
            for key in b:
                if key not in a and not _ignored([*map(str, path), str(key)], patterns):
                    out.append(Change(_display([*path, key]), "added", None, b[key]))
            return
        if isinstance(a, list) and isinstance(b, list):
            for index in range(max(len(a), len(b))):
                sub = [*path, index]
                if index >= len(a):
                    if not _ignored([str(p) for p in sub], patterns):
                        out.append(Change(_display(sub), "added", None, b[index]))
                elif index >= len(b):
                    if not _ignored([str(p) for p in sub], patterns):
                        out.append(Change(_display(sub), "removed", a[index], None))
                else:
                    walk(a[index], b[index], sub)
            return
        if type(a) is not type(b) and not (_number(a) and _number(b)):
            out.append(Change(_display(path), "type", a, b))
        elif a != b:
            out.append(Change(_display(path), "changed", a, b))

    walk(old, new, [])
    return out


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _header_map(headers: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for key, value in headers:
        out.setdefault(key.lower(), []).append(value)
    return out


def diff_responses(
    original: Event,
    status: int | None,
    headers: Sequence[tuple[str, str]],
    body: bytes | None,
    *,
    ignore_paths: Sequence[str] = (),
    ignore_headers: Iterable[str] = (),
) -> ResponseDiff:
    """The new answer against the original's: status, headers (volatile ones left out), body."""
    skip = VOLATILE_HEADERS | {h.lower() for h in ignore_headers}
    status_change = (
        Change("status", "changed", original.status, status) if original.status != status else None
    )
    old_h = _header_map(original.response_headers)
    new_h = _header_map(headers)
    header_changes: list[Change] = []
    for name in sorted(set(old_h) | set(new_h)):
        if name in skip:
            continue
        a, b = old_h.get(name), new_h.get(name)
        if a is not None and all(v == REDACTED for v in a):
            continue
        if a is None:
            header_changes.append(Change(f"header.{name}", "added", None, _one(b)))
        elif b is None:
            header_changes.append(Change(f"header.{name}", "removed", _one(a), None))
        elif a != b:
            header_changes.append(Change(f"header.{name}", "changed", _one(a), _one(b)))
    notes: list[str] = []
    body_changes: list[Change] = []
    if original.response_truncated:
        notes.append("the original body was cut when stored; bodies not compared")
    else:
        old_body = event_body(original.response_body, original.response_binary) or b""
        new_body = body or b""
        old_json, new_json = _json(old_body), _json(new_body)
        if old_json is not _NOT_JSON and new_json is not _NOT_JSON:
            body_changes = json_diff(old_json, new_json, ignore_paths)
        elif old_body != new_body:
            body_changes = [
                Change("$", "changed", _text(old_body), _text(new_body)),
            ]
    return ResponseDiff(status_change, header_changes, body_changes, notes)


def _one(values: list[str] | None) -> str | list[str] | None:
    if values is None:
        return None
    return values[0] if len(values) == 1 else values


_NOT_JSON = object()


def _json(body: bytes) -> Any:
    if not body.strip():
        return _NOT_JSON
    try:
        return json.loads(body)
    except ValueError:
        return _NOT_JSON


def _text(body: bytes, limit: int = 200) -> str:
    text = body.decode("utf-8", "replace")
    return text if len(text) <= limit else text[:limit] + "..."


# -- sending ----------------------------------------------------------------------------------


@dataclass
class ReplayResult:
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
        self._secret: bytes | None = None
        self.client = httpx.Client(trust_env=False, timeout=timeout_s, follow_redirects=False)

    @classmethod
    def for_config(
        cls,
        config: Config,
        *,
        target: str | None = None,
        db: Path | None = None,
        credentials: Credentials | None = None,
        proxy_url: str | None = None,
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

    def _grant(self, original: Event | None) -> str | None:
        if self.conn is None:
            return None
        if self._secret is None:
            self._secret = store_secret(self.conn)
        grant = Grant(
            source="replay",
            replay_of=None if original is None else original.event_id,
            user_id=None if original is None else original.user_id,
            plan=None if original is None else original.plan,
        )
        return sign(grant, self._secret)

    def send(self, request: ReplayRequest, original: Event | None = None) -> ReplayResult:
        """Send one request; the result has the answer and, when original is given, the diff."""
        headers = outgoing_headers(request, self.credentials)
        if self.through_proxy:
            grant = self._grant(original)
            if grant is not None:
                headers.append((GRANT_HEADER, grant))
        result = ReplayResult(request=request, original=original)
        started = time.perf_counter()
        try:
            answer = self.client.request(
                request.method,
                self.base_url + request.target,
                headers=headers,
                content=request.body,
            )
        except httpx.ConnectError as exc:
            where = "the proxy" if self.through_proxy else "the target"
            hint = " (is `pluginlab-tui serve` running?)" if self.through_proxy else ""
            raise UsageError(f"cannot reach {where} at {self.base_url}{hint}: {exc}") from None
        except httpx.HTTPError as exc:
            result.duration_ms = (time.perf_counter() - started) * 1000
            result.error = f"{type(exc).__name__}: {exc}"
            return result
        result.duration_ms = (time.perf_counter() - started) * 1000
        result.status = answer.status_code
        result.headers = list(answer.headers.multi_items())
        result.body = answer.content
        result.event_id = answer.headers.get(EVENT_HEADER)
        if original is not None:
            result.diff = diff_responses(
                original,
                result.status,
                result.headers,
                result.body,
                ignore_paths=self.ignore_paths,
                ignore_headers=self.ignore_headers,
            )
        return result

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
            if result.checked_by == "none" and result.status is not None:
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


__all__ = [
    "Change",
    "Credentials",
    "EditError",
    "ReplayRequest",
    "ReplayResult",
    "Replayer",
    "ResponseDiff",
    "diff_responses",
    "edit_in_editor",
    "json_diff",
    "parse_document",
    "replay_event",
    "to_document",
]
