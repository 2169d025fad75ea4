"""Opening the store: private file, migrations, corrupt files."""

from __future__ import annotations

import sqlite3
import stat
from pathlib import Path

import pytest

from pluginlab_tui.errors import UsageError
from pluginlab_tui.store.database import open_store
from pluginlab_tui.store.schema import SCHEMA_VERSION, current_version


def test_a_new_store_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "events.db"
    open_store(path, create=True).close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    conn = sqlite3.connect(path)
    assert current_version(conn) == SCHEMA_VERSION
    assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_readers_do_not_create_a_store(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no event store at"):
        open_store(tmp_path / "events.db")
    assert not (tmp_path / "events.db").exists()


def test_a_corrupt_store_is_moved_aside_by_the_proxy_and_untouched_by_readers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "events.db"
    junk = b"this is not a database" * 100
    path.write_bytes(junk)
    with pytest.raises(UsageError, match="is corrupt"):
        open_store(path)
    assert path.read_bytes() == junk
    open_store(path, create=True).close()
    aside = [p for p in tmp_path.iterdir() if ".corrupt-" in p.name]
    assert len(aside) == 1 and aside[0].read_bytes() == junk
    assert "moved to" in capsys.readouterr().out
    assert current_version(sqlite3.connect(path)) == SCHEMA_VERSION


@pytest.mark.parametrize("create", [True, False], ids=["proxy", "reader"])
def test_a_folder_is_refused_and_left_as_it_is(tmp_path: Path, create: bool) -> None:
    folder = tmp_path / "events.db"
    folder.mkdir()
    (folder / "keep").write_text("mine", encoding="utf-8")
    with pytest.raises(UsageError) as caught:
        open_store(folder, create=create)
    assert (
        str(caught.value) == f"cannot use {folder} as the event store: it is a folder, not a file"
    )
    assert [p.name for p in tmp_path.iterdir()] == ["events.db"]  # not moved aside as corrupt
    assert (folder / "keep").read_text(encoding="utf-8") == "mine"


@pytest.mark.parametrize("create", [True, False], ids=["proxy", "reader"])
def test_a_path_under_a_regular_file_names_the_file(tmp_path: Path, create: bool) -> None:
    (tmp_path / "notes").write_text("mine", encoding="utf-8")
    path = tmp_path / "notes" / "store" / "events.db"
    with pytest.raises(UsageError) as caught:
        open_store(path, create=create)
    assert str(caught.value) == (
        f"cannot use {path} as the event store: {tmp_path / 'notes'} is not a folder"
    )
    assert (tmp_path / "notes").read_text(encoding="utf-8") == "mine"


@pytest.mark.parametrize(
    "path", ["/proc/pluginlab-none/events.db", "/proc/self/status", "/dev/null", "/sys/events.db"]
)
def test_what_the_filesystem_or_sqlite_raises_is_one_line(path: str) -> None:
    with pytest.raises(UsageError) as caught:
        open_store(Path(path), create=True)
    assert str(caught.value).startswith(f"cannot use {path} as the event store: ")
    assert "\n" not in str(caught.value)


def test_a_name_sqlite_cannot_take_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="as the event store: "):
        open_store(tmp_path / "nul\x00.db", create=True)
