"""The checks: a real session by the official client and server passes them; the same traffic
mutated is flagged with the right code; hand-made messages for each code and its valid twin, in
both protocol eras; hostile input is a violation, never an exception."""

from __future__ import annotations

import asyncio
import copy
import json
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pluginlab_tui.mcp import checks
from pluginlab_tui.mcp.catalogue import Catalogue
from pluginlab_tui.mcp.jsonrpc import parse_body, parse_text
from pluginlab_tui.mcp.sessions import Pending
from pluginlab_tui.mcp.sse import Frame, write_frame
from pluginlab_tui.validation.violations import CODES, MCP_CODES
from tests.conftest import examples
from tests.mcp.live import Exchange, Replay, Seen, drive, frames, make_server, serving

#: The SDK warns of what 2026-07-28 deprecates; the handshake-era session uses it on purpose.
pytestmark = pytest.mark.filterwarnings(
    "ignore:.*deprecated as of 2026-07-28", "ignore:ping is removed as of 2026-07-28"
)

# -- a real session --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def captured() -> dict[str, list[Exchange]]:
    out: dict[str, list[Exchange]] = {}
    with serving(make_server()) as url:
        for mode in ("legacy", "auto"):
            out[mode] = asyncio.run(drive(url, mode))
    return out


def _methods(seen: list[Seen]) -> set[str]:
    return {s.message.method for s in seen if s.message.method}


@pytest.mark.parametrize("mode", ["legacy", "auto"])
def test_every_message_of_a_real_session_passes(
    captured: dict[str, list[Exchange]], mode: str
) -> None:
    seen = Replay().run(captured[mode])
    expected = {
        "tools/list",
        "tools/call",
        "resources/list",
        "resources/templates/list",
        "resources/read",
        "prompts/list",
        "prompts/get",
    }
    expected |= (
        {"initialize", "notifications/initialized", "ping", "notifications/message"}
        if mode == "legacy"
        else {"server/discover"}
    )
    assert expected <= _methods(seen)
    answered = [s for s in seen if s.message.kind == "result"]
    assert len(answered) == len([s for s in seen if s.message.kind == "request"])
    for s in seen:
        assert s.verdict is not None
        assert s.verdict.violations == [], (s.message.method, s.message.value)
        assert s.verdict.skipped == []
    tools = {s.verdict.tool for s in seen if s.verdict and s.verdict.tool}
    uris = {s.verdict.resource_uri for s in seen if s.verdict and s.verdict.resource_uri}
    assert tools == {"add", "weather", "greet"}  # the tools called, the prompt got
    assert uris == {"res://readme", "res://items/7"}
    results = [
        s
        for s in seen
        if s.message.kind == "result" and s.verdict and s.verdict.tool in {"add", "weather"}
    ]
    assert results and all(s.verdict and s.verdict.is_error is False for s in results)


# -- the same traffic, mutated ---------------------------------------------------------------

Change = Callable[[dict[str, Any]], None]


def _mutate_response(
    exchange: Exchange, pick: Callable[[dict[str, Any]], bool], change: Change
) -> bool:
    kind = exchange.response_headers.get("content-type", "")
    if kind.startswith("text/event-stream"):
        out = []
        hit = False
        for frame in frames(exchange):
            value = json.loads(frame.data) if frame.data else None
            if isinstance(value, dict) and not hit and pick(value):
                change(value)
                hit = True
                frame = Frame(json.dumps(value), frame.event, frame.id, frame.retry)
            out.append(write_frame(frame))
        exchange.chunks = out
        return hit
    if exchange.chunks:
        value = json.loads(b"".join(exchange.chunks))
        if isinstance(value, dict) and pick(value):
            change(value)
            exchange.chunks = [json.dumps(value).encode()]
            return True
    return False


