"""One MCP message and what is known around it, to violations and facts.

Shapes come from mcp-types (the version gate raises KeyError, an unknown version ValueError, a
wrong shape a pydantic ValidationError); tool arguments and structured results are checked
against the catalogue's compiled schemas. JSON-RPC errors and isError results are facts on the
verdict, not violations.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import UnionType
from typing import Any, get_args

import pydantic
from mcp.shared.inbound import NAME_BEARING_METHODS, decode_header_value
from mcp_types import methods
from mcp_types.version import HANDSHAKE_PROTOCOL_VERSIONS, KNOWN_PROTOCOL_VERSIONS

from pluginlab_tui.contract.document import pointer
from pluginlab_tui.mcp.catalogue import WIDGET_MIME_TYPES, Catalogue, template_uris
from pluginlab_tui.mcp.jsonrpc import Message
from pluginlab_tui.mcp.sessions import (
    VERSION_HEADER,
    Direction,
    Era,
    Pending,
    Transport,
    header,
    is_at_least,
    meta_version,
)
from pluginlab_tui.validation.schemas import CompiledSchema, show
from pluginlab_tui.validation.violations import Location, Violation

#: Violations reported per pydantic or schema error list, at most.
MAX_PER_CHECK = 20


@dataclass(frozen=True, slots=True)
class Context:
    """What the proxy knows around one message.

    `version` is the version in force (sessions.version_in_force for client messages, the
    request's for its answer); `request` is the request a result or error answers.
    """

    direction: Direction
    version: str | None
    era: Era = "handshake"
    headers: Mapping[str, str] = field(default_factory=dict)
    negotiated: str | None = None
    request: Pending | None = None
    catalogue: Catalogue | None = None
    #: Why there is no catalogue to check against, beyond "none seen yet" (the proxy's own
    #: tools/list could not be made, say); said in the checks skipped.
    catalogue_note: str | None = None
    session_id: str | None = None
    session_known: bool = True
    sessions_issued: bool = False
    duplicate_id: bool = False
    duration_ms: float | None = None
    slow_ms: float | None = None
    #: "sse": the older HTTP+SSE transport, whose POSTs carry no version header and name their
    #: session in the query.
    transport: Transport = "streamable-http"


@dataclass(frozen=True, slots=True)
class Verdict:
    """The violations of one message, its facts, and the checks that could not run (and why)."""

    violations: list[Violation]
    rpc_error: int | None = None
    is_error: bool | None = None
    #: The tool of a tools/call, the prompt of a prompts/get.
    tool: str | None = None
    resource_uri: str | None = None
    skipped: list[str] = field(default_factory=list)

    @property
    def codes(self) -> set[str]:
        return {v.code for v in self.violations}


def _location(message: Message, direction: Direction) -> Location:
    if message.kind in ("request", "notification"):
        return "request"
    if message.kind in ("result", "error"):
        return "response"
    return "request" if direction == "client" else "response"


class _Run:
    def __init__(self, message: Message, ctx: Context) -> None:
        self.message = message
        self.ctx = ctx
        self.location = _location(message, ctx.direction)
        self.violations: list[Violation] = []
        self.skipped: list[str] = []

    def add(self, code: str, where: str, message: str, keyword: str | None = None) -> None:
        self.violations.append(Violation(code, self.location, where, message, keyword))

    # -- shapes (mcp-types) -----------------------------------------------------------------

    def shape(self, check: Callable[[], object], what: str, prefix: str) -> bool:
        """Run an mcp-types check; False (and violations) when it refused the message."""
        try:
            check()
        except KeyError:
            self.add(
                "mcp_unknown_method",
                "method",
                f"{what} is not a method of {self.ctx.version}",
            )
            return False
        except ValueError as exc:
            if not isinstance(exc, pydantic.ValidationError):
                self.add("mcp_protocol_version", "version", f"unknown protocol version: {exc}")
                return False
            for err in exc.errors()[:MAX_PER_CHECK]:
                loc = [str(p) for p in err.get("loc", ())]
                where = "/".join([prefix, *loc[1:]] if prefix == "params" else [prefix, *loc])
                self.add(
                    "mcp_invalid_message",
                    where,
                    f"{what}: {'.'.join(loc) or 'message'}: {err.get('msg', 'invalid')}",
                    str(err.get("type") or "") or None,
                )
            return False
        except RuntimeError as exc:  # inconsistent mcp-types maps: nothing the peer did
            self.skipped.append(f"shape of {what}: {exc}")
            return True
        return True

    # -- the checks -------------------------------------------------------------------------

    def run(self) -> Verdict:
        m, ctx = self.message, self.ctx
        if m.kind == "invalid":
            self.add("mcp_invalid_message", "message", m.problem or "not a JSON-RPC message")
            return self.verdict()
        if ctx.duplicate_id and m.kind == "request":
            self.add("mcp_invalid_message", "id", f"id {_show_id(m.id)} is already in flight")
        if m.kind in ("request", "notification"):
            if ctx.direction == "client":
                self.client_message()
            else:
                self.server_message()
        else:
            self.answer()
        return self.verdict()

    def verdict(self) -> Verdict:
        m = self.message
        tool = uri = None
        is_error = None
        method = m.method or (self.ctx.request.method if self.ctx.request else None)
        subject = (
            _subject(m.method, m.params)
            if m.kind == "request"
            else (self.ctx.request.subject if self.ctx.request else None)
        )
        if method in ("tools/call", "prompts/get"):
            tool = subject
        elif method == "resources/read":
            uri = subject
        if m.kind == "result" and method == "tools/call" and isinstance(m.result, dict):
            is_error = m.result.get("isError") is True
        return Verdict(self.violations, m.error_code, is_error, tool, uri, self.skipped)

    def client_message(self) -> None:
        m, ctx = self.message, self.ctx
        method = m.method or ""
        if not self.version_ok(method):
            return
        if ctx.era == "handshake":
            self.session(method)
        else:
            self.routing_headers(method)
        version = ctx.version or ""
        if m.kind == "request":
            ok = self.shape(
                lambda: methods.validate_client_request(method, version, m.params),
                method,
                "params",
            )
            if ok and method == "tools/call":
                self.arguments()
            elif ok and method == "resources/read":
                self.resource_read()
        else:
            self.shape(
                lambda: methods.validate_client_notification(method, version, m.params),
                method,
                "params",
            )

    def server_message(self) -> None:
        m, version = self.message, self.ctx.version
        method = m.method or ""
        if version not in KNOWN_PROTOCOL_VERSIONS:
            self.add("mcp_protocol_version", "version", f"unknown protocol version {show(version)}")
            return
        if m.kind == "request":
            check: Callable[[], object] = lambda: methods.parse_server_request(  # noqa: E731
                method, version, m.params
            )
        else:
            check = lambda: methods.parse_server_notification(method, version, m.params)  # noqa: E731
        self.shape(check, method, "params")

    def version_ok(self, method: str) -> bool:
        """The protocol-version rules of a client message; False when no version can be used."""
        ctx, m = self.ctx, self.message
        sent = header(ctx.headers, VERSION_HEADER)
        version = ctx.version
        if ctx.era == "stateless":
            named = meta_version(m.params)
            if named is not None and named not in KNOWN_PROTOCOL_VERSIONS:
                self.add("mcp_protocol_version", "params/_meta", f"unknown version {show(named)}")
                return False
            if isinstance(named, str) and named in HANDSHAKE_PROTOCOL_VERSIONS:
                self.add(
                    "mcp_protocol_version",
                    "params/_meta",
                    f"{named} is a handshake-era version: it is negotiated by initialize",
                )
            if sent is None:
                self.add("mcp_protocol_version", "header.MCP-Protocol-Version", "missing")
            elif named is not None and sent != named:
                self.add(
                    "mcp_protocol_version",
                    "header.MCP-Protocol-Version",
                    f"{show(sent)} differs from the request's _meta version {show(named)}",
                )
        elif method != "initialize":
            if sent is not None and sent not in KNOWN_PROTOCOL_VERSIONS:
                self.add(
                    "mcp_protocol_version", "header.MCP-Protocol-Version", f"unknown {show(sent)}"
                )
            elif sent is not None and ctx.negotiated is not None and sent != ctx.negotiated:
                self.add(
                    "mcp_protocol_version",
                    "header.MCP-Protocol-Version",
                    f"{show(sent)} differs from the negotiated {show(ctx.negotiated)}",
                )
            elif (
                sent is None
                and ctx.transport != "sse"
                and is_at_least(ctx.negotiated, "2025-06-18")
            ):
                self.add(
                    "mcp_protocol_version",
                    "header.MCP-Protocol-Version",
                    f"missing (required after negotiating {ctx.negotiated})",
                )
        if version not in KNOWN_PROTOCOL_VERSIONS:
            if not any(v.code == "mcp_protocol_version" for v in self.violations):
                self.add(
                    "mcp_protocol_version", "version", f"unknown protocol version {show(version)}"
                )
            return False
        return True

    def session(self, method: str) -> None:
        ctx = self.ctx
        if method == "initialize":
            return
        where = "query.session_id" if ctx.transport == "sse" else "header.Mcp-Session-Id"
        if ctx.session_id is None and (ctx.sessions_issued or ctx.transport == "sse"):
            self.add("mcp_session", where, "missing: the server issued sessions")
        elif ctx.session_id is not None and not ctx.session_known:
            self.add("mcp_session", where, f"unknown session {show(ctx.session_id)}")

    def routing_headers(self, method: str) -> None:
        if self.message.kind != "request":
            return
        headers = self.ctx.headers
        sent = header(headers, "mcp-method")
        if sent is None:
            self.add("mcp_header_mismatch", "header.Mcp-Method", "missing (required in 2026-07-28)")
        elif sent != method:
            self.add(
                "mcp_header_mismatch",
                "header.Mcp-Method",
                f"{show(sent)} but the body says {show(method)}",
            )
        key = NAME_BEARING_METHODS.get(method)
        if key is None:
            return
        body = self.message.params.get(key) if self.message.params else None
        raw = header(headers, "mcp-name")
        if raw is None:
            self.add(
                "mcp_header_mismatch",
                "header.Mcp-Name",
                f"missing (the body's {key} is {show(body)})",
            )
        elif decode_header_value(raw) != body:
            self.add(
                "mcp_header_mismatch",
                "header.Mcp-Name",
                f"{show(raw)} but the body's {key} is {show(body)}",
            )

    # -- against the catalogue -------------------------------------------------------------

    def arguments(self) -> None:
        params = self.message.params or {}
        name = str(params.get("name"))
        catalogue = self.ctx.catalogue
        if catalogue is None or catalogue.tools is None:
            self.skipped.append(f"mcp_unknown_tool: {self.no_tools()}")
            return
        tool = catalogue.tool(name)
        if tool is None:
            self.add("mcp_unknown_tool", "params/name", f"no tool {show(name)} in the catalogue")
            return
        schema = catalogue.schema(name, "inputSchema")
        if schema is None:
            self.skipped.append(
                f"mcp_invalid_arguments: the inputSchema of {show(name)} cannot be used"
            )
            return
        arguments = params.get("arguments")
        self.against(
            schema, {} if arguments is None else arguments, "mcp_invalid_arguments", "arguments"
        )

    def no_tools(self) -> str:
        note = self.ctx.catalogue_note
        return "no tools/list seen yet" + (f" ({note})" if note else "")

    def against(self, schema: CompiledSchema, instance: Any, code: str, what: str) -> None:
        for failure in schema.failures(instance)[:MAX_PER_CHECK]:
            where = pointer(*failure.path)
            self.violations.append(
                Violation(
                    code,
                    self.location,
                    where,
                    f"{what}{where or ''} {failure.message}",
                    failure.keyword,
                    failure.schema_path,
                )
            )

    def resource_read(self) -> None:
        uri = str((self.message.params or {}).get("uri"))
        catalogue = self.ctx.catalogue
        listed = catalogue.resource_listed(uri) if catalogue is not None else None
        if listed is None:
            self.skipped.append("mcp_unknown_resource: no resources/list seen yet")
        elif not listed and catalogue is not None and uri not in catalogue.widget_uris:
            self.add(
                "mcp_unknown_resource",
                "params/uri",
                f"{show(uri)} is neither listed nor matched by a listed template",
            )

    # -- answers ----------------------------------------------------------------------------

    def answer(self) -> None:
        m, ctx = self.message, self.ctx
        request = ctx.request
        if (
            ctx.slow_ms is not None
            and ctx.duration_ms is not None
            and ctx.duration_ms > ctx.slow_ms
        ):
            self.add(
                "slow_response",
                "duration",
                f"the response took {ctx.duration_ms / 1000:.1f} s "
                f"(limit {ctx.slow_ms / 1000:g} s)",
            )
        if request is None:
            if m.id is not None:
                self.add(
                    "mcp_invalid_message",
                    "id",
                    f"answers no request in flight (id {_show_id(m.id)})",
                )
            return
        if m.kind == "error":
            if request.method == "resources/read" and self.is_template(request.subject):
                self.add(
                    "apps_template_missing",
                    "error",
                    f"the widget template {show(request.subject)} cannot be read: {m.error_code}",
                )
            return
        result = m.result or {}
        method, version = request.method, request.version
        if request.direction == "client":
            surface = _server_results(method, version, result)
            ok = self.shape(
                lambda: methods.validate_server_result(method, version, result, surface=surface),
                f"the result of {method}",
                "result",
            )
        else:
            ok = self.shape(
                lambda: methods.validate_client_result(method, version, result),
                f"the result of {method}",
                "result",
            )
        if not ok or request.direction != "client" or methods.is_input_required(result):
            return
        if method == "tools/call":
            self.structured(request.subject, result)
        elif method == "resources/read":
            self.widget_read(request.subject, result)

    def structured(self, name: str | None, result: Mapping[str, Any]) -> None:
        catalogue = self.ctx.catalogue
        if result.get("isError") is True or name is None:
            return
        if catalogue is None or catalogue.tools is None:
            self.skipped.append(f"mcp_invalid_structured_content: {self.no_tools()}")
            return
        tool = catalogue.tool(name)
        if tool is None or tool.get("outputSchema") is None:
            return
        if "structuredContent" not in result:
            self.add(
                "mcp_missing_structured_content",
                "result/structuredContent",
                f"{show(name)} declares an outputSchema but the result has no structuredContent",
            )
            return
        schema = catalogue.schema(name, "outputSchema")
        if schema is None:
            self.skipped.append(
                f"mcp_invalid_structured_content: the outputSchema of {show(name)} cannot be used"
            )
            return
        self.against(
            schema,
            result["structuredContent"],
            "mcp_invalid_structured_content",
            "structuredContent",
        )

    def is_template(self, uri: str | None) -> bool:
        catalogue = self.ctx.catalogue
        return uri is not None and catalogue is not None and uri in catalogue.widget_uris

    def widget_read(self, uri: str | None, result: Mapping[str, Any]) -> None:
        catalogue = self.ctx.catalogue or Catalogue()
        contents = result.get("contents")
        items = contents if isinstance(contents, list) else []
        if not items and self.is_template(uri):
            self.add(
                "apps_template_missing",
                "result/contents",
                f"the widget template {show(uri)} is empty",
            )
        for i, item in enumerate(items):
            if not isinstance(item, dict):
                continue
            raw_uri = item.get("uri")
            item_uri = raw_uri if isinstance(raw_uri, str) else uri or ""
            mime = item.get("mimeType")
            if catalogue.is_widget(item_uri) and mime not in WIDGET_MIME_TYPES:
                self.add(
                    "apps_template_mime",
                    f"result/contents/{i}/mimeType",
                    f"the widget template {show(item_uri)} is {show(mime)}, not one of "
                    f"{', '.join(WIDGET_MIME_TYPES)}",
                )


def _server_results(
    method: str, version: str, result: Mapping[str, Any]
) -> Mapping[tuple[str, str], Any]:
    """mcp-types' result surface, with a 2026 dual row (complete | input_required) narrowed to
    the arm the result's resultType names: the input_required arm ignores unknown fields and
    would pass any complete result of the wrong shape."""
    row = methods.SERVER_RESULTS.get((method, version))
    if not isinstance(row, UnionType):
        return methods.SERVER_RESULTS
    wanted = methods.is_input_required(result)
    arms = [a for a in get_args(row) if (a.__name__ == "InputRequiredResult") == wanted]
    if len(arms) != 1:
        return methods.SERVER_RESULTS
    return {**methods.SERVER_RESULTS, (method, version): arms[0]}


def _show_id(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _subject(method: str | None, params: Mapping[str, Any] | None) -> str | None:
    key = NAME_BEARING_METHODS.get(method or "")
    value = params.get(key) if key and isinstance(params, Mapping) else None
    return value if isinstance(value, str) else None


def subject(message: Message) -> str | None:
    """The tool or prompt name, or resource URI, a request names (what Pending.subject holds)."""
    return _subject(message.method, message.params)


def check(message: Message, ctx: Context) -> Verdict:
    """The verdict on one message; never raises for anything a peer can send."""
    return _Run(message, ctx).run()


def check_catalogue(catalogue: Catalogue) -> list[Violation]:
    """The Apps rules over a whole catalogue: every tool's widget template listed (or read)
    and of a widget MIME type."""
    out: list[Violation] = []
    for tool in catalogue.tools or ():
        for uri in template_uris(tool):
            name = tool.get("name")
            listed = catalogue.resource_listed(uri)
            read = catalogue.widgets.get(uri)
            if listed is False and read is None:
                out.append(
                    Violation(
                        "apps_template_missing",
                        "response",
                        f"tools/{name}/_meta",
                        f"tool {show(name)} names the widget template {show(uri)}, "
                        "which the server does not list",
                    )
                )
            resource = catalogue.resource(uri)
            mime = read.mime_type if read is not None else (resource or {}).get("mimeType", False)
            if mime is not False and mime not in WIDGET_MIME_TYPES:
                out.append(
                    Violation(
                        "apps_template_mime",
                        "response",
                        f"resources/{uri}",
                        f"the widget template {show(uri)} is {show(mime)}, not one of "
                        f"{', '.join(WIDGET_MIME_TYPES)}",
                    )
                )
    return out
