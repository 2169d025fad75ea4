"""What the screens read from the store, through the core's query functions (no widgets here)."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from pluginlab_tui.config import Config
from pluginlab_tui.contract.changes import catalogue_of
from pluginlab_tui.mcp.catalogue import Catalogue
from pluginlab_tui.mcp.catalogue_diff import diff_catalogues
from pluginlab_tui.plugin.diff import Change
from pluginlab_tui.plugin.files import PluginFileError, parse_spec_text
from pluginlab_tui.store import annotations as notes
from pluginlab_tui.store import oauth_timeline, queries, stats, versions
from pluginlab_tui.store.database import open_store
from pluginlab_tui.store.event import Event
from pluginlab_tui.store.filter import Filter
from pluginlab_tui.store.oauth_timeline import Dance
from pluginlab_tui.store.versions import VersionRecord

__all__ = ["ReplayOutcome", "StatsReport", "StoreData"]


class StoreData:
    """The TUI's connection to one store, and the reads and writes its screens need."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.conn = open_store(path)
        self._specs: dict[int, dict[str, Any] | None] = {}
        self._catalogues: dict[int, Catalogue] = {}

    def close(self) -> None:
        self.conn.close()

    def reader(self) -> sqlite3.Connection:
        """A connection of its own, for work in a thread."""
        return open_store(self.path)

    def event(self, row_id: int) -> Event | None:
        found = queries.events_by_ids(self.conn, [row_id])
        return found[0] if found else None

    def oauth_dance(self, event: Event) -> Dance | None:
        """The OAuth dance the event is a step of (the Auth tab's timeline), or None."""
        return oauth_timeline.dance_of(self.conn, event)

    def version(self, number: int) -> VersionRecord | None:
        return versions.get(self.conn, number)

    def versions(self) -> list[VersionRecord]:
        return versions.all_versions(self.conn, versions.PLUGIN)

    def latest(self) -> VersionRecord | None:
        return versions.latest(self.conn)

    def spec(self, number: int | None) -> dict[str, Any] | None:
        """The parsed spec of a version (cached), or None when absent or unreadable."""
        if number is None:
            return None
        if number not in self._specs:
            record = self.version(number)
            text = None if record is None else record.spec_text
            self._specs[number] = None if text is None else _parse(text)
        return self._specs[number]

    def catalogue_versions(self) -> list[VersionRecord]:
        return versions.all_versions(self.conn, versions.CATALOGUE)

    def has_catalogue(self) -> bool:
        """Whether the store holds a catalogue version (the catalogue screen then has content)."""
        return versions.latest(self.conn, versions.CATALOGUE) is not None

    def catalogue(self, record: VersionRecord) -> Catalogue:
        """The catalogue a catalogue version holds (parsed once per version)."""
        if record.number not in self._catalogues:
            self._catalogues[record.number] = catalogue_of(record)
        return self._catalogues[record.number]

    def catalogue_changes(self, old: VersionRecord, new: VersionRecord) -> list[Change]:
        """What changed from catalogue version `old` to `new`."""
        return diff_catalogues(self.catalogue(old), self.catalogue(new))

    def catalogue_notices(self, limit: int = 20) -> list[dict[str, Any]]:
        """The newest notices that a catalogue or widget changed after a client listed it."""
        return queries.notices(self.conn, limit, kind="catalogue")

    def toggle_mark(self, row_id: int) -> bool:
        return notes.toggle_mark(self.conn, row_id)

    def set_comment(self, row_id: int, text: str) -> None:
        notes.set_comment(self.conn, row_id, text)

    def notices(self, limit: int = 20) -> list[dict[str, Any]]:
        return queries.notices(self.conn, limit)


@lru_cache(maxsize=16)
def _parse_cached(text: str) -> dict[str, Any] | None:
    try:
        return parse_spec_text(text, "spec")
    except PluginFileError:
        return None


def _parse(text: str) -> dict[str, Any] | None:
    return _parse_cached(text)


@dataclass(frozen=True, slots=True)
class StatsReport:
    """The stats screen's figures: per operation and per MCP tool, each with its total."""

    total: stats.OperationStats
    operations: list[stats.OperationStats]
    tool_total: stats.ToolStats
    tools: list[stats.ToolStats]


def stats_report(path: Path, where: Filter) -> StatsReport:
    """Stats per operation and per tool over a filter, on a connection of its own (a worker)."""
    conn = open_store(path)
    try:
        return StatsReport(
            total=stats.total_stats(conn, where.sql, where.params),
            operations=stats.operation_stats(conn, where.sql, where.params),
            tool_total=stats.total_tool_stats(conn, where.sql, where.params),
            tools=stats.tool_stats(conn, where.sql, where.params),
        )
    finally:
        conn.close()


