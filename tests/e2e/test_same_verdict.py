"""One exchange, one verdict: a replay checked here agrees with what the proxy recorded.

The proxy records exchanges under version 1 of the spec, then (restarted with plugin.pin = 1)
while the files on disk already say something else; each exchange is replayed straight to the
backend, checked here, and must get the proxy's violations: slow ones (proxy.slow_ms) included.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pluginlab_tui.config import load_config
from pluginlab_tui.examples import Backend
from pluginlab_tui.replay.runner import Replayer
from pluginlab_tui.store.event import Event
from pluginlab_tui.validation.violations import Violation
from tests.conftest import stored_events
from tests.harness import TODO, ProxyProcess, todo_sections, wait_for, write_config

SLOW_MS = 150
#: The answer's delay (X-Todo-Delay), well past SLOW_MS.
DELAY_S = 0.4
V1_LIMIT = "maximum: 100\n            default: 50"
V2_LIMIT = "maximum: 10\n            default: 5"


def _proxy(folder: Path, backend: Backend, spec: Path, **plugin: Any) -> ProxyProcess:
    """The example plugin's proxy (not started) on `spec`, its store in `folder`."""
    sections = todo_sections(
        folder,
        backend.url,
        plugin={"spec": str(spec), **plugin},
        proxy={"slow_ms": SLOW_MS},
    )
    return ProxyProcess(write_config(folder, sections))


def _record(proxy: ProxyProcess, user: str) -> None:
    """Four exchanges that change nothing: in contract, slow, a wrong answer, a wrong request."""
    with proxy.client() as client:
        assert client.get(f"/todos/{user}", params={"limit": 50}).status_code == 200
        slow = {"X-Todo-Delay": str(DELAY_S)}
        assert client.get(f"/todos/{user}", params={"limit": 2}, headers=slow).status_code == 200
        assert client.get(f"/todos/{user}", headers={"X-Todo-Fault": "wrong_type"}).is_success
        client.get(f"/todos/{user}", params={"limit": 500})


def _events(db: Path, count: int) -> list[Event]:
    found = wait_for(lambda: (e := stored_events(db)) and len(e) >= count and e)
    assert found, f"fewer than {count} events in {db}"
    return list(found)


def _comparable(violations: list[Violation]) -> list[dict[str, Any]]:
    """Violations as dicts; a slow response's message quotes its own duration, so not that."""
    out = []
    for violation in violations:
        data = violation.to_dict()
        if violation.code == "slow_response":
            data.pop("message")
        out.append(data)
    return out


def test_a_replay_checked_here_gets_the_proxys_verdict(
    tmp_path: Path, todo_backend: Backend
) -> None:
    spec = tmp_path / "openapi.yaml"
    v1 = (TODO / "openapi.yaml").read_text(encoding="utf-8")
    assert V1_LIMIT in v1
    spec.write_text(v1, encoding="utf-8")
    folder = tmp_path / "lab"
    folder.mkdir()
    with _proxy(folder, todo_backend, spec) as proxy:
        _record(proxy, "verdict-v1")
        _events(proxy.db, 4)
    # The files on disk move on (limit up to 10), but version 1 stays in service.
    spec.write_text(v1.replace(V1_LIMIT, V2_LIMIT), encoding="utf-8")
    with _proxy(folder, todo_backend, spec, pin=1) as proxy:
        _record(proxy, "verdict-pinned")
        recorded = _events(proxy.db, 8)
    config = load_config(proxy.config)
    assert [e.version for e in recorded] == [1] * 8
    codes = [sorted(v.code for v in e.violations) for e in recorded[:4]]
    assert codes == [[], ["slow_response"], ["invalid_response_body"], ["invalid_parameter"]]
    assert [sorted(v.code for v in e.violations) for e in recorded[4:]] == codes
    with Replayer.for_config(config, target=todo_backend.url) as replayer:
        results = replayer.replay_many(recorded)
    for event, result in zip(recorded, results, strict=True):
        assert result.checked_by == "here" and result.status == event.status
        assert _comparable(result.violations) == _comparable(event.violations), event.url