def mutated(
    exchanges: list[Exchange],
    method: str,
    *,
    nth: int = 0,
    request: Change | None = None,
    result: Change | None = None,
    headers: Callable[[dict[str, str]], None] | None = None,
) -> list[Seen]:
    """The capture replayed with the nth exchange posting `method` changed; its messages' Seen."""
    copies = copy.deepcopy(exchanges)
    hits = [e for e in copies if e.body and json.loads(e.body).get("method") == method]
    target = hits[nth]
    body = json.loads(target.body)
    if request is not None:
        request(body)
        target.body = json.dumps(body).encode()
    if headers is not None:
        headers(target.headers)
    if result is not None:
        assert _mutate_response(target, lambda v: "result" in v, result)
    seen = Replay().run(copies)
    return [s for s in seen if s.exchange is target]


def codes_of(seen: list[Seen]) -> set[str]:
    return {v.code for s in seen if s.verdict for v in s.verdict.violations}


def _drop(*path: str | int) -> Change:
    def change(value: dict[str, Any]) -> None:
        node: Any = value
        for key in path[:-1]:
            node = node[key]
        del node[path[-1]]

    return change


def _set(value_: Any, *path: str | int) -> Change:
    def change(value: dict[str, Any]) -> None:
        node: Any = value
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value_

    return change


def _header(name: str, value: str | None) -> Callable[[dict[str, str]], None]:
    def change(headers: dict[str, str]) -> None:
        if value is None:
            headers.pop(name, None)
        else:
            headers[name] = value

    return change


BOTH: list[tuple[str, dict[str, Any], str]] = [
    ("tools/call", {"request": _drop("params", "name")}, "mcp_invalid_message"),
    ("tools/call", {"request": _set("two", "params", "arguments", "a")}, "mcp_invalid_arguments"),
    ("tools/call", {"request": _drop("params", "arguments", "b")}, "mcp_invalid_arguments"),
    ("tools/call", {"request": _set("nope", "params", "name")}, "mcp_unknown_tool"),
    ("resources/read", {"request": _set("res://other", "params", "uri")}, "mcp_unknown_resource"),
    ("tools/list", {"request": _set("tools/lisst", "method")}, "mcp_unknown_method"),
    ("tools/list", {"result": _drop("result", "tools", 0, "inputSchema")}, "mcp_invalid_message"),
    ("prompts/get", {"result": _set("text", "result", "messages")}, "mcp_invalid_message"),
    (
        "tools/call",
        {"nth": 1, "result": _set("warm", "result", "structuredContent", "celsius")},
        "mcp_invalid_structured_content",
    ),
    (
        "tools/call",
        {"nth": 1, "result": _drop("result", "structuredContent")},
        "mcp_missing_structured_content",
    ),
]
LEGACY: list[tuple[str, dict[str, Any], str]] = [
    (
        "tools/list",
        {"headers": _header("mcp-protocol-version", "2025-06-18")},
        "mcp_protocol_version",
    ),
    ("tools/list", {"headers": _header("mcp-protocol-version", None)}, "mcp_protocol_version"),
    (
        "tools/list",
        {"headers": _header("mcp-protocol-version", "1999-01-01")},
        "mcp_protocol_version",
    ),
    ("tools/list", {"headers": _header("mcp-session-id", "forged")}, "mcp_session"),
    ("tools/list", {"headers": _header("mcp-session-id", None)}, "mcp_session"),
    ("ping", {"request": _set([], "params")}, "mcp_invalid_message"),
    ("tools/list", {"request": _set("server/discover", "method")}, "mcp_unknown_method"),
]
MODERN: list[tuple[str, dict[str, Any], str]] = [
    ("tools/call", {"headers": _header("mcp-name", "weather")}, "mcp_header_mismatch"),
    ("tools/call", {"headers": _header("mcp-name", None)}, "mcp_header_mismatch"),
    ("tools/list", {"headers": _header("mcp-method", "prompts/list")}, "mcp_header_mismatch"),
    (
        "tools/list",
        {"headers": _header("mcp-protocol-version", "2025-11-25")},
        "mcp_protocol_version",
    ),
    ("tools/list", {"headers": _header("mcp-protocol-version", None)}, "mcp_protocol_version"),
    (
        "tools/list",
        {
            "request": _set(
                "2099-01-01", "params", "_meta", "io.modelcontextprotocol/protocolVersion"
            )
        },
        "mcp_protocol_version",
    ),
    (
        "tools/list",
        {"request": _drop("params", "_meta", "io.modelcontextprotocol/clientCapabilities")},
        "mcp_invalid_message",
    ),
    ("tools/list", {"request": _set("initialize", "method")}, "mcp_unknown_method"),
    ("tools/call", {"result": _drop("result", "resultType")}, "mcp_invalid_message"),
]


