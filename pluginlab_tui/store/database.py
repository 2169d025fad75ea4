"""Opening the store: permissions, pragmas, migrations, and what to do with a corrupt file."""

from __future__ import annotations

import os
import sqlite3
import time
from datetime import UTC, datetime
from pathlib import Path

from pluginlab_tui.errors import UsageError
from pluginlab_tui.store.schema import migrate

#: How long opening waits out another process's lock (a second serve making the same new store:
#: SQLite gives up at once, not after busy_timeout, on some steps of a store's first migration).
LOCKED_WAIT_S = 15.0


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
    except sqlite3.OperationalError:
        raise  # cannot be opened or read (not a verdict on the file): the caller says why
    except sqlite3.DatabaseError as exc:
        raise CorruptStore(str(exc)) from None
    if row is None or row[0] != "ok":
        raise CorruptStore(str(row[0]) if row else "integrity check failed")


def _create_private(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o600)
    os.close(fd)


def _reason(exc: BaseException) -> str:
    """What went wrong, in a few words (an OSError's strerror and the file it names)."""
    if isinstance(exc, OSError) and exc.strerror:
        named = f" ({exc.filename})" if exc.filename else ""
        return f"{exc.strerror.lower()}{named}"
    return str(exc) or type(exc).__name__


def _path_problem(path: Path) -> str | None:
    """Why `path` cannot be an event store, in a few words, or None when it might be.

    Only the filesystem is asked (nothing is created): a folder where the file should be, a
    regular file where a folder should be. A store that is not there yet is no problem here.
    """
    try:
        if path.is_dir():
            return "it is a folder, not a file"
        if path.exists():
            return None if path.is_file() else "it is not a regular file"
        for parent in path.parents:
            if parent.exists() or parent.is_symlink():
                if not parent.is_dir():
                    return f"{parent} is not a folder"
                break
    except (OSError, ValueError) as exc:  # ValueError: a NUL or an unencodable character
        return _reason(exc)
    return None


def check_store_path(path: Path) -> None:
    """Raise UsageError (one line naming the path and why) when `path` cannot be a store."""
    problem = _path_problem(path)
    if problem is not None:
        raise UsageError(f"cannot use {path} as the event store: {problem}")


def open_store(path: Path, *, create: bool = False) -> sqlite3.Connection:
    """Open (and migrate) the store at `path`.

    With create=True (the proxy): a missing store is made, readable by its owner only, and a
    corrupt one is moved aside (the new name goes to stderr) before a fresh one is made.
    With create=False (read-only commands): a missing or corrupt store is a UsageError and the
    file is left as it is.

    Whatever the filesystem or SQLite raises ends as one UsageError naming the path and why.
    """
    check_store_path(path)
    deadline = time.monotonic() + LOCKED_WAIT_S
    while True:
        try:
            return _open(path, create)
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc) and time.monotonic() < deadline:
                time.sleep(0.05)
                continue
            raise UsageError(f"cannot use {path} as the event store: {_reason(exc)}") from None
        except (OSError, ValueError, sqlite3.Error) as exc:
            raise UsageError(f"cannot use {path} as the event store: {_reason(exc)}") from None


def _open(path: Path, create: bool) -> sqlite3.Connection:
    if not path.exists():
        if not create:
            raise UsageError(
                f"no event store at {path} (start the proxy with `pluginlab-tui serve`)"
            )
        _create_private(path)
    conn = _connect(path)
    try:
        _check(conn, thorough=create)
    except sqlite3.Error:
        conn.close()
        raise
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
    try:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        migrate(conn)
    except RuntimeError as exc:
        conn.close()
        raise UsageError(str(exc)) from None
    except BaseException:
        conn.close()
        raise
    return conn
