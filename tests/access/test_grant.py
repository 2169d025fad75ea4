"""The replay grant: signed with the store's secret, loopback only, stale or forged refused."""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from pluginlab_tui.access.grant import (
    MAX_AGE_S,
    Grant,
    GrantGate,
    is_loopback,
    sign,
    store_secret,
    verify,
)
from pluginlab_tui.store.database import open_store
from pluginlab_tui.wire import GRANT_HEADER


@dataclass
class Stamp:
    source: str = "live"
    replay_of: str | None = None
    user_id: str | None = None
    plan: str | None = None


def _store(tmp_path: Path) -> sqlite3.Connection:
    return open_store(tmp_path / "events.db", create=True)


def test_the_secret_is_made_once_per_store_and_kept(tmp_path: Path) -> None:
    conn = _store(tmp_path)
    first = store_secret(conn)
    conn.close()
    again = open_store(tmp_path / "events.db")
    assert store_secret(again) == first and len(first) == 32
    other = open_store(tmp_path / "other.db", create=True)
    assert store_secret(other) != first


def test_a_signed_grant_round_trips() -> None:
    secret = b"k" * 32
    grant = Grant("replay", "orig-1", "alice", "pro")
    found = verify(sign(grant, secret), secret)
    assert found is not None
    assert (found.source, found.replay_of, found.user_id, found.plan) == (
        "replay",
        "orig-1",
        "alice",
        "pro",
    )


def test_forged_stale_and_malformed_grants_are_refused() -> None:
    secret = b"k" * 32
    value = sign(Grant("replay", "orig-1", "alice"), secret)
    payload, _, mac = value.partition(".")
    assert verify(value, b"x" * 32) is None  # another store's secret
    assert verify(payload + "." + mac[:-2] + "AA", secret) is None
    assert verify(sign(Grant("live"), secret), secret) is None  # not a replay source
    old = time.time() - MAX_AGE_S - 5
    assert verify(sign(Grant("replay"), secret, now=old), secret) is None
    for junk in ("", "abc", "a.b", "....", "é.é"):
        assert verify(junk, secret) is None


def test_the_gate_stamps_only_loopback_grants_and_always_strips(tmp_path: Path) -> None:
    conn = _store(tmp_path)
    gate = GrantGate(conn)
    value = sign(Grant("replay", "orig-1", "alice", "pro"), store_secret(conn))
    headers = {GRANT_HEADER: value, "Accept": "*/*"}
    stamp = Stamp()
    assert gate.apply(stamp, headers, "127.0.0.1")
    assert GRANT_HEADER not in headers and headers == {"Accept": "*/*"}
    assert (stamp.source, stamp.replay_of, stamp.user_id, stamp.plan) == (
        "replay",
        "orig-1",
        "alice",
        "pro",
    )
    remote = Stamp()
    headers = {GRANT_HEADER: value}
    assert not gate.apply(remote, headers, "203.0.113.9")
    assert headers == {} and remote == Stamp()
    simulated = Stamp(user_id="kept")
    gate.apply(simulated, {GRANT_HEADER: sign(Grant("simulate"), gate.secret)}, "::1")
    assert simulated.source == "simulate" and simulated.user_id == "kept"


def test_loopback_addresses() -> None:
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("::ffff:127.0.0.5")
    assert not is_loopback("10.0.0.1") and not is_loopback("") and not is_loopback("nonsense")


def test_grants_of_hostile_bytes_are_refused_without_raising(tmp_path: Path) -> None:
    secret = b"k" * 32
    value = sign(Grant("replay", "orig-1", "alice"), secret)
    payload, _, mac = value.partition(".")
    hostile: list[str | bytes] = [
        value + "\udcff",
        "\udcff" + value,
        value.encode() + b"\xff",
        value + ", " + value,  # a repeated header, as mitmproxy joins it
        payload + ".\ud800",
        payload + "." + mac + "A" * 9000,
        payload + "\x00." + mac,
        b"\xff.\xff",
        payload + "." + mac[:1],  # base64 of an impossible length
    ]
    for junk in hostile:
        assert verify(junk, secret) is None, junk
    assert verify(value.encode(), secret) is not None  # the raw header bytes verify too
    gate = GrantGate(_store(tmp_path))
    stamp = Stamp()
    headers = {GRANT_HEADER: "\udcff" + sign(Grant("replay", user_id="eve"), gate.secret)}
    assert not gate.apply(stamp, headers, "127.0.0.1") and stamp == Stamp() and headers == {}