@pytest.mark.parametrize(
    ("mode", "method", "change", "code"),
    [("legacy", *case) for case in BOTH + LEGACY] + [("auto", *case) for case in BOTH + MODERN],
)
def test_a_mutated_message_of_the_session_is_flagged(
    captured: dict[str, list[Exchange]], mode: str, method: str, change: dict[str, Any], code: str
) -> None:
    seen = mutated(captured[mode], method, **change)
    assert code in codes_of(seen), [s.verdict for s in seen]
    assert all(v.code in CODES for s in seen if s.verdict for v in s.verdict.violations)


def test_the_argument_violation_points_into_the_arguments(
    captured: dict[str, list[Exchange]],
) -> None:
    seen = mutated(
        captured["legacy"], "tools/call", request=_set("two", "params", "arguments", "a")
    )
    (violation,) = [v for s in seen if s.verdict for v in s.verdict.violations]
    assert (violation.location, violation.where, violation.keyword) == ("request", "/a", "type")
    assert violation.schema_path and violation.schema_path.startswith("#/tools/add/inputSchema")


def test_a_template_uri_is_a_known_resource(captured: dict[str, list[Exchange]]) -> None:
    seen = mutated(
        captured["legacy"], "resources/read", request=_set("res://items/99", "params", "uri")
    )
    assert "mcp_unknown_resource" not in codes_of(seen)


# -- hand-made messages ------------------------------------------------------------------------

TOOLS = {
    "tools": [
        {
            "name": "add",
            "inputSchema": {
                "type": "object",
                "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}},
                "required": ["a", "b"],
            },
            "outputSchema": {
                "type": "object",
                "properties": {"result": {"type": "integer"}},
                "required": ["result"],
            },
        },
        {
            "name": "show",
            "inputSchema": {"type": "object"},
            "_meta": {"ui": {"resourceUri": "ui://widget/show.html"}},
        },
    ]
}
CATALOGUE = (
    Catalogue()
    .with_list("tools/list", None, TOOLS)
    .with_list(
        "resources/list",
        None,
        {"resources": [{"uri": "ui://widget/show.html", "name": "show", "mimeType": "text/html"}]},
    )
    .with_list(
        "resources/templates/list",
        None,
        {"resourceTemplates": [{"uriTemplate": "file:///{+path}", "name": "files"}]},
    )
)
META = {
    "io.modelcontextprotocol/protocolVersion": "2026-07-28",
    "io.modelcontextprotocol/clientCapabilities": {},
}


def request(method: str, params: dict[str, Any] | None = None, rid: int = 1) -> bytes:
    body: dict[str, Any] = {"jsonrpc": "2.0", "id": rid, "method": method}
    if params is not None:
        body["params"] = params
    return json.dumps(body).encode()


def client(body: bytes, era: str, **kw: Any) -> checks.Verdict:
    """A client request checked as the 2025-11-25 handshake era or the 2026-07-28 one sees it."""
    (message,) = parse_body(body, None)
    if era == "handshake":
        ctx = checks.Context(
            "client",
            "2025-11-25",
            "handshake",
            kw.pop("headers", {"MCP-Protocol-Version": "2025-11-25", "Mcp-Session-Id": "s1"}),
            "2025-11-25",
            catalogue=CATALOGUE,
            session_id="s1",
            sessions_issued=True,
        )
    else:
        params = message.params or {}
        headers = {"MCP-Protocol-Version": "2026-07-28", "Mcp-Method": message.method or ""}
        name = params.get("name", params.get("uri"))
        if isinstance(name, str):
            headers["Mcp-Name"] = name
        ctx = checks.Context(
            "client", "2026-07-28", "stateless", kw.pop("headers", headers), catalogue=CATALOGUE
        )
    return checks.check(message, replace(ctx, **kw))


