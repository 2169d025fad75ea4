"""Credentials as bytes, through the real proxy in every auth mode, with raw sockets.

For each hostile credential (undecodable, latin-1, NUL, overlong, a lone surrogate's bytes,
repeated headers) the proxy answers 401 and the lab backend's call log shows it was not called;
the valid credential still gets 200; undecodable bytes elsewhere (a User-Agent, the path) change
no verdict; and hostile requests to the proxy's OAuth endpoints get OAuth errors, with no
/_pluginlab/ request ever reaching the backend.
"""

from __future__ import annotations

import base64
import json
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, quote, urlencode, urlsplit

import httpx
import pytest

from tests.access.helpers import add_user
from tests.conftest import ProxyFactory, stored_events
from tests.e2e.lab import LabBackend, lab_sections
from tests.harness import ProxyProcess, wait_for

SECRET = "tok-café-" + "s" * 24
CLIENT_SECRET = "dev-" + "c" * 30
CALLBACK = "https://chat.openai.com/aip/plugin-88ae40-1c2d-c19db05b7638/oauth/callback"
NOTE = b"/v1/notes/1"


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body or b"null")


def send(
    proxy: ProxyProcess, method: bytes, target: bytes, headers: list[bytes], body: bytes = b""
) -> Answer:
    """One request written byte for byte on a fresh connection; the whole answer, read to EOF."""
    host, port = proxy.url.removeprefix("http://").split(":")
    lines = [method + b" " + target + b" HTTP/1.1", b"Host: " + host.encode(), b"Connection: close"]
    lines += headers
    if body or method in (b"POST", b"PUT"):
        lines.append(b"Content-Length: %d" % len(body))
    data = b"\r\n".join(lines) + b"\r\n\r\n" + body
    received = bytearray()
    with socket.create_connection((host, int(port)), timeout=15) as sock:
        sock.sendall(data)
        while len(received) < 4_000_000:
            chunk = sock.recv(65536)
            if not chunk:
                break
            received += chunk
    head, _, rest = bytes(received).partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    found = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        found[name.strip().lower()] = value.strip()
    return Answer(int(status_line.split(" ")[1]), found, rest)


@pytest.fixture(scope="module")
def lab() -> Iterator[LabBackend]:
    with LabBackend() as backend:
        yield backend


def _bearer(secret: bytes) -> bytes:
    return b"Authorization: Bearer " + secret


def _oauth_token(proxy: ProxyProcess) -> bytes:
    """An access token from the development provider (auto-approved), as ChatGPT gets one."""
    with proxy.client() as client:
        query = {
            "response_type": "code",
            "client_id": "pluginlab-dev-client",
            "redirect_uri": CALLBACK,
            "state": "s1",
        }
        approved = client.get("/_pluginlab/oauth/authorize", params=query)
        assert approved.status_code == 302, approved.text
        code = parse_qs(urlsplit(approved.headers["Location"]).query)["code"][0]
        fields = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": CALLBACK,
            "client_id": "pluginlab-dev-client",
            "client_secret": CLIENT_SECRET,
        }
        tokens = client.post("/_pluginlab/oauth/token", data=fields)
        assert tokens.status_code == 200, tokens.text
        return str(tokens.json()["access_token"]).encode()


MODES: dict[str, dict[str, Any]] = {
    "none": {"auth": {"mode": "none"}},
    "service_http": {"auth": {"mode": "service_http", "service_token": SECRET}},
    "service_http basic": {
        "auth": {"mode": "service_http", "service_token": SECRET, "authorization_type": "basic"}
    },
    "user_http": {"auth": {"mode": "user_http"}},
    "oauth": {
        "auth": {"mode": "oauth"},
        "auth__oauth": {"client_secret": CLIENT_SECRET, "auto_approve": "alice"},
    },
    "api_key": {"auth": {"mode": "api_key", "api_key": SECRET}},
    "api_key header": {"auth": {"mode": "api_key", "api_key": SECRET, "api_key_header": "X-Key"}},
}


Setup = Callable[[str], tuple[ProxyProcess, bytes]]


@pytest.fixture(scope="module")
def setup(start_module_proxy: ProxyFactory, lab: LabBackend) -> Setup:
    """setup(mode): the proxy in this mode before the lab backend, and the valid credential's
    header line; one proxy per mode for the module (the tests find their events by id)."""
    made: dict[str, tuple[ProxyProcess, bytes]] = {}

    def get(mode: str) -> tuple[ProxyProcess, bytes]:
        if mode not in made:
            made[mode] = _setup(mode, start_module_proxy, lab)
        return made[mode]

    return get


