"""Config: defaults, file, environment and flags in order; one clear line for each mistake."""

from __future__ import annotations

from pathlib import Path

import pytest

from pluginlab_tui.cli import main
from pluginlab_tui.config import host_port, load_config
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