def with_meta(params: dict[str, Any], era: str) -> dict[str, Any]:
    return {**params, "_meta": META} if era == "stateless" else params


ERAS = ["handshake", "stateless"]


@pytest.mark.parametrize("era", ERAS)
@pytest.mark.parametrize(
    ("method", "good", "bad", "code"),
    [
        (
            "tools/call",
            {"name": "add", "arguments": {"a": 1, "b": 2}},
            {"name": 3},
            "mcp_invalid_message",
        ),
        (
            "tools/call",
            {"name": "add", "arguments": {"a": 1, "b": 2}},
            {"name": "sub"},
            "mcp_unknown_tool",
        ),
        (
            "tools/call",
            {"name": "add", "arguments": {"a": 1, "b": 2}},
            {"name": "add", "arguments": {"a": 1.5, "b": 2}},
            "mcp_invalid_arguments",
        ),
        (
            "resources/read",
            {"uri": "file:///etc/hosts"},
            {"uri": "http://x/y"},
            "mcp_unknown_resource",
        ),
        (
            "resources/read",
            {"uri": "ui://widget/show.html"},
            {"uri": "ui://other"},
            "mcp_unknown_resource",
        ),
    ],
)
def test_each_request_code_and_its_valid_twin(
    era: str, method: str, good: dict[str, Any], bad: dict[str, Any], code: str
) -> None:
    assert client(request(method, with_meta(good, era)), era).violations == []
    assert code in client(request(method, with_meta(bad, era)), era).codes


@pytest.mark.parametrize("era", ERAS)
def test_an_unknown_method(era: str) -> None:
    assert client(request("tools/list", with_meta({}, era)), era).violations == []
    assert client(request("tools/destroy", with_meta({}, era)), era).codes == {"mcp_unknown_method"}


def test_version_gates_follow_the_era() -> None:
    assert client(request("ping"), "handshake").violations == []
    assert client(request("ping", with_meta({}, "stateless")), "stateless").codes == {
        "mcp_unknown_method"
    }
    assert (
        client(request("server/discover", with_meta({}, "stateless")), "stateless").violations == []
    )
    assert "mcp_unknown_method" in client(request("server/discover"), "handshake").codes


def test_no_catalogue_yet_skips_the_catalogue_checks_and_says_so() -> None:
    verdict = client(request("tools/call", {"name": "x"}), "handshake", catalogue=None)
    assert verdict.violations == []
    assert verdict.skipped == ["mcp_unknown_tool: no tools/list seen yet"]
    verdict = client(request("resources/read", {"uri": "a://b"}), "handshake", catalogue=None)
    assert verdict.skipped == ["mcp_unknown_resource: no resources/list seen yet"]
    noted = client(
        request("tools/call", {"name": "x"}),
        "handshake",
        catalogue=None,
        catalogue_note="the proxy's own tools/list failed: HTTP 500",
    )
    assert noted.skipped == [
        "mcp_unknown_tool: no tools/list seen yet (the proxy's own tools/list failed: HTTP 500)"
    ]


def test_sessions_are_checked_in_the_handshake_era_only() -> None:
    assert client(request("tools/list"), "handshake", session_id=None).codes == {"mcp_session"}
    assert client(request("tools/list"), "handshake", session_known=False).codes == {"mcp_session"}
    assert (
        client(
            request("tools/list"), "handshake", session_id=None, sessions_issued=False
        ).violations
        == []
    )
    assert (
        client(request("initialize", _initialize()), "handshake", session_id=None).violations == []
    )


