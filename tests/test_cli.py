"""The command's front: every verb is there with its help, and mistakes are one line, exit 2."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from pluginlab_tui.cli import VERBS, build_parser, main


def test_every_verb_has_help(capsys: pytest.CaptureFixture[str]) -> None:
    build_parser()
    for verb in VERBS:
        shown = "import" if verb == "import_har" else verb
        with pytest.raises(SystemExit) as done:
            main([shown, "--help"])
        assert done.value.code == 0
        assert "usage: pluginlab-tui " + shown in capsys.readouterr().out


def test_without_a_config_it_says_how_to_start(tmp_path: Path) -> None:
    finished = subprocess.run(
        [sys.executable, "-m", "pluginlab_tui"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert finished.returncode == 2
    assert "pluginlab-tui demo" in finished.stderr and "--config" in finished.stderr
    assert len(finished.stderr.strip().splitlines()) == 1


def test_a_missing_store_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["events", "--db", str(tmp_path / "none.db")]) == 2
    err = capsys.readouterr().err
    assert "no event store at" in err and "Traceback" not in err


#: Every verb that opens a store, with its arguments before --db.
STORE_VERBS = [
    ("serve",),
    ("events",),
    ("events", "prune", "--keep", "1"),
    ("users", "add", "bob"),
    ("users", "list"),
    ("users", "revoke", "bob"),
    ("users", "client"),
    ("import", "HAR"),
    ("export", "har"),
    ("export", "curl"),
    ("replay", "--filter", "method:GET"),
    ("versions", "list"),
    ("versions", "show", "1"),
    ("versions", "diff", "1", "2"),
    ("spec", "draft"),
    ("tui",),
    ("simulate", "--target", "http://127.0.0.1:9"),
    ("demo", "--headless", "--seconds", "1"),
]
#: Paths that cannot be a store: (path under tmp_path or absolute, what the line must say).
BAD_STORES = [
    ("folder", "it is a folder, not a file"),
    ("file/events.db", "is not a folder"),
    ("file/deeper/events.db", "is not a folder"),
    ("/dev/null", ""),
]


@pytest.mark.parametrize("bad", [b[0] for b in BAD_STORES], ids=[b[0] for b in BAD_STORES])
@pytest.mark.parametrize("verb", STORE_VERBS, ids=[" ".join(v) for v in STORE_VERBS])
def test_a_store_path_that_cannot_be_used_is_one_line_and_exit_2(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    verb: tuple[str, ...],
    bad: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "folder").mkdir()
    (tmp_path / "file").write_text("a regular file", encoding="utf-8")
    (tmp_path / "x.har").write_text('{"log": {"entries": []}}', encoding="utf-8")
    args = [str(tmp_path / "x.har") if a == "HAR" else a for a in verb]
    path = bad if bad.startswith("/") else str(tmp_path / bad)
    assert main([*args, "--db", path]) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1, err
    assert err.startswith("pluginlab-tui: ") and "Traceback" not in err
    assert ("cannot use " in err or "no event store at " in err) and path.rpartition("/")[2] in err
    said = dict(BAD_STORES)[bad]
    assert said in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file", "folder", "x.har"]
    assert not any((tmp_path / "folder").iterdir())
    assert (tmp_path / "file").read_text(encoding="utf-8") == "a regular file"


#: Every verb that reads pluginlab.toml, as given after `pluginlab-tui --config F`.
CONFIG_VERBS = [
    ("serve",),
    ("events",),
    ("events", "prune", "--keep", "1"),
    ("users", "add", "bob"),
    ("users", "list"),
    ("users", "revoke", "bob"),
    ("users", "client"),
    ("import", "HAR"),
    ("export", "har"),
    ("replay", "--filter", "method:GET"),
    ("versions", "list"),
    ("versions", "show", "1"),
    ("versions", "diff", "1", "2"),
    ("spec", "draft"),
    ("tui",),
    ("simulate",),
    ("lint", "."),
    ("prompt",),
    (),
]


@pytest.mark.parametrize(
    "verb", CONFIG_VERBS, ids=[" ".join(v) or "(no verb)" for v in CONFIG_VERBS]
)
def test_the_global_config_is_read_by_every_verb(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    verb: tuple[str, ...],
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "x.har").write_text('{"log": {"entries": []}}', encoding="utf-8")
    config = tmp_path / "elsewhere.toml"
    config.write_text("[proxy]\nstrict = 3\n", encoding="utf-8")  # wrong: read, it says so
    args = [str(tmp_path / "x.har") if a == "HAR" else a for a in verb]
    assert main(["--config", str(config), *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"pluginlab-tui: {config}: proxy.strict: Input should be a valid boolean")
    assert len(err.splitlines()) == 1


def test_a_users_revoke_lands_on_the_store_of_the_global_config(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("here", "there"):
        (tmp_path / f"{name}.toml").write_text(f'[store]\npath = "{name}.db"\n', encoding="utf-8")
        assert main(["users", "add", "bob", "--config", f"{name}.toml"]) == 0
    (tmp_path / "pluginlab.toml").write_text('[store]\npath = "here.db"\n', encoding="utf-8")
    assert main(["--config", "there.toml", "users", "revoke", "bob"]) == 0
    capsys.readouterr()
    for name, revoked in (("here", False), ("there", True)):
        assert main(["users", "list", "--format", "json", "--config", f"{name}.toml"]) == 0
        listed = capsys.readouterr().out
        assert ('"revoked": null' not in listed) is revoked, (name, listed)


def test_config_before_and_after_the_verb(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("a", "b"):
        (tmp_path / f"{name}.toml").write_text(f'[store]\npath = "{name}.db"\n', encoding="utf-8")
    assert main(["--config", "a.toml", "users", "add", "ann", "--config", "a.toml"]) == 0
    assert (tmp_path / "a.db").exists()
    capsys.readouterr()
    assert main(["--config", "a.toml", "users", "list", "--config", "b.toml"]) == 2
    err = capsys.readouterr().err
    assert err == (
        "pluginlab-tui: --config given twice (a.toml before the command, b.toml after it);"
        " give one\n"
    )
    assert not (tmp_path / "b.db").exists()


@pytest.mark.parametrize("verb", [("init", "--yes"), ("demo", "--headless")])
def test_verbs_that_read_no_config_refuse_it(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    verb: tuple[str, ...],
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pluginlab.toml").write_text("", encoding="utf-8")
    assert main(["--config", "pluginlab.toml", *verb]) == 2
    err = capsys.readouterr().err
    assert (
        err
        == f"pluginlab-tui: `{verb[0]}` reads no pluginlab.toml; --config does not apply to it\n"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pluginlab.toml"]


#: Flags that take a URL, a host or a number, with a value each refuses.
BAD_FLAGS = [
    ("replay", "--target", "ht!tp://::", "abc"),
    ("replay", "--target", "http://::", "abc"),
    ("replay", "--proxy", "http://a b", "abc"),
    ("replay", "--limit", "-1", "--filter", "x"),
    ("simulate", "--target", "ftp://127.0.0.1"),
    ("simulate", "--target", "http://127.0.0.1:99999"),
    ("simulate", "--rounds", "0"),
    ("serve", "--backend", "http://exa mple.com"),
    ("serve", "--listen", "no-port"),
    ("serve", "--listen", "a b:80"),
    ("export", "curl", "--base-url", "http:///x"),
    ("lint", "--domain", "a b", "."),
    ("lint", "--domain", "https://::/", "."),
    ("events", "--limit", "-5"),
    ("events", "prune", "--keep", "-1"),
    ("demo", "--interval", "-1"),
    ("demo", "--seconds", "nan"),
    ("demo", "--fault-every", "-2"),
    ("demo", "--listen", "[::1"),
    ("init", "--yes", "--spec-url", "http://::"),
    ("init", "--yes", "--backend", "http://a b"),
]


@pytest.mark.parametrize("argv", BAD_FLAGS, ids=[" ".join(a) for a in BAD_FLAGS])
def test_bad_flag_values_are_one_line_before_anything_runs(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    argv: tuple[str, ...],
) -> None:
    monkeypatch.chdir(tmp_path)
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert code == 2, err
    assert len(err.splitlines()) == 1, err
    assert err.startswith((f"pluginlab-tui {argv[0]}", "pluginlab-tui: ")), err
    flag = next(a for a in argv if a.startswith("--") and a != "--yes")
    assert flag in err, err  # the line names the flag that was wrong
    assert "Traceback" not in err and out == ""
    assert list(tmp_path.iterdir()) == []  # nothing made, nothing run
