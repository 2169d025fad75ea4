"""Opening the store: permissions, pragmas, migrations, and what to do with a corrupt file."""

from __future__ import annotations

import os
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from pluginlab_tui.errors import UsageError
from pluginlab_tui.store.schema import migrate


class CorruptStore(Exception):
    """The file is not a usable SQLite store."""


def connect(path: Path) -> sqlite3.Connection:
    """Another connection to a store already opened (and migrated) by open_store."""
    return _connect(path)


def _connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA busy_timeout = 5000")
    return conn


def _check(conn: sqlite3.Connection, thorough: bool) -> None:
    try:
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        if not thorough:
            return
        row = conn.execute("PRAGMA quick_check(1)").fetchone()
    except sqlite3.DatabaseError as exc:
        raise CorruptStore(str(exc)) from None
    if row is None or row[0] != "ok":
        raise CorruptStore(str(row[0]) if row else "integrity check failed")


def _create_private(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o600)
    os.close(fd)


def open_store(path: Path, *, create: bool = False) -> sqlite3.Connection:
    """Open (and migrate) the store at `path`.

    With create=True (the proxy): a missing store is made, readable by its owner only, and a
    corrupt one is moved aside (the new name goes to stderr) before a fresh one is made.
    With create=False (read-only commands): a missing or corrupt store is a UsageError and the
    file is left as it is.
    """
    if not path.exists():
        if not create:
            raise UsageError(
                f"no event store at {path} (start the proxy with `pluginlab-tui serve`)"
            )
        _create_private(path)
    conn = _connect(path)
    try:
        _check(conn, thorough=create)
    except CorruptStore as exc:
        conn.close()
        if not create:
            raise UsageError(f"the event store {path} is corrupt ({exc}); not touched") from None
        aside = path.with_name(f"{path.name}.corrupt-{datetime.now(UTC):%Y%m%dT%H%M%S}")
        path.rename(aside)
        for suffix in ("-wal", "-shm"):
            side = Path(str(path) + suffix)
            if side.exists():
                side.rename(Path(str(aside) + suffix))
        print(f"pluginlab-tui: the event store was corrupt ({exc}); moved to {aside}", flush=True)
        _create_private(path)
        conn = _connect(path)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    try:
        migrate(conn)
    except RuntimeError as exc:
        conn.close()
        raise UsageError(str(exc)) from None
    return conn