def test_the_http_sse_transport_names_its_session_in_the_query_and_sends_no_version_header() -> (
    None
):
    legacy = {"transport": "sse", "headers": {}}
    # no MCP-Protocol-Version header, whatever was negotiated: the transport has none
    assert client(request("tools/list"), "handshake", **legacy).violations == []
    missing = client(request("tools/list"), "handshake", session_id=None, **legacy)
    assert [(v.code, v.where) for v in missing.violations] == [("mcp_session", "query.session_id")]
    unknown = client(request("tools/list"), "handshake", session_known=False, **legacy)
    assert [(v.code, v.where) for v in unknown.violations] == [("mcp_session", "query.session_id")]


def _initialize(version: str = "2025-11-25") -> dict[str, Any]:
    return {
        "protocolVersion": version,
        "capabilities": {},
        "clientInfo": {"name": "t", "version": "1"},
    }


def test_the_version_header_rules_of_the_handshake_era() -> None:
    no_header = {"Mcp-Session-Id": "s1"}
    assert client(request("tools/list"), "handshake", headers=no_header).codes == {
        "mcp_protocol_version"
    }
    # before 2025-06-18 the header did not exist
    old = client(
        request("tools/list"),
        "handshake",
        headers=no_header,
        negotiated="2025-03-26",
        version="2025-03-26",
    )
    assert old.violations == []
    wrong = {"Mcp-Session-Id": "s1", "MCP-Protocol-Version": "2025-06-18"}
    assert client(request("tools/list"), "handshake", headers=wrong).codes == {
        "mcp_protocol_version"
    }
    # initialize may ask for a version the proxy does not know: the server counter-offers
    assert (
        client(request("initialize", _initialize("2030-01-01")), "handshake", headers={}).violations
        == []
    )


def test_the_routing_headers_of_the_stateless_era() -> None:
    body = request(
        "tools/call", with_meta({"name": "add", "arguments": {"a": 1, "b": 2}}, "stateless")
    )
    base = {"MCP-Protocol-Version": "2026-07-28", "Mcp-Method": "tools/call"}
    assert client(body, "stateless", headers={**base, "Mcp-Name": "add"}).violations == []
    encoded = {
        **base,
        "Mcp-Name": "=?base64?YWRk?=",
    }  # "add", base64-wrapped as the SDK may send it
    assert client(body, "stateless", headers=encoded).violations == []
    assert client(body, "stateless", headers={**base, "Mcp-Name": "sub"}).codes == {
        "mcp_header_mismatch"
    }
    assert client(
        body, "stateless", headers={"MCP-Protocol-Version": "2026-07-28", "Mcp-Name": "add"}
    ).codes == {"mcp_header_mismatch"}


def answer(
    result: dict[str, Any], method: str, version: str, subject: str | None = None, **kw: Any
) -> checks.Verdict:
    message = parse_text(json.dumps({"jsonrpc": "2.0", "id": 1, "result": result}))
    pending = Pending(method, version, 0.0, "client", subject)
    ctx = checks.Context("server", version, request=pending, catalogue=CATALOGUE, **kw)
    return checks.check(message, ctx)


@pytest.mark.parametrize("version", ["2025-11-25", "2026-07-28"])
def test_structured_content_against_the_output_schema(version: str) -> None:
    extra = {"resultType": "complete"} if version == "2026-07-28" else {}
    good = {"content": [{"type": "text", "text": "3"}], "structuredContent": {"result": 3}, **extra}
    assert answer(good, "tools/call", version, "add").violations == []
    bad = {**good, "structuredContent": {"result": "3"}}
    (violation,) = answer(bad, "tools/call", version, "add").violations
    assert (violation.code, violation.where, violation.location) == (
        "mcp_invalid_structured_content",
        "/result",
        "response",
    )
    missing = {k: v for k, v in good.items() if k != "structuredContent"}
    assert answer(missing, "tools/call", version, "add").codes == {"mcp_missing_structured_content"}
    failed = {**missing, "isError": True}
    verdict = answer(failed, "tools/call", version, "add")
    assert verdict.violations == [] and verdict.is_error is True