#: At most this many exchanges go into one HAR export from the TUI.
HAR_LIMIT = 10_000


def curl_for(event: Event) -> str:
    """The exchange's request as a curl command to where it was sent (the proxy)."""
    from urllib.parse import urlsplit

    from pluginlab_tui.interchange.curl import curl_command

    parts = urlsplit(event.url)
    base = f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""
    return curl_command(event, base or "http://localhost:8787")


def har_document(conn: sqlite3.Connection, ids: list[int]) -> tuple[str, str, int]:
    """The events with these row ids as a HAR; (a new file name, the text, the count)."""
    import json as _json
    from datetime import UTC, datetime

    from pluginlab_tui.interchange.har import to_har

    events = queries.events_by_ids(conn, ids[:HAR_LIMIT])
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    text = _json.dumps(to_har(events), ensure_ascii=False, indent=1)
    return f"pluginlab-{stamp}.har", text, len(events)


def export_har(conn: sqlite3.Connection, ids: list[int], folder: Path) -> tuple[Path, int]:
    """Write the events with these row ids to a new HAR file in `folder`; (path, count)."""
    name, text, count = har_document(conn, ids)
    path = folder / name
    n = 1
    while path.exists():
        n += 1
        path = folder / f"{name.removesuffix('.har')}-{n}.har"
    path.write_text(text, encoding="utf-8")
    return path, count


def marked_ids(conn: sqlite3.Connection, limit: int = HAR_LIMIT) -> list[int]:
    rows = conn.execute(
        "SELECT id FROM events WHERE marked = 1 ORDER BY id LIMIT ?", (limit,)
    ).fetchall()
    return [int(r[0]) for r in rows]


def replay(path: Path, row_id: int, config: Config) -> str:
    """Send an exchange again through the proxy (in a worker); one line saying how it went."""
    from pluginlab_tui.replay.runner import replay_event

    conn = open_store(path)
    try:
        found = queries.events_by_ids(conn, [row_id])
    finally:
        conn.close()
    if not found:
        return "that exchange is gone from the store"
    result = replay_event(found[0], config)
    if result.error:
        return f"replay failed: {result.error}"
    verdict = (
        f"{len(result.violations)} violation(s)" if result.violations else "keeps the contract"
    )
    return f"replayed: {result.status} in {result.duration_ms:.0f} ms, {verdict}"


@dataclass(frozen=True, slots=True)
class ReplayOutcome:
    """What the edited-replay screen shows (plain values: made in a worker thread)."""

    request_line: str
    status: int | None
    original_status: int | None
    duration_ms: float
    violations: list[str]
    diff: list[str]
    error: str | None = None


def request_document(event: Event) -> str:
    """The exchange's request as the editable document (EditError for a binary body)."""
    from pluginlab_tui.replay.document import to_document
    from pluginlab_tui.replay.request import ReplayRequest

    return to_document(ReplayRequest.from_event(event))


def read_request(text: str) -> Any:
    """The ReplayRequest of an edited document, or None when it was emptied (EditError)."""
    from pluginlab_tui.replay.document import read_document

    return read_document(text)


def edit_request(event: Event) -> Any:
    """Open the exchange's request in $VISUAL/$EDITOR; the edited ReplayRequest, or None."""
    from pluginlab_tui.replay.document import edit_in_editor
    from pluginlab_tui.replay.request import ReplayRequest

    return edit_in_editor(ReplayRequest.from_event(event))


def replay_edited(path: Path, row_id: int, config: Config, request: Any) -> ReplayOutcome:
    """Send an edited request through the proxy, as a replay of exchange `row_id` (a worker)."""
    from pluginlab_tui.errors import UsageError
    from pluginlab_tui.replay.runner import Replayer

    conn = open_store(path)
    try:
        found = queries.events_by_ids(conn, [row_id])
    finally:
        conn.close()
    line = f"{request.method} {request.target}"
    if not found:
        return ReplayOutcome(line, None, None, 0.0, [], [], "that exchange is gone from the store")
    original = found[0]
    try:
        with Replayer.for_config(config) as replayer:
            result = replayer.replay(original, request)
    except UsageError as exc:
        return ReplayOutcome(line, None, original.status, 0.0, [], [], str(exc))
    return ReplayOutcome(
        request_line=line,
        status=result.status,
        original_status=original.status,
        duration_ms=result.duration_ms,
        violations=[f"{v.code} at {v.where or '-'}: {v.message}" for v in result.violations],
        diff=result.diff.lines() if result.diff is not None else [],
        error=result.error,
    )
