"""Every MCP contract code with its valid twin, in both protocol eras (handshake 2025-11-25,
stateless 2026-07-28), through the real proxy in front of the example app, and in front of a
second official-SDK server for what the app cannot send (header faults, tests/mcp/servers.py);
then the sweep: every message of a full official-SDK client session passes the checks, and each
client message sent again mutated (a field dropped, a type changed, a wrong version header) is
flagged with its code."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from mcp import Client
from mcp.shared.inbound import NAME_BEARING_METHODS, encode_header_value
from mcp_types import CLIENT_CAPABILITIES_META_KEY, CLIENT_INFO_META_KEY, PROTOCOL_VERSION_META_KEY
from mcp_types.jsonrpc import JSONRPCRequest

from pluginlab_tui.examples import Backend
from pluginlab_tui.store.event import Event
from pluginlab_tui.wire import EVENT_HEADER
from tests.conftest import events_since, stored_event, stored_events
from tests.e2e.test_mcp_events import ACCEPT, CLIENT_METHODS, full_session, run_session
from tests.e2e.test_mcp_mode import Proxy
from tests.harness import wait_for
from tests.mcp.servers import WIDGET, http_app, serving, widget_server, with_header_faults

ERAS = ("handshake", "stateless")
VERSIONS = {"handshake": "2025-11-25", "stateless": "2026-07-28"}
#: Another known version: a wrong MCP-Protocol-Version header in either era.
OTHER_VERSION = "2025-06-18"
#: A generous bound for what the writer thread stores (a loaded machine is slow).
SETTLE_S = 60.0
#: The module proxy's proxy.slow_ms, and the X-App-Delay that goes over it.
SLOW_MS = 3000
DELAY_S = "3.5"
BOARD = "ui://board/board.html"


@pytest.fixture(scope="module")
def app() -> Iterator[Backend]:
    with Backend("app") as backend:
        yield backend


@contextmanager
def proxy_for(folder: Path, backend: str) -> Iterator[Proxy]:
    """`serve --mcp /mcp` in `folder` (its store there) with SLOW_MS, the catalogue listed."""
    env = {"PLUGINLAB_PROXY__SLOW_MS": str(SLOW_MS)}
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(folder)
        proxy = Proxy(folder, "--mcp", "/mcp", "--backend", backend, env=env)
        proxy.__enter__()
    try:
        listed(proxy)
        yield proxy
    finally:
        proxy.__exit__()


@pytest.fixture(scope="module")
def app_proxy(tmp_path_factory: pytest.TempPathFactory, app: Backend) -> Iterator[Proxy]:
    with proxy_for(tmp_path_factory.mktemp("app"), app.url) as proxy:
        yield proxy


@pytest.fixture(scope="module")
def widget_proxy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Proxy]:
    with serving(http_app(with_header_faults(widget_server()))) as base:
        with proxy_for(tmp_path_factory.mktemp("widget"), base) as proxy:
            yield proxy


def listed(proxy: Proxy) -> None:
    """The catalogue the checks need: tools, resources and templates listed once."""
    with Wire(proxy, "stateless") as wire:
        for method in ("tools/list", "resources/list", "resources/templates/list"):
            wire.send(method)


class Wire:
    """Raw JSON-RPC through the proxy in one era: in a session it opened (handshake), or with
    the per-request `_meta` and routing headers (stateless). Requests are built with mcp-types'
    envelope; `send` gives the event id the answer names. On leaving, it waits until every
    event it caused is stored (so a later test's `events_since` holds none of them)."""

    def __init__(self, proxy: Proxy, era: str) -> None:
        self.proxy = proxy
        self.era = era
        self.http: httpx.Client = proxy.client()
        self.ids = itertools.count(100)
        self.session: str | None = None
        self.sent: list[str] = []
        if era == "handshake":
            init = {
                "protocolVersion": VERSIONS[era],
                "capabilities": {},
                "clientInfo": {"name": "raw", "version": "1"},
            }
            answer = self.http.post("/mcp", json=self.body("initialize", init), headers=ACCEPT)
            self.session = answer.headers["mcp-session-id"]
            self.sent.append(answer.headers[EVENT_HEADER])
            self.post({"jsonrpc": "2.0", "method": "notifications/initialized"}, self.headers())

    def __enter__(self) -> Wire:
        return self

    def __exit__(self, *exc: object) -> None:
        self.http.close()
        for event_id in self.sent:
            stored(self.proxy, event_id)

    def body(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        if self.era == "stateless":
            meta = {
                PROTOCOL_VERSION_META_KEY: VERSIONS[self.era],
                CLIENT_INFO_META_KEY: {"name": "raw", "version": "1"},
                CLIENT_CAPABILITIES_META_KEY: {},
            }
            params = {**(params or {}), "_meta": meta}
        request = JSONRPCRequest(jsonrpc="2.0", id=next(self.ids), method=method, params=params)
        return request.model_dump(mode="json", exclude_none=True)

    def headers(self, body: dict[str, Any] | None = None) -> dict[str, str]:
        headers = {**ACCEPT, "MCP-Protocol-Version": VERSIONS[self.era]}
        if self.session is not None:
            headers["Mcp-Session-Id"] = self.session
        if self.era == "stateless" and body is not None:
            method = str(body.get("method"))
            headers["Mcp-Method"] = method
            key = NAME_BEARING_METHODS.get(method)
            value = (body.get("params") or {}).get(key) if key else None
            if isinstance(value, str):
                headers["Mcp-Name"] = encode_header_value(value)
        return headers

    def post(self, body: Any, headers: dict[str, str]) -> str:
        answer = self.http.post("/mcp", content=json.dumps(body), headers=headers)
        self.sent.append(answer.headers[EVENT_HEADER])
        return self.sent[-1]

    def send(
        self,
        method: str,
        params: dict[str, Any] | None = None,
        *,
        headers: dict[str, str] | None = None,
        edit: Callable[[dict[str, Any]], object] | None = None,
    ) -> str:
        """A request of this era (edited after the headers were made from it, when `edit`)."""
        body = self.body(method, params)
        sent = {**self.headers(body), **(headers or {})}
        if edit is not None:
            edit(body)
        return self.post(body, sent)


def stored(proxy: Proxy, event_id: str) -> Event:
    event: Event | None = wait_for(lambda: stored_event(proxy.db, event_id), SETTLE_S)
    assert event is not None, f"event {event_id} not stored"
    return event


def codes(event: Event) -> set[str]:
    return {v.code for v in event.violations}


Send = Callable[[Wire], str]


def call(name: str, arguments: dict[str, Any], **headers: str) -> Send:
    return lambda w: w.send(
        "tools/call", {"name": name, "arguments": arguments}, headers=dict(headers)
    )


def read(uri: str, **headers: str) -> Send:
    return lambda w: w.send("resources/read", {"uri": uri}, headers=dict(headers))


def listing(**edits: Any) -> Send:
    return lambda w: w.send("tools/list", edit=lambda body: body.update(edits))


@dataclass(frozen=True)
class Case:
    """A code, the eras it applies in, the message that breaks it and its valid twin."""

    code: str
    bad: Send
    twin: Send
    eras: tuple[str, ...] = ERAS
    server: str = "app"


CASES = [
    Case("mcp_invalid_message", listing(jsonrpc="1.0"), listing()),
    Case("mcp_unknown_method", lambda w: w.send("tools/explode"), listing()),
    Case(
        "mcp_header_mismatch",
        call("list_cards", {}, **{"Mcp-Name": "add_card"}),
        call("list_cards", {}),
        eras=("stateless",),
    ),
    Case("mcp_unknown_tool", call("no_such_tool", {}), call("list_cards", {})),
    Case("mcp_invalid_arguments", call("add_card", {"title": 5}), call("add_card", {"title": "x"})),
    Case(
        "mcp_invalid_structured_content",
        call("list_cards", {}, **{"X-App-Fault": "bad_structured"}),
        call("list_cards", {}),
    ),
    Case(
        "mcp_missing_structured_content",
        call("get_weather", {"city": "Lyon"}, **{"X-Test-Fault": "no_structured"}),
        call("get_weather", {"city": "Lyon"}),
        server="widget",
    ),
    Case("mcp_unknown_resource", read("ui://board/nowhere.html"), read(BOARD)),
    Case(
        "mcp_session",
        call("list_cards", {}, **{"Mcp-Session-Id": "not-a-session"}),
        call("list_cards", {}),
        eras=("handshake",),
    ),
    Case(
        "mcp_protocol_version",
        call("list_cards", {}, **{"MCP-Protocol-Version": OTHER_VERSION}),
        call("list_cards", {}),
    ),
    Case(
        "apps_template_missing",
        read(WIDGET, **{"X-Test-Fault": "template_empty"}),
        read(WIDGET),
        server="widget",
    ),
    Case(
        "apps_template_mime",
        read(WIDGET, **{"X-Test-Fault": "template_mime"}),
        read(WIDGET),
        server="widget",
    ),
    Case(
        "slow_response",
        call("list_cards", {}, **{"X-App-Delay": DELAY_S}),
        call("list_cards", {}),
    ),
]


def test_the_table_names_every_mcp_code_of_the_readme() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    named = {c.code for c in CASES}
    for code in named:
        assert f"`{code}`" in readme
    assert {c for c in named if c.startswith(("mcp_", "apps_"))} == {
        "mcp_invalid_message",
        "mcp_unknown_method",
        "mcp_header_mismatch",
        "mcp_unknown_tool",
        "mcp_invalid_arguments",
        "mcp_invalid_structured_content",
        "mcp_missing_structured_content",
        "mcp_unknown_resource",
        "mcp_session",
        "mcp_protocol_version",
        "apps_template_missing",
        "apps_template_mime",
    }


@pytest.mark.parametrize(
    ("case", "era"),
    [pytest.param(c, e, id=f"{c.code}-{e}") for c in CASES for e in c.eras],
)
def test_each_code_is_flagged_and_its_valid_twin_passes(
    case: Case, era: str, request: pytest.FixtureRequest
) -> None:
    proxy: Proxy = request.getfixturevalue(f"{case.server}_proxy")
    with Wire(proxy, era) as wire:
        bad, twin = case.bad(wire), case.twin(wire)
    flagged, passed = stored(proxy, bad), stored(proxy, twin)
    assert codes(flagged) == {case.code}, flagged.violations
    assert passed.violations == [] and passed.skipped == []
    assert flagged.protocol_version == passed.protocol_version == VERSIONS[era]
    assert all(v.where and v.message for v in flagged.violations)


@pytest.mark.parametrize(
    ("era", "send"),
    [
        # the routing headers are the stateless era's: a handshake request is not held to them
        ("handshake", call("list_cards", {}, **{"Mcp-Name": "add_card"})),
        # sessions are the handshake era's: a stateless request's session header is not checked
        ("stateless", call("list_cards", {}, **{"Mcp-Session-Id": "not-a-session"})),
    ],
    ids=["mcp_header_mismatch-handshake", "mcp_session-stateless"],
)
def test_a_rule_of_the_other_era_is_not_applied(app_proxy: Proxy, era: str, send: Send) -> None:
    with Wire(app_proxy, era) as wire:
        event = stored(app_proxy, send(wire))
    assert event.violations == []


# -- the sweep -------------------------------------------------------------------------------

#: The request field a method cannot do without (dropped: mcp_invalid_message); else `jsonrpc`.
REQUIRED = {
    "initialize": "clientInfo",
    "tools/call": "name",
    "resources/read": "uri",
    "prompts/get": "name",
}


def dropped(body: dict[str, Any]) -> tuple[dict[str, Any], str]:
    out = json.loads(json.dumps(body))
    key = REQUIRED.get(str(out.get("method")))
    if key is not None:
        del out["params"][key]
    else:
        del out["jsonrpc"]
    return out, "mcp_invalid_message"


def retyped(body: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """A type changed: a string argument of a tools/call made a number, else params an array."""
    out = json.loads(json.dumps(body))
    arguments = (out.get("params") or {}).get("arguments") or {}
    text = next((k for k, v in arguments.items() if isinstance(v, str)), None)
    if out.get("method") == "tools/call" and text is not None:
        arguments[text] = 5
        return out, "mcp_invalid_arguments"
    out["params"] = ["not", "an", "object"]
    return out, "mcp_invalid_message"


async def with_ping(client: Client) -> None:
    """Every method the official client and the example app use in a handshake-era session
    (ping is gone from 2026-07-28)."""
    await full_session(client)
    await client.send_ping()


def client_messages(events: list[Event]) -> list[Event]:
    return [e for e in events if e.rpc_direction == "client" and e.rpc_method]


def sent_headers(event: Event, wire: Wire) -> dict[str, str]:
    """The MCP headers the client sent, in the wire's session (the recorded one has ended)."""
    headers = {k: v for k, v in event.request_headers if k.lower().startswith("mcp-")}
    if wire.session is not None and any(k.lower() == "mcp-session-id" for k in headers):
        headers = {k: v for k, v in headers.items() if k.lower() != "mcp-session-id"}
        headers["Mcp-Session-Id"] = wire.session
    return {**ACCEPT, **headers}


def with_version(headers: dict[str, str], version: str) -> dict[str, str]:
    kept = {k: v for k, v in headers.items() if k.lower() != "mcp-protocol-version"}
    return {**kept, "MCP-Protocol-Version": version}


@pytest.mark.filterwarnings("ignore:ping is removed")  # it is not, in the handshake era
@pytest.mark.parametrize("era", ERAS)
def test_a_full_sdk_session_passes_and_each_message_mutated_is_flagged(
    app_proxy: Proxy, era: str
) -> None:
    earlier = {e.event_id for e in stored_events(app_proxy.db)}
    if era == "handshake":
        run_session(app_proxy.url + "/mcp", "legacy", with_ping)
    else:
        run_session(app_proxy.url + "/mcp", "auto", full_session)
    wanted = {"tools/call", *CLIENT_METHODS}
    wanted |= (
        {"initialize", "notifications/initialized", "ping"}
        if era == "handshake"
        else {"server/discover"}
    )

    def session() -> list[Event] | None:
        events = events_since(app_proxy.db, earlier)
        seen = {e.rpc_method for e in client_messages(events)}
        return events if seen >= wanted else None

    events = wait_for(session, SETTLE_S)
    assert events is not None
    assert [(e.rpc_method, e.violations) for e in events if e.violations] == []
    assert all(e.skipped == [] for e in events)
    sent = client_messages(events)
    assert {e.rpc_method for e in sent} == wanted
    assert [
        (e.rpc_method, e.protocol_version) for e in sent if e.protocol_version != VERSIONS[era]
    ] == []

    flagged: dict[str, tuple[str, str]] = {}  # event id -> (what was done, the code expected)
    passed: list[str] = []
    with Wire(app_proxy, era) as wire:
        for event in sent:
            body = json.loads(event.request_body or "")
            headers = sent_headers(event, wire)
            method = event.rpc_method or ""
            passed.append(wire.post(body, headers))
            for what, mutate in (("a field dropped", dropped), ("a type changed", retyped)):
                mutated, code = mutate(body)
                flagged[wire.post(mutated, headers)] = (f"{method}: {what}", code)
            if method != "initialize":  # its version is the one it asks for, not a header
                wrong = with_version(headers, OTHER_VERSION)
                flagged[wire.post(body, wrong)] = (
                    f"{method}: a wrong version header",
                    "mcp_protocol_version",
                )
    for event_id in passed:
        again = stored(app_proxy, event_id)
        assert again.violations == [], (again.rpc_method, again.violations)
    missed = {
        what: sorted(codes(stored(app_proxy, event_id)))
        for event_id, (what, code) in flagged.items()
        if code not in codes(stored(app_proxy, event_id))
    }
    assert missed == {}
    assert len(flagged) >= 3 * len(wanted) - 1