def _setup(mode: str, start_proxy: ProxyFactory, lab: LabBackend) -> tuple[ProxyProcess, bytes]:
    proxy = start_proxy(backend=lab.url, **lab_sections(**MODES[mode]))
    secret = SECRET.encode()
    if mode == "user_http":
        return proxy, _bearer(add_user(proxy, "alice").encode())
    if mode == "oauth":
        return proxy, _bearer(_oauth_token(proxy))
    if mode == "service_http basic":
        return proxy, b"Authorization: Basic " + secret
    if mode == "api_key header":
        return proxy, b"X-Key: " + secret
    return proxy, _bearer(secret)


def _hostile(valid: bytes) -> list[list[bytes]]:
    """Header sets that stand where the valid credential goes; none of them is it."""
    name, _, rest = valid.partition(b": ")
    scheme, sep, secret = rest.rpartition(b" ")
    prefix = name + b": " + scheme + sep
    latin1 = secret.decode("utf-8").encode("latin-1", "replace")
    sets = [
        [prefix + b"\xff"],
        [prefix + b"\xfe\xff" + secret],
        [prefix + secret + b"\xff"],
        [prefix + secret + b"\x00"],
        [prefix + b"\x00"],
        [prefix + secret + b"\xed\xa0\x80"],  # a lone surrogate, as UTF-8-style bytes
        [prefix + b"\xc0\xaf"],  # an overlong UTF-8 encoding
        [prefix + b"a" * 9000],
        [prefix + secret + b"a" * 9000],
        [prefix + base64.b64encode(b"\xff:" + secret)],  # Basic: an undecodable user
        [valid, valid],  # repeated: refused, not one picked
        [valid, prefix + b"wrong"],
        [prefix + b"wrong", valid],
    ]
    if latin1 != secret:
        sets.append([prefix + latin1])
    return sets


@pytest.mark.parametrize("mode", list(MODES))
def test_hostile_credentials_never_reach_the_backend(
    mode: str, setup: Setup, lab: LabBackend
) -> None:
    proxy, valid = setup(mode)
    before = len(lab.calls)
    assert send(proxy, b"GET", NOTE, [valid]).status == 200
    assert lab.calls[before:] == [("GET", "/v1/notes/1")]
    refused: list[str] = []
    for headers in _hostile(valid):
        for method in (b"GET", b"DELETE", b"PUT"):
            before = len(lab.calls)
            answer = send(
                proxy, method, NOTE, headers, b'{"text": "x"}' if method == b"PUT" else b""
            )
            if mode == "none":  # no credential is asked: the bytes change nothing
                assert answer.status != 401, (headers, method)
                continue
            assert answer.status == 401, (mode, headers[0][:50], method)
            assert answer.json()["error"] in ("invalid", "missing")
            assert lab.calls[before:] == [], f"{mode}: the backend was called for {headers!r:.80}"
            refused.append(answer.headers["x-pluginlab-event-id"])
    if refused:
        events = wait_for(
            lambda: (
                (found := {e.event_id: e for e in stored_events(proxy.db)})
                and all(i in found for i in refused)
                and found
            )
        )
        assert events, "the refusals were not all recorded"
        assert {(events[i].auth_result, events[i].status) for i in refused} <= {
            ("invalid", 401),
            ("missing", 401),
        }
    # The valid credential still works after all of that.
    assert send(proxy, b"GET", NOTE, [valid]).status == 200


@pytest.mark.parametrize("mode", ["service_http", "user_http", "api_key header"])
def test_undecodable_bytes_elsewhere_change_no_verdict(
    mode: str, setup: Setup, lab: LabBackend
) -> None:
    proxy, valid = setup(mode)
    weird = [b"User-Agent: \xff\xfe ChatGPT", b"X-Note: caf\xe9 \xed\xa0\x80"]
    before = len(lab.calls)
    assert send(proxy, b"GET", NOTE, [valid, *weird]).status == 200
    assert send(proxy, b"GET", b"/v1/search?q=%FF\xff", [valid, *weird]).status == 200
    assert lab.calls[before:] == [("GET", "/v1/notes/1"), ("GET", "/v1/search?q=%FF%FF")]
    # An undecodable id is routed like any other id the backend does not know.
    plain = send(proxy, b"GET", b"/v1/notes/abc", [valid])
    odd = send(proxy, b"GET", b"/v1/notes/\xff", [valid, *weird])
    assert odd.status == plain.status != 401
    assert lab.calls[-2][1] == "/v1/notes/abc"
    assert lab.calls[-1][1].startswith("/v1/notes/") and lab.calls[-1][1] != "/v1/notes/"
    before = len(lab.calls)
    for target in (NOTE, b"/v1/notes/\xff", b"/v1/search?q=%FF\xff"):
        assert send(proxy, b"GET", target, weird).status == 401
    assert lab.calls[before:] == []


