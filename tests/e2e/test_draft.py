"""Drafting a spec from real traffic: the example plugin through the real proxy."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from pluginlab_tui.cli import main
from pluginlab_tui.contract.document import operations, resolve
from pluginlab_tui.plugin.draft import draft_spec
from pluginlab_tui.plugin.lint import lint_texts
from pluginlab_tui.plugin.merge import merge_specs
from pluginlab_tui.store.event import Event
from pluginlab_tui.validation.validator import ContractValidator, HttpRequest, HttpResponse
from tests.conftest import ProxyFactory, stored_events
from tests.harness import TODO, ProxyProcess, wait_for

USERS = ("alice", "bob", "carol-smith", "dave_99")
TITLES = ("Buy milk", "Call the plumber", "Write the report", "Book flights", "Water plants")


def drive(proxy: ProxyProcess) -> int:
    """A realistic session: adds, lists, gets, patches, deletes, a few misses; the call count."""
    calls = 0
    with proxy.client() as client:
        ids: dict[str, list[int]] = {}
        for n, user in enumerate(USERS):
            for i, title in enumerate(TITLES[: 3 + n % 3]):
                body: dict[str, Any] = {"title": f"{title} #{n}"}
                if i % 2 == 0:
                    body["priority"] = ("low", "normal", "high")[(i + n) % 3]
                if i % 3 == 1:
                    body["due"] = f"2026-12-{10 + i:02d}"
                answer = client.post(f"/todos/{user}", json=body)
                assert answer.status_code == 201, answer.text
                ids.setdefault(user, []).append(answer.json()["id"])
                calls += 1
        for user in USERS:
            queries: list[dict[str, str | int]] = [
                {},
                {"status": "open"},
                {"status": "done", "limit": 5},
                {"limit": 2},
            ]
            for params in queries:
                assert client.get(f"/todos/{user}", params=params).status_code == 200
                calls += 1
            for todo_id in ids[user][:3]:
                assert client.get(f"/todos/{user}/{todo_id}").status_code == 200
                calls += 1
            first, second = ids[user][0], ids[user][1]
            patches = [{"done": True}, {"priority": "high", "due": None}, {"title": "Renamed"}]
            for patch in patches:
                assert client.patch(f"/todos/{user}/{first}", json=patch).status_code == 200
                calls += 1
            assert client.patch(f"/todos/{user}/{second}", json={"due": "2027-01-02"}).is_success
            assert client.delete(f"/todos/{user}/{second}").status_code == 204
            assert client.get(f"/todos/{user}/{second}").status_code == 404
            assert client.delete(f"/todos/{user}/{second}").status_code == 404
            calls += 4
        assert client.post("/todos/alice", json={"priority": "high"}).status_code == 400
        assert client.get("/todos/bob", params={"status": "later"}).status_code == 400
        calls += 2
    return calls


@pytest.fixture
def recorded(start_proxy: ProxyFactory) -> list[Event]:
    proxy = start_proxy()
    calls = drive(proxy)
    events = wait_for(lambda: (e := stored_events(proxy.db)) and len(e) >= calls and e)
    assert events and len(events) == calls
    proxy.stop()
    return list(events)


def check_traffic(spec: dict[str, Any], events: list[Event]) -> list[str]:
    """The recorded traffic validated against `spec`: the violations.

    Every response is checked, and every request the backend accepted (a request it refused
    with a 4xx is right to break the contract).
    """
    validator = ContractValidator.from_spec(spec)
    found = []
    for event in events:
        request = HttpRequest(
            event.method,
            event.path,
            event.query,
            event.request_headers,
            event.request_body.encode() if event.request_body is not None else None,
        )
        check = validator.check_request(request)
        response = HttpResponse(
            event.status or 0,
            event.response_headers,
            event.response_body.encode() if event.response_body is not None else None,
        )
        violations = validator.check_response(check, response, 1.0)
        if (event.status or 0) < 400:
            violations = [*check.violations, *violations]
        found += [f"{event.method} {event.path}?{event.query}: {v}" for v in violations]
    return found


def _key(op: Any) -> tuple[str, str]:
    return op.method, re.sub(r"\{[^}]*\}", "{}", op.path)


def param_names(spec: dict[str, Any], op: Any) -> dict[str, tuple[str, ...]]:
    found: dict[str, set[str]] = {"path": set(), "query": set(), "body": set()}
    for holder in (op.path_item, op.data):
        for param in holder.get("parameters") or []:
            param = resolve(spec, param)
            found[param["in"]].add(param["name"])
    body = resolve(spec, op.data.get("requestBody"))
    if body:
        schema = resolve(spec, body["content"]["application/json"]["schema"])
        found["body"] = set(schema.get("properties", {}))
    return {k: tuple(sorted(v)) for k, v in found.items()}


def test_a_draft_from_traffic_validates_that_traffic_and_matches_the_real_spec(
    recorded: list[Event],
) -> None:
    draft = draft_spec(recorded, server_url="http://localhost:8787")
    assert lint_errors(draft) == []
    assert check_traffic(draft, recorded) == []

    real = yaml.safe_load((TODO / "openapi.yaml").read_text())
    mine = {_key(op): op for op in operations(draft)}
    theirs = {_key(op): op for op in operations(real)}
    differences = []
    for key in sorted(set(mine) | set(theirs)):
        if key not in mine or key not in theirs:
            differences.append(f"{key}: only in {'draft' if key in mine else 'example'}")
            continue
        a, b = param_names(draft, mine[key]), param_names(real, theirs[key])
        for where in ("path", "query", "body"):
            if len(a[where]) != len(b[where]) or (where != "path" and a[where] != b[where]):
                differences.append(f"{key} {where}: draft {a[where]} vs example {b[where]}")
    print("draft vs examples/todo/openapi.yaml:\n  " + "\n  ".join(differences or ["same"]))
    assert set(mine) == set(theirs)
    # names and counts of query and body parameters match; path parameters in count
    assert differences == []


def lint_errors(spec: dict[str, Any]) -> list[str]:
    findings = lint_texts(None, yaml.safe_dump(spec, sort_keys=False), profile="plugin")
    return [f"{f.rule}: {f.message}" for f in findings if f.severity == "error"]


def test_spec_draft_command_writes_a_lint_clean_file_and_never_overwrites(
    start_proxy: ProxyFactory, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    proxy = start_proxy()
    calls = drive(proxy)
    wait_for(lambda: len(stored_events(proxy.db)) >= calls)
    out = tmp_path / "draft.yaml"
    code = main(["spec", "draft", "--db", str(proxy.db), "-o", str(out)])
    assert code == 0, capsys.readouterr().err
    spec = yaml.safe_load(out.read_text())
    assert spec["openapi"] == "3.1.0" and len(spec["paths"]) == 2
    assert lint_errors(spec) == []
    before = out.read_text()
    assert main(["spec", "draft", "--db", str(proxy.db), "-o", str(out)]) == 2
    assert "exists" in capsys.readouterr().err
    assert out.read_text() == before
    # --filter narrows the traffic drafted from
    only = tmp_path / "gets.yaml"
    assert (
        main(["spec", "draft", "--db", str(proxy.db), "--filter", "method:GET", "-o", str(only)])
        == 0
    )
    methods = {m for item in yaml.safe_load(only.read_text())["paths"].values() for m in item}
    assert methods == {"get"}


def test_merge_adds_back_a_removed_operation_and_changes_nothing_else(
    recorded: list[Event],
) -> None:
    real = yaml.safe_load((TODO / "openapi.yaml").read_text())
    reduced = copy.deepcopy(real)
    del reduced["paths"]["/todos/{username}/{todo_id}"]["delete"]
    draft = draft_spec(recorded, server_url="http://localhost:8787")
    merged, additions = merge_specs(reduced, draft)
    assert [str(a) for a in additions] == [
        "DELETE /todos/{username}/{todo_id}: operation added (seen in traffic)"
    ]
    added = merged["paths"]["/todos/{username}/{todo_id}"]["delete"]
    assert set(added["responses"]) == {"204", "404"}
    without = copy.deepcopy(merged)
    del without["paths"]["/todos/{username}/{todo_id}"]["delete"]
    assert without == reduced
    assert check_traffic(merged, recorded) == []
    assert lint_errors(merged) == []


def test_spec_draft_merge_command_shows_the_diff_and_reports_each_addition(
    start_proxy: ProxyFactory, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    proxy = start_proxy()
    calls = drive(proxy)
    wait_for(lambda: len(stored_events(proxy.db)) >= calls)
    real = yaml.safe_load((TODO / "openapi.yaml").read_text())
    del real["paths"]["/todos/{username}"]["post"]
    base = tmp_path / "openapi.yaml"
    base.write_text(yaml.safe_dump(real, sort_keys=False))
    original = base.read_text()
    out = tmp_path / "merged.yaml"
    code = main(["spec", "draft", "--db", str(proxy.db), "--merge", str(base), "-o", str(out)])
    err = capsys.readouterr().err
    assert code == 0, err
    assert "+ POST /todos/{username}: operation added" in err
    assert "operation-added" in err  # the spec diff of what changes
    assert base.read_text() == original
    merged = yaml.safe_load(out.read_text())
    assert "post" in merged["paths"]["/todos/{username}"]
    # replacing the spec itself needs --force, and keeps a backup
    assert (
        main(["spec", "draft", "--db", str(proxy.db), "--merge", str(base), "-o", str(base)]) == 2
    )
    capsys.readouterr()
    assert (
        main(
            [
                "spec",
                "draft",
                "--db",
                str(proxy.db),
                "--merge",
                str(base),
                "-o",
                str(base),
                "--force",
            ]
        )
        == 0
    )
    assert (tmp_path / "openapi.yaml.bak").read_text() == original
    assert "post" in yaml.safe_load(base.read_text())["paths"]["/todos/{username}"]
    assert json.dumps(merged, sort_keys=True) == json.dumps(
        yaml.safe_load(base.read_text()), sort_keys=True
    )
