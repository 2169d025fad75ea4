"""Config: defaults, file, environment and flags in order; one clear line for each mistake."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Annotated, get_args, get_origin

import pytest
from pydantic import BaseModel

from pluginlab_tui.cli import main
from pluginlab_tui.config import Config, host_port, is_loopback_host, load_config
from pluginlab_tui.errors import UsageError


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "pluginlab.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_need_no_file() -> None:
    config = load_config(None)
    assert config.proxy.listen == "127.0.0.1:8787"
    assert config.auth.mode == "none"
    assert config.store.body_cap_bytes == 1_048_576
    assert config.plugin.limits.name_for_human == 20


def test_paths_are_taken_from_the_files_folder(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, '[plugin]\nspec = "api/spec.yaml"\n'))
    assert config.spec_path == tmp_path / "api" / "spec.yaml"
    assert config.store_path == tmp_path / ".pluginlab" / "events.db"


def test_flags_beat_environment_which_beats_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path, '[proxy]\nlisten = "127.0.0.1:1111"\nstrict = false\ntimeout_s = 5\n')
    monkeypatch.setenv("PLUGINLAB_PROXY__LISTEN", "127.0.0.1:2222")
    monkeypatch.setenv("PLUGINLAB_PROXY__STRICT", "true")
    config = load_config(path, {"proxy.listen": "127.0.0.1:3333"})
    assert config.proxy.listen == "127.0.0.1:3333"
    assert config.proxy.strict is True
    assert config.proxy.timeout_s == 5


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[proxy]\nlisten = 8787\n", "proxy.listen: Input should be a valid string"),
        ('[proxy]\nlisten = "nowhere"\n', "proxy.listen: Value error, 'nowhere' is not HOST:PORT"),
        ('[proxy]\nlistne = "127.0.0.1:1"\n', "unknown key 'proxy.listne'"),
        ("[proxi]\n", "unknown key 'proxi'"),
        ('[auth]\nmode = "magic"\n', "auth.mode: Input should be 'none', 'service_http'"),
        ('[proxy]\nbackend = "localhost:8000"\n', "proxy.backend: Value error, must start with"),
        ('[store]\nbody_cap_bytes = "big"\n', "store.body_cap_bytes: Input should be a valid"),
        ("[store]\nqueue_max = 0\n", "store.queue_max: Input should be greater than or equal to 1"),
        ("[store]\nqueue_wait_ms = -1\n", "store.queue_wait_ms: Input should be greater than or"),
        ("[proxy\n", "not valid TOML"),
    ],
)
def test_each_mistake_is_one_line_naming_the_key(tmp_path: Path, text: str, expected: str) -> None:
    with pytest.raises(UsageError) as caught:
        load_config(write(tmp_path, text))
    message = str(caught.value)
    assert expected in message
    assert "\n" not in message


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="config file not found: .*nope.toml"):
        load_config(tmp_path / "nope.toml")


def test_the_command_says_it_in_one_line_with_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, "[proxy]\nstrict = 3\n")
    assert main(["events", "--config", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("pluginlab-tui: ") and "proxy.strict" in err
    assert len(err.strip().splitlines()) == 1


def test_host_port() -> None:
    assert host_port("127.0.0.1:80") == ("127.0.0.1", 80)
    assert host_port("[::1]:8080") == ("::1", 8080)
    with pytest.raises(ValueError):
        host_port("127.0.0.1:http")


#: Every numeric key, a value it refuses and what the line says.
REFUSED = [
    ("plugin.limits.name_for_human", 0, "greater than or equal to 1"),
    ("plugin.limits.name_for_model", -1, "greater than or equal to 1"),
    ("plugin.limits.description_for_human", 0, "greater than or equal to 1"),
    ("plugin.limits.description_for_model", -8000, "greater than or equal to 1"),
    ("plugin.limits.endpoint_description", 0, "greater than or equal to 1"),
    ("plugin.limits.parameter_description", -1, "greater than or equal to 1"),
    ("plugin.limits.response_chars", 0, "greater than or equal to 1"),
    ("plugin.pin", 0, "greater than or equal to 1"),
    ("plugin.pin", 2**63, "less than or equal to"),
    ("proxy.timeout_s", -1, "greater than 0"),
    ("proxy.timeout_s", 0, "greater than 0"),
    ("proxy.timeout_s", float("nan"), "finite number"),
    ("proxy.timeout_s", float("inf"), "finite number"),
    ("proxy.timeout_s", 1e300, "less than or equal to 86400"),
    ("proxy.slow_ms", 0, "greater than 0"),
    ("proxy.slow_ms", float("-inf"), "finite number"),
    ("auth.oauth.code_ttl_s", -5, "greater than 0"),
    ("auth.oauth.token_ttl_s", 0, "greater than 0"),
    ("auth.oauth.refresh_ttl_s", -1, "greater than 0"),
    ("auth.oauth.refresh_ttl_s", 10**12, "less than or equal to"),
    ("auth.jwt.ttl_s", 0, "greater than 0"),
    ("plans.free.rate_per_minute", -1, "greater than or equal to 0"),
    ("plans.free.quota", -1, "greater than or equal to 0"),
    ("store.body_cap_bytes", 0, "greater than 0"),
    ("store.flush_ms", 0, "greater than 0"),
    ("store.flush_ms", 10**9, "less than or equal to 60000"),
    ("store.max_events", -3, "greater than or equal to 1"),
    ("store.max_events", 0, "greater than or equal to 1"),
    ("store.queue_max", 0, "greater than or equal to 1"),
    ("store.queue_max_bytes", 0, "greater than or equal to 1"),
    ("store.queue_wait_ms", -1, "greater than or equal to 0"),
    ("proxy.max_body_bytes", 0, "greater than 0"),
    ("proxy.max_inflight_bytes", 0, "greater than 0"),
    ("proxy.max_connections", 0, "greater than 0"),
    ("proxy.head_timeout_s", 0, "greater than 0"),
    ("proxy.max_inflated_bytes", -1, "greater than 0"),
    ("plugin.max_spec_bytes", 0, "greater than 0"),
    ("mcp.stream_idle_s", 0, "greater than 0"),
    ("mcp.stream_idle_s", float("nan"), "finite number"),
    ("mcp.stream_idle_s", float("inf"), "finite number"),
    ("mcp.stream_idle_s", 86401, "less than or equal to 86400"),
]


def _toml(dotted: str, value: float) -> str:
    table, _, key = dotted.rpartition(".")
    text = {float("inf"): "inf", float("-inf"): "-inf"}.get(value, repr(value))
    return f"[{table}]\n{key} = {'nan' if value != value else text}\n"


@pytest.mark.parametrize(("key", "value", "said"), REFUSED, ids=[f"{k}={v}" for k, v, _ in REFUSED])
def test_each_numeric_key_refuses_what_cannot_work_naming_it(
    tmp_path: Path, key: str, value: float, said: str
) -> None:
    path = write(tmp_path, _toml(key, value))
    with pytest.raises(UsageError) as caught:
        load_config(path)
    assert str(caught.value).startswith(f"{path}: {key}: ") and said in str(caught.value)
    assert "\n" not in str(caught.value)


def _numeric_keys(model: type[BaseModel], prefix: str = "") -> list[str]:
    found: list[str] = []
    for name, field in model.model_fields.items():
        if field.exclude:
            continue
        if get_origin(field.annotation) is dict:  # plans: one table per name
            value = get_args(field.annotation)[1]
            if isinstance(value, type) and issubclass(value, BaseModel):
                found += _numeric_keys(value, f"{prefix}{name}.free.")
            continue
        kinds = [a for a in get_args(field.annotation) or (field.annotation,) if a is not None]
        for kind in kinds:
            inner = get_args(kind)[0] if get_origin(kind) is Annotated else kind
            if isinstance(inner, type) and issubclass(inner, BaseModel):
                found += _numeric_keys(inner, f"{prefix}{name}.")
            elif inner in (int, float):
                found.append(prefix + name)
    return found


def test_every_numeric_key_is_bounded() -> None:
    """A key added later without bounds fails here: -1 must be refused by every numeric key."""
    keys = _numeric_keys(Config)
    assert set(keys) == {key for key, _, _ in REFUSED}
    for key in keys:
        with pytest.raises(UsageError, match=re.escape(f"command line: {key}: ")):
            load_config(None, {key: -1})


def test_the_environment_and_flags_are_named_when_they_are_wrong(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PLUGINLAB_STORE__MAX_EVENTS", "-3")
    with pytest.raises(UsageError) as caught:
        load_config(None)
    assert str(caught.value) == (
        "PLUGINLAB_STORE__MAX_EVENTS: store.max_events: Input should be greater than or equal to 1"
    )
    monkeypatch.delenv("PLUGINLAB_STORE__MAX_EVENTS")
    with pytest.raises(UsageError, match=r"^command line: proxy\.backend: .*must start with"):
        load_config(None, {"proxy.backend": "ht!tp://::"})


def test_a_negative_max_events_is_refused_before_any_event_is_dropped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "events.db"
    assert main(["users", "add", "eve", "--db", str(db)]) == 0
    path = write(tmp_path, f'[store]\npath = "{db}"\nmax_events = -3\n')
    capsys.readouterr()
    assert main(["serve", "--config", str(path)]) == 2
    err = capsys.readouterr().err
    assert "store.max_events" in err and len(err.splitlines()) == 1


@pytest.mark.parametrize(
    "url",
    [
        "http://::",
        "http://",
        "http:///path",
        "http://a b",
        "http://host:99999",
        "http://host:port",
        "http://exa mple.com",
        "http://host/?q=1",
        "http://host/#top",
        "http://bad_host!/",
        "http://[::g]/",
    ],
)
def test_urls_that_cannot_work_are_refused(tmp_path: Path, url: str) -> None:
    for key in ("backend", "public_url"):
        with pytest.raises(UsageError, match=rf": proxy\.{key}: "):
            load_config(write(tmp_path, f"[proxy]\n{key} = {json.dumps(url)}\n"))


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000",
        "https://example.com/base/",
        "http://[::1]:8787",
        "http://localhost",
        "https://xn--bcher-kva.example",
        "https://bücher.example",
        "http://my_host.internal:80",
    ],
)
def test_urls_that_work_are_kept(url: str) -> None:
    assert load_config(None, {"proxy.backend": url}).proxy.backend == url.rstrip("/")


def test_mcp_mode_is_off_by_default_and_plugin_files_are_served() -> None:
    config = load_config(None, {})
    assert config.mcp.endpoint is None
    assert config.has_plugin_files and not config.mcp.covers("/mcp")


def test_the_mcp_endpoint_covers_its_path_and_below_it_only() -> None:
    config = load_config(None, {"mcp.endpoint": "/mcp/"})
    assert config.mcp.endpoint == "/mcp"
    assert config.mcp.covers("/mcp") and config.mcp.covers("/mcp/messages")
    assert not config.mcp.covers("/mcpx") and not config.mcp.covers("/todos")


def test_without_a_plugin_table_mcp_mode_serves_no_plugin_files(tmp_path: Path) -> None:
    (tmp_path / "both").mkdir()
    both = write(tmp_path / "both", '[mcp]\nendpoint = "/mcp"\n[plugin]\nspec = "openapi.yaml"\n')
    assert load_config(both).has_plugin_files
    bare = write(tmp_path, '[mcp]\nendpoint = "/mcp"\n')
    assert load_config(bare).mcp.endpoint == "/mcp"
    assert not load_config(bare).has_plugin_files
    assert load_config(bare, {"plugin.spec": tmp_path / "x.yaml"}).has_plugin_files


def test_the_sse_endpoint_alone_is_mcp_mode(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bare = write(tmp_path, '[mcp]\nsse_endpoint = "/sse/"\n')
    config = load_config(bare)
    assert config.mcp.sse_endpoint == "/sse" and config.mcp.endpoint is None
    assert config.mcp.enabled and not config.has_plugin_files
    assert config.mcp.covers("/sse") and not config.mcp.covers("/messages/")
    monkeypatch.setenv("PLUGINLAB_MCP__SSE_ENDPOINT", "/from-env")
    assert load_config(bare).mcp.sse_endpoint == "/from-env"
    assert load_config(bare, {"mcp.sse_endpoint": "/flag"}).mcp.sse_endpoint == "/flag"


def test_flags_beat_the_environment_which_beats_the_file_for_the_endpoint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path, '[mcp]\nendpoint = "/from-file"\n')
    assert load_config(path).mcp.endpoint == "/from-file"
    monkeypatch.setenv("PLUGINLAB_MCP__ENDPOINT", "/from-env")
    assert load_config(path).mcp.endpoint == "/from-env"
    assert load_config(path, {"mcp.endpoint": "/from-flag"}).mcp.endpoint == "/from-flag"


@pytest.mark.parametrize(
    ("value", "said"),
    [
        ("mcp", "must start with /"),
        ("", "must start with /"),
        ("/a b", "not a plain request path"),
        ("/mcp?x=1", "not a plain request path"),
        ("//mcp", "not a plain request path"),
        ("/a/../mcp", "not a plain request path"),
        ("/_pluginlab/mcp", "the proxy's own namespace"),
    ],
)
@pytest.mark.parametrize("key", ["mcp.endpoint", "mcp.sse_endpoint"])
def test_a_bad_mcp_endpoint_is_refused_in_one_line(value: str, said: str, key: str) -> None:
    with pytest.raises(UsageError) as caught:
        load_config(None, {key: value})
    assert str(caught.value).startswith(f"command line: {key}: ")
    assert said in str(caught.value) and "\n" not in str(caught.value)


def test_tool_scopes_come_from_the_file_or_the_environment_and_bad_scopes_are_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(
        tmp_path,
        '[mcp]\nendpoint = "/mcp"\n[mcp.tool_scopes]\nsearch = "noauth"\nwrite = ["docs:write"]\n',
    )
    assert load_config(path).mcp.tool_scopes == {"search": "noauth", "write": ["docs:write"]}
    monkeypatch.setenv("PLUGINLAB_MCP__TOOL_SCOPES", '{"write": ["a", "b"]}')
    assert load_config(None).mcp.tool_scopes == {"write": ["a", "b"]}
    monkeypatch.delenv("PLUGINLAB_MCP__TOOL_SCOPES")
    with pytest.raises(UsageError, match=r"mcp\.tool_scopes: .*'a b' is not an OAuth scope"):
        load_config(None, {"mcp.tool_scopes": {"write": ["a b"]}})
    with pytest.raises(UsageError, match=r"mcp\.tool_scopes\.write"):
        load_config(None, {"mcp.tool_scopes": {"write": "everyone"}})


def test_an_issuer_is_kept_as_written() -> None:
    config = load_config(None, {"auth.oauth.issuer": "https://login.example/tenant/"})
    assert config.auth.oauth.issuer == "https://login.example/tenant/"
    with pytest.raises(UsageError, match=r"auth\.oauth\.issuer: .*must start with"):
        load_config(None, {"auth.oauth.issuer": "login.example"})


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.8.9.1", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("::", False),
        ("192.168.1.4", False),
        ("example.com", False),
        ("", False),
    ],
)
def test_loopback_hosts_are_this_machine_only(host: str, loopback: bool) -> None:
    assert is_loopback_host(host) is loopback