def test_hostile_oauth_requests_are_answered_by_the_proxy(setup: Setup, lab: LabBackend) -> None:
    proxy, valid = setup("oauth")
    before = len(lab.calls)
    authorize = (
        b"/_pluginlab/oauth/authorize?response_type=code&redirect_uri="
        + quote(CALLBACK, safe="").encode()
    )
    good = {
        "grant_type": "refresh_token",
        "refresh_token": "plr_x",
        "client_id": "pluginlab-dev-client",
        "client_secret": CLIENT_SECRET,
    }
    form = b"Content-Type: application/x-www-form-urlencoded"
    as_json = b"Content-Type: application/json"

    def basic(raw: bytes) -> bytes:
        return b"Authorization: Basic " + base64.b64encode(raw)

    token, revoke = b"/_pluginlab/oauth/token", b"/_pluginlab/oauth/revoke"
    cases: list[tuple[bytes, bytes, list[bytes], bytes, int, str]] = [
        (b"GET", authorize + b"&client_id=%FF&state=s", [], b"", 400, "invalid_request"),
        (b"GET", authorize + b"&client_id=\xff&state=s", [], b"", 400, "invalid_request"),
        (
            b"GET",
            authorize + b"&client_id=pluginlab-dev-client&state=%ED%A0%80",
            [],
            b"",
            400,
            "invalid_request",
        ),
        (
            b"GET",
            authorize + b"&client_id=pluginlab-dev-client&state=a&state=b",
            [],
            b"",
            400,
            "invalid_request",
        ),
        (
            b"POST",
            b"/_pluginlab/oauth/authorize",
            [form],
            b"client_id=%FF&decision=allow",
            400,
            "invalid_request",
        ),
        (
            b"POST",
            token,
            [as_json],
            json.dumps({**good, "refresh_token": "\ud800"}).encode(),
            400,
            "invalid_request",
        ),
        (
            b"POST",
            token,
            [as_json],
            json.dumps({**good, "code": "\ud800"}).encode(),
            400,
            "invalid_request",
        ),
        (
            b"POST",
            token,
            [as_json],
            json.dumps({**good, "client_secret": [CLIENT_SECRET]}).encode(),
            400,
            "invalid_request",
        ),
        (
            b"POST",
            token,
            [as_json],
            json.dumps({**good, "client_id": {"a": "b"}}).encode(),
            400,
            "invalid_request",
        ),
        (b"POST", token, [as_json], b'{"grant_type": "\xff"}', 400, "invalid_request"),
        (b"POST", token, [as_json], b"[" * 50_000, 400, "invalid_request"),
        (
            b"POST",
            token,
            [form],
            urlencode(good).encode() + b"&client_secret=%FF",
            400,
            "invalid_request",
        ),
        (
            b"POST",
            token,
            [form],
            urlencode({**good, "refresh_token": "x" * 10_000}).encode(),
            400,
            "invalid_request",
        ),
        (
            b"POST",
            token,
            [form, basic(b"pluginlab-dev-client:\xff")],
            b"grant_type=refresh_token",
            401,
            "invalid_client",
        ),
        (
            b"POST",
            token,
            [form, b"Authorization: Basic \xff"],
            b"grant_type=refresh_token",
            401,
            "invalid_client",
        ),
        (
            b"POST",
            token,
            [form, basic(b"pluginlab-dev-client:" + CLIENT_SECRET.encode())] * 2,
            b"grant_type=refresh_token",
            401,
            "invalid_client",
        ),
        (
            b"POST",
            token,
            [form],
            urlencode({**good, "client_secret": CLIENT_SECRET + "\x00"}).encode(),
            400,
            "invalid_request",
        ),
        (
            b"POST",
            revoke,
            [as_json],
            json.dumps({**good, "token": {"t": 1}}).encode(),
            400,
            "invalid_request",
        ),
        (
            b"POST",
            revoke,
            [as_json],
            json.dumps({**good, "token": "\udcff"}).encode(),
            400,
            "invalid_request",
        ),
        (
            b"POST",
            b"/%5Fpluginlab/oauth/token",
            [form],
            urlencode(good).encode(),
            400,
            "invalid_grant",
        ),
        (
            b"POST",
            b"/v1/../_pluginlab/oauth/token",
            [form],
            urlencode(good).encode(),
            400,
            "invalid_grant",
        ),
        (b"POST", b"/_pluginlab/\xff", [form], urlencode(good).encode(), 404, "not_found"),
    ]
    for method, target, headers, body, status, error in cases:
        answer = send(proxy, method, target, headers, body)
        assert (answer.status, answer.json().get("error")) == (status, error), (target, body[:60])
    assert [c for c in lab.calls[before:] if "pluginlab" in c[1].lower()] == []
    assert lab.calls[before:] == []
    assert send(proxy, b"GET", NOTE, [valid]).status == 200
    with httpx.Client(base_url=proxy.url, trust_env=False, timeout=10) as client:
        assert client.get("/_pluginlab/health").status_code == 200