def test_a_tool_error_and_a_jsonrpc_error_are_facts_not_violations() -> None:
    (message,) = parse_body(
        b'{"jsonrpc":"2.0","id":1,"error":{"code":-32602,"message":"no"}}', None
    )
    ctx = checks.Context(
        "server", "2025-11-25", request=Pending("tools/call", "2025-11-25", 0, "client", "add")
    )
    verdict = checks.check(message, ctx)
    assert (verdict.violations, verdict.rpc_error, verdict.tool) == ([], -32602, "add")


def test_widget_templates_must_be_served_as_widgets() -> None:
    html = {"uri": "ui://widget/show.html", "text": "<p>hi</p>"}
    good = {"contents": [{**html, "mimeType": "text/html;profile=mcp-app"}]}
    skybridge = {"contents": [{**html, "mimeType": "text/html+skybridge"}]}
    bad = {"contents": [{**html, "mimeType": "text/html"}]}
    uri = "ui://widget/show.html"
    assert answer(good, "resources/read", "2025-11-25", uri).violations == []
    assert answer(skybridge, "resources/read", "2025-11-25", uri).violations == []
    (violation,) = answer(bad, "resources/read", "2025-11-25", uri).violations
    assert (violation.code, violation.where) == ("apps_template_mime", "result/contents/0/mimeType")
    assert answer({"contents": []}, "resources/read", "2025-11-25", uri).codes == {
        "apps_template_missing"
    }
    (error,) = parse_body(
        b'{"jsonrpc":"2.0","id":1,"error":{"code":-32002,"message":"gone"}}', None
    )
    pending = Pending("resources/read", "2025-11-25", 0, "client", uri)
    verdict = checks.check(
        error, checks.Context("server", "2025-11-25", request=pending, catalogue=CATALOGUE)
    )
    assert verdict.codes == {"apps_template_missing"}


def test_the_catalogue_rules_for_widget_templates() -> None:
    # listed as text/html: a wrong MIME type
    assert {v.code for v in checks.check_catalogue(CATALOGUE)} == {"apps_template_mime"}
    read = CATALOGUE.with_read(
        "ui://widget/show.html",
        {
            "contents": [
                {
                    "uri": "ui://widget/show.html",
                    "mimeType": "text/html;profile=mcp-app",
                    "text": "x",
                }
            ]
        },
    )
    assert checks.check_catalogue(read) == []
    unlisted = CATALOGUE.with_list("resources/list", None, {"resources": []})
    assert {v.code for v in checks.check_catalogue(unlisted)} == {"apps_template_missing"}


def test_slow_answers_and_answers_to_nothing() -> None:
    result: dict[str, Any] = {"tools": []}
    assert answer(result, "tools/list", "2025-11-25", duration_ms=50_000, slow_ms=45_000).codes == {
        "slow_response"
    }
    orphan = parse_text('{"jsonrpc":"2.0","id":9,"result":{}}')
    verdict = checks.check(orphan, checks.Context("server", "2025-11-25"))
    assert verdict.codes == {"mcp_invalid_message"}


def test_server_requests_and_the_clients_answers() -> None:
    (sampling,) = parse_body(request("roots/list"), None)
    assert checks.check(sampling, checks.Context("server", "2025-11-25")).violations == []
    # 2026-07-28 has no server-to-client requests at all
    assert checks.check(sampling, checks.Context("server", "2026-07-28", "stateless")).codes == {
        "mcp_unknown_method"
    }
    roots = parse_text('{"jsonrpc":"2.0","id":1,"result":{"roots":[{"uri":"file:///tmp"}]}}')
    pending = Pending("roots/list", "2025-11-25", 0, "server")
    assert (
        checks.check(roots, checks.Context("client", "2025-11-25", request=pending)).violations
        == []
    )
    wrong = parse_text('{"jsonrpc":"2.0","id":1,"result":{"roots":"file:///tmp"}}')
    assert checks.check(wrong, checks.Context("client", "2025-11-25", request=pending)).codes == {
        "mcp_invalid_message"
    }


