"""Hosting end to end: served files, CORS, hot reload while traffic flows, broken edits, pinning."""

from __future__ import annotations

import shutil
import sqlite3
import threading
import time
from pathlib import Path

import yaml

from pluginlab_tui.examples import example_dir
from tests.conftest import ProxyFactory, stored_events
from tests.harness import wait_for

TODO = example_dir("todo")


def editable_copy(folder: Path) -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    manifest = Path(shutil.copy(TODO / "ai-plugin.json", folder / "ai-plugin.json"))
    spec = Path(shutil.copy(TODO / "openapi.yaml", folder / "openapi.yaml"))
    return manifest, spec


def notices(db: Path) -> list[str]:
    conn = sqlite3.connect(db)
    try:
        return [r[0] for r in conn.execute("SELECT message FROM notices ORDER BY id")]
    finally:
        conn.close()


def test_cors_preflight_and_headers_for_allowed_origins_only(start_proxy: ProxyFactory) -> None:
    proxy = start_proxy()
    preflight = {
        "Origin": "https://chat.openai.com",
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type, openai-conversation-id",
    }
    with proxy.client() as client:
        allowed = client.options("/todos/alice", headers=preflight)
        refused = client.options(
            "/todos/alice", headers={**preflight, "Origin": "https://evil.test"}
        )
        call = client.get("/todos/alice", headers={"Origin": "https://chatgpt.com"})
        other = client.get("/todos/alice", headers={"Origin": "https://evil.test"})
    assert allowed.status_code == 204
    assert allowed.headers["Access-Control-Allow-Origin"] == "https://chat.openai.com"
    allow_headers = allowed.headers["Access-Control-Allow-Headers"].lower()
    assert "authorization" in allow_headers and "openai-conversation-id" in allow_headers
    assert refused.status_code == 403 and "Access-Control-Allow-Origin" not in refused.headers
    assert call.headers["Access-Control-Allow-Origin"] == "https://chatgpt.com"
    assert "Access-Control-Allow-Origin" not in other.headers


def test_an_edit_is_served_while_traffic_flows(start_proxy: ProxyFactory, tmp_path: Path) -> None:
    manifest, spec = editable_copy(tmp_path / "plugin")
    proxy = start_proxy(plugin={"manifest": str(manifest), "spec": str(spec)})
    stop = threading.Event()
    statuses: list[int] = []

    def traffic() -> None:
        with proxy.client() as client:
            for _ in range(3000):  # bounded
                if stop.is_set():
                    return
                statuses.append(client.get("/todos/reload").status_code)
                time.sleep(0.005)

    worker = threading.Thread(target=traffic)
    worker.start()
    try:
        wait_for(lambda: len(statuses) > 20)
        data = yaml.safe_load(spec.read_text())
        data["info"]["title"] = "Todo Lab, edited"
        spec.write_text(yaml.safe_dump(data, sort_keys=False))
        with proxy.client() as client:
            served = wait_for(
                lambda: "edited" in client.get("/openapi.yaml").text, timeout=15, interval=0.1
            )
        assert served, "the edited spec was not served"
        count = len(statuses)
        wait_for(lambda: len(statuses) > count + 20)
    finally:
        stop.set()
        worker.join()
    assert set(statuses) == {200}
    events = wait_for(lambda: (e := stored_events(proxy.db)) and e[-1].version == 2 and e)
    assert {e.version for e in events} == {1, 2}
    versions_seen = [e.version for e in events if e.path == "/todos/reload"]
    assert versions_seen == sorted(versions_seen), "no exchange went back to the old version"


def test_a_broken_edit_keeps_the_last_good_version(
    start_proxy: ProxyFactory, tmp_path: Path
) -> None:
    manifest, spec = editable_copy(tmp_path / "plugin")
    proxy = start_proxy(plugin={"manifest": str(manifest), "spec": str(spec)})
    good = spec.read_text()
    spec.write_text(good + "\n  this: [is not: yaml\n")
    assert wait_for(lambda: any("stays in service" in n for n in notices(proxy.db)), timeout=15)
    with proxy.client() as client:
        assert client.get("/openapi.yaml").text.startswith("openapi: 3.0.1")
        assert client.get("/todos/alice").status_code == 200
        manifest.write_text("{ not json")
        assert wait_for(lambda: sum("stays" in n for n in notices(proxy.db)) >= 2, timeout=15)
        assert client.get("/.well-known/ai-plugin.json").json()["name_for_model"] == "todolab"
    message = next(n for n in notices(proxy.db) if "stays in service" in n)
    assert "openapi.yaml" in message and "version 1" in message


def test_a_pinned_version_is_served_instead_of_the_newest(
    start_proxy: ProxyFactory, tmp_path: Path
) -> None:
    manifest, spec = editable_copy(tmp_path / "plugin")
    first = start_proxy(plugin={"manifest": str(manifest), "spec": str(spec)})
    db = first.db
    first.stop()
    data = yaml.safe_load(spec.read_text())
    data["info"]["title"] = "Todo Lab v2"
    spec.write_text(yaml.safe_dump(data, sort_keys=False))
    pinned = start_proxy(
        plugin={"manifest": str(manifest), "spec": str(spec), "pin": 1},
        store={"path": str(db)},
    )
    with pinned.client() as client:
        title = yaml.safe_load(client.get("/openapi.yaml").text)["info"]["title"]
        client.get("/todos/pin")
    assert title == "Todo Lab"
    assert wait_for(lambda: stored_events(db))[-1].version == 1
