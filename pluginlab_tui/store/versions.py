"""Versions, in one numbered sequence: the plugin's files (the pair manifest, spec, numbered anew
when either changes) and the MCP server's catalogue (numbered anew when its fingerprint changes)."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from typing import Any, Literal

from pluginlab_tui.store.event import iso_now
from pluginlab_tui.store.rows import JSON, STORED, Row

Kind = Literal["plugin", "catalogue"]
PLUGIN: Kind = "plugin"
CATALOGUE: Kind = "catalogue"


@dataclass(frozen=True, slots=True)
class VersionRecord(Row):
    """One row of the versions table; each field is its column (store/rows.py).

    A plugin version has the spec (and the manifest where there is one); a catalogue version has
    the catalogue as mcp/catalogue.py's JSON and its fingerprint.
    """

    #: Given by the store: the newest number plus one.
    number: int = field(metadata=STORED)
    ts: str
    manifest_hash: str | None
    spec_hash: str | None
    manifest_text: str | None
    spec_text: str | None
    lint_summary: dict[str, int] = field(metadata=JSON)
    lint_findings: list[dict[str, Any]] = field(metadata=JSON)
    kind: str = PLUGIN
    catalogue_hash: str | None = None
    catalogue_text: str | None = None


_INSERT = (
    f"INSERT INTO versions (number, {', '.join(VersionRecord.columns())})"
    " VALUES ((SELECT coalesce(max(number), 0) + 1 FROM versions),"
    f" {VersionRecord.params()}) RETURNING number"
)


def register(
    conn: sqlite3.Connection,
    *,
    manifest_hash: str | None,
    spec_hash: str,
    manifest_text: str | None,
    spec_text: str,
    lint_summary: dict[str, int] | None = None,
    lint_findings: list[dict[str, Any]] | None = None,
) -> int:
    """The number of this pair: the newest version's if it is the same pair, else a new one."""
    with conn:
        conn.execute("BEGIN IMMEDIATE")
        row = conn.execute(
            "SELECT number, manifest_hash, spec_hash FROM versions WHERE kind = 'plugin'"
            " ORDER BY number DESC LIMIT 1"
        ).fetchone()
        if row is not None and row[1] == manifest_hash and row[2] == spec_hash:
            number = int(row[0])
            conn.execute(
                "UPDATE versions SET lint_summary = ?, lint_findings = ? WHERE number = ?",
                (json.dumps(lint_summary or {}), json.dumps(lint_findings or []), number),
            )
            return number
        record = VersionRecord(
            number=0,  # not written: the INSERT numbers it
            ts=iso_now(),
            manifest_hash=manifest_hash,
            spec_hash=spec_hash,
            manifest_text=manifest_text,
            spec_text=spec_text,
            lint_summary=lint_summary or {},
            lint_findings=lint_findings or [],
        )
        cur = conn.execute(_INSERT, record.row())
        return int(cur.fetchone()[0])


def register_catalogue(
    conn: sqlite3.Connection,
    *,
    catalogue_hash: str,
    catalogue_text: str,
    lint_summary: dict[str, int] | None = None,
    lint_findings: list[dict[str, Any]] | None = None,
) -> tuple[int, bool]:
    """The number of this catalogue, and whether it is new: the newest catalogue version's if
    its fingerprint is the same, else a new version."""
    with conn:
        conn.execute("BEGIN IMMEDIATE")
        row = conn.execute(
            "SELECT number, catalogue_hash FROM versions WHERE kind = 'catalogue'"
            " ORDER BY number DESC LIMIT 1"
        ).fetchone()
        if row is not None and row[1] == catalogue_hash:
            return int(row[0]), False
        record = VersionRecord(
            number=0,  # not written: the INSERT numbers it
            ts=iso_now(),
            manifest_hash=None,
            spec_hash=None,
            manifest_text=None,
            spec_text=None,
            lint_summary=lint_summary or {},
            lint_findings=lint_findings or [],
            kind=CATALOGUE,
            catalogue_hash=catalogue_hash,
            catalogue_text=catalogue_text,
        )
        cur = conn.execute(_INSERT, record.row())
        return int(cur.fetchone()[0]), True


def get(conn: sqlite3.Connection, number: int) -> VersionRecord | None:
    row = conn.execute("SELECT * FROM versions WHERE number = ?", (number,)).fetchone()
    return None if row is None else VersionRecord.from_row(row)


def all_versions(conn: sqlite3.Connection, kind: Kind | None = None) -> list[VersionRecord]:
    """Every version in order, or those of one kind."""
    where, params = ("", ()) if kind is None else (" WHERE kind = ?", (kind,))
    rows = conn.execute(f"SELECT * FROM versions{where} ORDER BY number", params).fetchall()
    return [VersionRecord.from_row(r) for r in rows]


def latest(conn: sqlite3.Connection, kind: Kind = PLUGIN) -> VersionRecord | None:
    """The newest version of a kind (the plugin's files unless told)."""
    row = conn.execute(
        "SELECT * FROM versions WHERE kind = ? ORDER BY number DESC LIMIT 1", (kind,)
    ).fetchone()
    return None if row is None else VersionRecord.from_row(row)
