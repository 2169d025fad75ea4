"""`pluginlab-tui import F.har`: hostile files give one line, never a traceback, and the
store gets no secret the HAR carried."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from pluginlab_tui.cli import main
from tests.conftest import stored_events
from tests.harness import TODO, write_config

SERVICE = "svc-token-7c1f0e9b2a"
CLIENT = "client-secret-55aa9f"
KEY = "plk_" + "Q" * 43
ACCESS = "pla_" + "z" * 43
CODE = "plc_" + "c" * 43


def _config(tmp_path: Path) -> Path:
    return write_config(
        tmp_path,
        {
            "plugin": {
                "manifest": str(TODO / "ai-plugin.json"),
                "spec": str(TODO / "openapi.yaml"),
            },
            "auth": {"mode": "service_http", "service_token": SERVICE},
            "auth.oauth": {"client_secret": CLIENT},
            "store": {"path": str(tmp_path / "events.db")},
        },
    )


def _entry(url: str, **fields: Any) -> dict[str, Any]:
    request = {"method": "GET", "url": url, "headers": []}
    request.update(fields.pop("request", {}))
    response = {"status": 200, "headers": [], "content": {"mimeType": "application/json"}}
    response.update(fields.pop("response", {}))
    return {
        "startedDateTime": "2026-11-24T10:00:00.000Z",
        "time": 1.0,
        "request": request,
        "response": response,
        **fields,
    }


def _run(tmp_path: Path, text: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    path = tmp_path / "in.har"
    path.write_text(text, encoding="utf-8")
    code = main(["import", str(path), "--config", str(_config(tmp_path))])
    out, err = capsys.readouterr()
    return code, out, err


def test_json_nested_100k_deep_is_refused_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = _run(tmp_path, "[" * 100_000 + "]" * 100_000, capsys)
    assert code == 2 and "Traceback" not in err
    assert err.count("\n") == 1 and "nested too deeply" in err


@pytest.mark.parametrize(
    "document",
    [[], {"log": []}, {"log": {"entries": {"0": {}}}}, 12, {"log": {"entries": "x"}}],
)
def test_what_is_not_a_har_is_refused_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], document: Any
) -> None:
    code, out, err = _run(tmp_path, json.dumps(document), capsys)
    assert code == 2 and out == "" and err.count("\n") == 1 and "not a HAR" in err


def test_bad_entries_are_skipped_and_counted_on_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    deep = "[" * 100_000 + "]" * 100_000
    entries = [
        _entry("http://localhost:8787/todos/alice"),
        _entry("http://localhost:8787/todos/bob", response={"status": 10**19 * 7}),
        _entry("http://localhost:8787/todos/\ud800"),  # a lone surrogate (escaped in the file)
        _entry(
            "http://localhost:8787/todos/carol",
            request={"method": "POST", "postData": {"mimeType": "application/json", "text": deep}},
        ),
        {"request": {"method": "GET"}},
        _entry("http://localhost:8787/todos/dave", time=10**30, response={"bodySize": 10**40}),
    ]
    code, out, err = _run(tmp_path, json.dumps({"log": {"entries": entries}}), capsys)
    assert code == 0 and "Traceback" not in err, err
    assert "imported 4 exchange(s)" in out
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("pluginlab-tui: skipped 2 entries (entry 1:")
    assert "entry 4: the request has no url" in lines[0]
    paths = sorted(e.path for e in stored_events(tmp_path / "events.db"))
    assert paths == ["/todos/\\ud800", "/todos/alice", "/todos/carol", "/todos/dave"]


def test_a_hars_secrets_are_not_stored(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    basic = base64.b64encode(f"me:{SERVICE}".encode()).decode()
    entries = [
        _entry(
            f"http://localhost:8787/todos/alice?access_token={ACCESS}&limit=2",
            request={
                "headers": [
                    {"name": "Authorization", "value": f"Bearer {SERVICE}"},
                    {"name": "X-Forwarded-Auth", "value": f"Basic {basic}"},
                    {"name": "X-Note", "value": f"key={KEY}"},
                    {"name": "Cookie", "value": f"s={ACCESS}"},
                ]
            },
        ),
        _entry(
            "http://localhost:8787/_pluginlab/oauth/token",
            request={
                "method": "POST",
                "postData": {
                    "mimeType": "application/x-www-form-urlencoded",
                    "text": f"grant_type=authorization_code&code={CODE}&client_secret={CLIENT}",
                },
            },
            response={
                "content": {
                    "mimeType": "application/json",
                    "text": json.dumps({"access_token": ACCESS, "refresh_token": "r-1"}),
                }
            },
        ),
        _entry(
            f"http://localhost:8787/_pluginlab/oauth/authorize?client_id=x&code={CODE}",
            response={
                "status": 302,
                "headers": [{"name": "Location", "value": f"https://cb/?code={CODE}&state=s"}],
            },
        ),
        _entry(
            f"http://127.0.0.1:9/todos/x?access_token={ACCESS}",
            response={"status": 0, "_error": f"cannot connect: http://127.0.0.1:9/?token={KEY}"},
        ),
    ]
    code, _, err = _run(tmp_path, json.dumps({"log": {"entries": entries}}), capsys)
    assert code == 0, err
    assert len(stored_events(tmp_path / "events.db")) == 4
    for place in tmp_path.glob("events.db*"):
        data = place.read_bytes()
        for secret in (SERVICE, CLIENT, KEY, ACCESS, CODE, basic, "r-1"):
            assert secret.encode() not in data, f"{secret} in {place.name}"