# -- hostile input -----------------------------------------------------------------------------

HOSTILE = [
    b"[" * 100_000,
    b'{"a":' * 5_000 + b"1" + b"}" * 5_000,
    b'{"jsonrpc":"2.0","id":' + b"9" * 5_000 + b',"method":"ping"}',
    b'{"jsonrpc":"2.0","id":' + b"9" * 4_000 + b',"method":"ping"}',
    b'{"jsonrpc":"2.0","id":1e400,"method":"ping"}',
    b'{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"add","arguments":{"a":NaN}}}',
    b'{"jsonrpc":"2.0","id":1,"method":"ping","method":"tools/list"}',
    b"\xff\xfe\x00{",
    b'{"jsonrpc":"2.0","id":null,"method":"ping"}',
    b'{"jsonrpc":"2.0","id":[],"result":{}}',
    b'"just a string"',
    b"",
    b'{"jsonrpc":"2.0","id":1,"method":"\\ud800"}',
]


@pytest.mark.parametrize("body", HOSTILE, ids=range(len(HOSTILE)))
@pytest.mark.parametrize("era", ERAS)
def test_hostile_input_is_a_violation_never_an_exception(body: bytes, era: str) -> None:
    for message in parse_body(body, None):
        verdict = client(body, era) if len(parse_body(body, None)) == 1 else None
        assert verdict is not None
        assert verdict.violations, message
        assert verdict.codes <= set(MCP_CODES)


def test_a_duplicate_id_in_flight_is_flagged() -> None:
    assert (
        "mcp_invalid_message" in client(request("tools/list"), "handshake", duplicate_id=True).codes
    )


def test_a_huge_integer_argument_is_checked_not_choked_on() -> None:
    huge = {"name": "add", "arguments": {"a": int("9" * 4_000), "b": 1}}
    assert client(request("tools/call", huge), "handshake").violations == []
    wrong = {"name": "add", "arguments": {"a": int("9" * 4_000), "b": "1"}}
    assert client(request("tools/call", wrong), "handshake").codes == {"mcp_invalid_arguments"}


JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)
METHODS = st.sampled_from(
    [
        "initialize",
        "tools/call",
        "tools/list",
        "resources/read",
        "prompts/get",
        "ping",
        "x",
        "roots/list",
    ]
)


@given(
    method=METHODS,
    params=JSON,
    rid=st.one_of(st.integers(), st.text(max_size=5), st.none(), st.booleans()),
    era=st.sampled_from(ERAS),
    direction=st.sampled_from(["client", "server"]),
    answered=st.one_of(st.none(), st.sampled_from(["tools/call", "resources/read", "initialize"])),
    version=st.one_of(
        st.sampled_from(["2025-03-26", "2025-11-25", "2026-07-28"]), st.text(max_size=5)
    ),
)
@settings(max_examples=examples(150, quick=50), suppress_health_check=[HealthCheck.too_slow])
def test_any_json_gives_a_verdict(
    method: str,
    params: Any,
    rid: Any,
    era: str,
    direction: str,
    answered: str | None,
    version: str,
) -> None:
    shapes = [
        {"jsonrpc": "2.0", "id": rid, "method": method, "params": params},
        {"jsonrpc": "2.0", "method": method, "params": params},
        {"jsonrpc": "2.0", "id": rid, "result": params},
        {"jsonrpc": "2.0", "id": rid, "error": params},
        params,
    ]
    pending = Pending(answered, version, 0.0, "client", "add") if answered else None
    for value in shapes:
        for message in parse_body(json.dumps(value).encode(), version):
            ctx = checks.Context(
                direction,  # type: ignore[arg-type]
                version,
                era,  # type: ignore[arg-type]
                {"Mcp-Method": "x", "MCP-Protocol-Version": version},
                request=pending,
                catalogue=CATALOGUE,
            )
            verdict = checks.check(message, ctx)
            assert all(v.code in CODES for v in verdict.violations)
