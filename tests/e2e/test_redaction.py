"""No secret lands anywhere: traffic in every auth mode through the real proxy, each secret also
sent in odd places (a query parameter, a body, another header, base64 in a Basic header, after
a word character, in the URL of a backend that answers garbage so that aiohttp's message quotes
it), then HAR and curl exports and a HAR import; every byte of the store (with -wal and -shm),
of every export and of the proxy's stdout and stderr is searched for every secret used."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from pluginlab_tui.examples import Backend
from pluginlab_tui.store.event import Event
from tests.access.helpers import add_user, cli, unique
from tests.conftest import ProxyFactory, stored_events
from tests.e2e.test_auth_oauth import CALLBACK, sign_in, token_call
from tests.harness import ProxyProcess, wait_for
from tests.rogue import RogueBackend

SERVICE = "svc+Tok/en=" + "7" * 20  # url-encoding changes it
API_KEY = "key-" + "a1b2" * 8
CLIENT_SECRET = "cs-" + "Z9" * 15
MODES: dict[str, dict[str, Any]] = {
    "none": {"auth": {"mode": "none"}},
    "service_http": {"auth": {"mode": "service_http", "service_token": SERVICE}},
    "user_http": {"auth": {"mode": "user_http"}},
    "oauth": {
        "auth": {"mode": "oauth"},
        "auth__oauth": {"client_secret": CLIENT_SECRET},
    },
    "api_key bearer": {"auth": {"mode": "api_key", "api_key": API_KEY}},
    "api_key header": {
        "auth": {"mode": "api_key", "api_key": API_KEY, "api_key_header": "X-Api-Key"}
    },
}


@dataclass
class Caller:
    """The credentials of one auth mode and every secret that went over the wire."""

    headers: dict[str, str]
    secrets: list[str] = field(default_factory=list)


def credentials(mode: str, proxy: ProxyProcess, client: httpx.Client) -> Caller:
    """What a caller sends in this mode, got the way a user gets it (users add, OAuth flow)."""
    if mode == "none":
        return Caller({}, ["pla_" + unique("none") * 3])  # minted-looking, not configured
    if mode == "service_http":
        return Caller({"Authorization": f"Bearer {SERVICE}"}, [SERVICE])
    if mode == "user_http":
        key = add_user(proxy, unique("alice"))
        return Caller({"Authorization": f"Bearer {key}"}, [key])
    if mode.startswith("api_key"):
        name = "X-Api-Key" if mode.endswith("header") else "Authorization"
        return Caller({name: API_KEY if name == "X-Api-Key" else f"Bearer {API_KEY}"}, [API_KEY])
    add_user(proxy, "alice")
    code, _ = sign_in(client, "/_pluginlab/oauth/authorize", "alice")
    fields = {"grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK}
    first = token_call(
        client, "/_pluginlab/oauth/token", fields, form=True, basic=False, secret=CLIENT_SECRET
    )
    assert first.status_code == 200, first.text
    refresh = {"grant_type": "refresh_token", "refresh_token": first.json()["refresh_token"]}
    second = token_call(
        client, "/_pluginlab/oauth/token", refresh, form=False, basic=True, secret=CLIENT_SECRET
    )
    assert second.status_code == 200, second.text
    tokens = [first.json()[k] for k in ("access_token", "refresh_token")]
    tokens += [second.json()[k] for k in ("access_token", "refresh_token")]
    access = second.json()["access_token"]
    return Caller({"Authorization": f"Bearer {access}"}, [CLIENT_SECRET, code, *tokens])


def odd_places(client: httpx.Client, caller: Caller, who: str, expect: int | None) -> int:
    """Each secret sent where no credential belongs; returns how many requests were made."""
    sent = 0
    for secret in list(caller.secrets):
        basic = base64.b64encode(f"me:{secret}".encode()).decode()
        caller.secrets.append(basic)
        requests = [
            client.get(f"/todos/{who}", params={"access_token": secret, "q": secret}),
            client.get(f"/todos/{who}?note={quote(secret, safe='')}"),
            client.post(f"/todos/{who}", json={"title": f"x{secret}", "access_token": secret}),
            client.post(
                f"/todos/{who}",
                content=f"title=t&client_secret={quote(secret)}",
                headers={"Content-Type": "application/x-www-form-urlencoded"},
            ),
            client.get(
                f"/todos/{who}",
                headers={"X-Debug": f"token=abc{secret}", "X-Forwarded-Auth": f"Basic {basic}"},
            ),
        ]
        for request in requests:
            if expect is not None:
                assert request.status_code < 500, request.text
        sent += len(requests)
    return sent


def with_every_form(secrets: list[str]) -> list[bytes]:
    """The needles: each secret raw, url-encoded and base64, as it may travel."""
    needles: set[bytes] = set()
    for secret in secrets:
        raw = secret.encode()
        needles |= {raw, quote(secret, safe="").encode(), base64.b64encode(raw).rstrip(b"=")}
    return sorted(needles)


def import_har(proxy: ProxyProcess, folder: Path, secrets: list[str]) -> Path:
    """A HAR from another tool, carrying the secrets in headers, query, bodies, _error."""
    entries = []
    for i, secret in enumerate(secrets):
        entries.append(
            {
                "startedDateTime": f"2026-11-24T10:00:{i % 60:02d}.000Z",
                "time": 3,
                "request": {
                    "method": "POST",
                    "url": f"http://localhost:8787/_pluginlab/oauth/token?code={quote(secret)}",
                    "headers": [
                        {"name": "Authorization", "value": f"Bearer {secret}"},
                        {"name": "X-Other", "value": secret},
                    ],
                    "postData": {
                        "mimeType": "application/x-www-form-urlencoded",
                        "text": f"code={quote(secret)}&client_secret={quote(secret)}",
                    },
                },
                "response": {
                    "status": 200,
                    "headers": [{"name": "Set-Cookie", "value": f"s={secret}"}],
                    "content": {
                        "mimeType": "application/json",
                        "text": json.dumps({"access_token": secret, "echo": secret}),
                    },
                    "_error": f"GET http://127.0.0.1:1/x?access_token={secret} failed",
                },
            }
        )
    har = folder / "theirs.har"
    har.write_text(json.dumps({"log": {"version": "1.2", "entries": entries}}), encoding="utf-8")
    code, out, err = cli("import", str(har), "--config", str(proxy.config))
    assert code == 0 and f"imported {len(entries)} exchange(s)" in out, err
    return har


def api_events(proxy: ProxyProcess) -> list[Event]:
    return [e for e in stored_events(proxy.db) if e.path.startswith("/todos/")]


def search(places: dict[str, bytes], needles: list[bytes]) -> list[str]:
    return [
        f"{needle[:8]!r}... in {name}"
        for name, data in places.items()
        for needle in needles
        if needle in data
    ]


@pytest.mark.parametrize("mode", list(MODES))
def test_no_secret_lands_in_the_store_exports_or_logs(
    mode: str, start_proxy: ProxyFactory, todo_backend: Backend, tmp_path: Path
) -> None:
    proxy = start_proxy(**MODES[mode])
    who = unique("red")
    with proxy.client() as client:
        caller = credentials(mode, proxy, client)
        good = client.post(f"/todos/{who}", json={"title": "ok"}, headers=caller.headers)
        assert good.status_code == 201, good.text
        client.headers.update(caller.headers)
        sent = 1 + odd_places(client, caller, who, expect=201)
    with RogueBackend("garbage") as rogue:
        down = start_proxy(backend=rogue.url, **MODES[mode])
        with down.client() as client:
            down_caller = credentials(mode, down, client)
            caller.secrets = list(dict.fromkeys(caller.secrets + down_caller.secrets))
            for secret in caller.secrets:
                answer = client.get(
                    f"/todos/{who}",
                    params={"access_token": secret, "x": secret},
                    headers=down_caller.headers,
                )
                assert answer.status_code == 502, answer.text
        count = len(caller.secrets)
        assert wait_for(lambda: len(api_events(down)) >= count)
        failed = api_events(down)
        assert all(e.status == 502 and "not HTTP/1.1" in (e.error or "") for e in failed)
    assert wait_for(lambda: len(stored_events(proxy.db)) >= sent)

    exports: dict[str, bytes] = {}
    for store in (proxy, down):
        for kind in ("har", "curl"):
            out = tmp_path / f"{kind}-{store.db.parent.name}"
            code, _, err = cli("export", kind, "--config", str(store.config), "-o", str(out))
            assert code == 0, err
            exports[out.name] = out.read_bytes()
        code, listed, _ = cli("events", "--config", str(store.config), "--format", "json")
        exports[f"events {store.db.parent.name}"] = listed.encode()
    imported = import_har(proxy, tmp_path, caller.secrets)
    proxy.stop()
    down.stop()

    places = dict(exports)
    for store in (proxy, down):
        for suffix in ("", "-wal", "-shm"):
            path = Path(f"{store.db}{suffix}")
            if path.exists():
                places[path.name + " of " + store.db.parent.name] = path.read_bytes()
        places["log of " + store.db.parent.name] = "\n".join(store.lines).encode()
    assert any(b"[redacted]" in data for data in places.values())
    assert imported.exists()
    assert search(places, with_every_form(caller.secrets)) == []
