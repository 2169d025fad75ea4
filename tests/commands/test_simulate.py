"""`pluginlab-tui simulate`: which store it signs with, and what it says when it has none."""

from __future__ import annotations

from pathlib import Path

import pytest

from pluginlab_tui.cli import main
from pluginlab_tui.examples import Backend
from tests.conftest import stored_events
from tests.e2e.test_mcp_mode import Proxy
from tests.harness import HealthServer, wait_for
from tests.mcp.servers import lax_echo, serving, widget_server
from tests.simulate.test_app_signin import oauth_proxy


def test_a_store_the_proxy_names_but_that_cannot_be_opened_is_one_line_then_live(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "file").write_text("not a folder", encoding="utf-8")
    with HealthServer() as proxy:
        proxy.answer = {"status": "ok", "store": str(tmp_path / "file" / "events.db")}
        code = main(["simulate", "--target", proxy.url])
    err = capsys.readouterr().err.splitlines()
    assert err[0] == (
        f"pluginlab-tui: cannot use {tmp_path / 'file' / 'events.db'} as the event store: "
        f"{tmp_path / 'file'} is not a folder; calls are recorded as source=live"
    )
    assert code == 1 and "cannot fetch the manifest" in err[1]  # the run went on
    assert "Traceback" not in "\n".join(err)


def test_a_target_that_names_no_store_is_said(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with HealthServer() as proxy:
        main(["simulate", "--target", proxy.url])
    first = capsys.readouterr().err.splitlines()[0]
    assert "names no event store" in first and first.endswith("recorded as source=live")


@pytest.mark.parametrize("bad", ["folder", "file/events.db"])
def test_a_db_that_cannot_be_used_is_exit_2_before_any_call(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], bad: str
) -> None:
    (tmp_path / "folder").mkdir()
    (tmp_path / "file").write_text("x", encoding="utf-8")
    with HealthServer() as proxy:
        code = main(["simulate", "--target", proxy.url, "--db", str(tmp_path / bad)])
        assert proxy.paths == []
    err = capsys.readouterr().err
    assert code == 2 and err.startswith(f"pluginlab-tui: cannot use {tmp_path / bad}")
    assert len(err.splitlines()) == 1


def test_against_an_mcp_endpoint_every_call_is_recorded_as_simulate(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    app_backend: Backend,
) -> None:
    monkeypatch.chdir(tmp_path)
    with Proxy(tmp_path, "--mcp", "/mcp", "--backend", app_backend.url) as proxy:
        code = main(["simulate", "--target", proxy.url, "--mcp", "/mcp", "--fuzz", "1"])
        out = capsys.readouterr().out
        events = wait_for(
            lambda: (
                [e for e in stored_events(proxy.db) if '"tools/call"' in (e.request_body or "")]
                or None
            )
        )
    assert code == 0, out
    assert "tools/call" in out and "add_card" in out and "fuzz" in out
    assert out.rstrip().endswith("0 broke the contract or failed")
    assert events and {e.source for e in events} == {"simulate"}


def test_fuzz_needs_an_mcp_endpoint(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code = main(["simulate", "--target", "http://127.0.0.1:9", "--fuzz", "2"])
    assert code == 2
    assert capsys.readouterr().err == (
        "pluginlab-tui: --fuzz works against an MCP endpoint (--mcp PATH or mcp.endpoint)\n"
    )


def test_a_bad_mcp_path_is_refused_by_the_parser(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["simulate", "--mcp", "mcp"]) == 2
    assert capsys.readouterr().err == (
        "pluginlab-tui simulate: argument --mcp: 'mcp' is not a path: it must start with /"
        " (see pluginlab-tui simulate --help)\n"
    )


def test_in_oauth_mode_it_signs_in_as_chatgpt_then_calls_every_tool(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], app_backend: Backend
) -> None:
    proxy = oauth_proxy(tmp_path, app_backend.url, auto_approve="alice")
    try:
        code = main(["simulate", "--config", str(proxy.config), "--mcp", "/mcp"])
        out = capsys.readouterr().out
        events = wait_for(
            lambda: [e for e in stored_events(proxy.db) if e.tool == "delete_card"] or None
        )
    finally:
        proxy.stop()
    assert code == 0, out
    lines = out.splitlines()
    assert [line.split(" ")[0] for line in lines[:3]] == [
        "oauth:challenge",
        "oauth:resource-metadata",
        "oauth:server-metadata",
    ]
    assert any(line.startswith("oauth:token") and " 200 ok" in line for line in lines)
    assert out.rstrip().endswith("0 broke the contract or failed")
    assert events and {(e.source, e.user_id) for e in events} == {("simulate", "alice")}


def test_fuzz_against_a_server_that_takes_bad_arguments_lists_them_and_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with serving(widget_server(lax_echo).streamable_http_app()) as base:
        code = main(["simulate", "--target", base, "--mcp", "/mcp", "--fuzz", "3"])
    out = capsys.readouterr().out
    assert code == 1, out
    broke = out.split("\nwhat broke:\n", 1)[1].splitlines()
    assert broke[0] == "  fuzz POST " + base + "/mcp echo"
    assert broke[1].startswith("    accepted invalid arguments ('lang' left out): {")
    assert out.rstrip().endswith("1 broke the contract or failed")
