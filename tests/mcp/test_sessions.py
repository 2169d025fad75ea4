"""The version in force per session or per request, requests in flight, event ids; bounded."""

from __future__ import annotations

import sys

from pluginlab_tui.mcp.sessions import (
    MAX_SESSION_ID,
    Pending,
    Sessions,
    era_of,
    session_id_problem,
    version_in_force,
)

META = {"_meta": {"io.modelcontextprotocol/protocolVersion": "2026-07-28"}}


def test_the_era_goes_by_meta_or_a_non_handshake_header() -> None:
    assert era_of(None, None) == "handshake"
    assert era_of("2025-11-25", {}) == "handshake"
    assert era_of("2026-07-28", {}) == "stateless"
    assert era_of("garbage", {}) == "stateless"  # as the SDK routes it: rejected on the modern path
    assert era_of(None, META) == "stateless"


def test_the_version_in_force() -> None:
    # stateless: per request
    assert version_in_force("tools/list", META, "2026-07-28", None) == "2026-07-28"
    assert version_in_force("tools/list", {}, "2026-07-28", None) == "2026-07-28"
    bad = {"_meta": {"io.modelcontextprotocol/protocolVersion": 5}}
    assert version_in_force("tools/list", bad, None, None) is None
    # handshake: initialize asks, the session keeps what was negotiated
    asks = {"protocolVersion": "2025-06-18"}
    assert version_in_force("initialize", asks, None, None) == "2025-06-18"
    assert version_in_force("initialize", {"protocolVersion": "2099-01-01"}, None, None) == (
        "2025-11-25"
    )
    assert version_in_force("tools/list", {}, "2025-06-18", "2025-11-25") == "2025-11-25"
    assert version_in_force("tools/list", {}, "2025-06-18", None) == "2025-06-18"
    assert version_in_force("tools/list", {}, None, None) == "2025-03-26"  # the spec's default


def test_a_negotiated_version_lives_with_its_session_until_delete() -> None:
    sessions = Sessions()
    assert sessions.get("s1") is None and not sessions.issued
    sessions.open("s1", "2025-06-18")
    assert sessions.issued
    assert sessions.version("s1", None) == "2025-06-18"
    assert sessions.version("s2", "2025-11-25") == "2025-11-25"
    assert sessions.close("s1") and sessions.get("s1") is None
    assert not sessions.close("s1")
    sessions.open(None, "2025-11-25")  # a server that issues no session id
    assert sessions.version(None, None) == "2025-11-25"


def test_an_answer_finds_its_request_in_either_direction() -> None:
    sessions = Sessions()
    sessions.open("s", "2025-11-25")
    asked = Pending("tools/call", "2025-11-25", 1.0, "client", "add")
    assert sessions.expect("s", 1, asked)
    server_asked = Pending("roots/list", "2025-11-25", 2.0, "server")
    assert sessions.expect("s", 1, server_asked)  # the same id, the other direction
    assert sessions.answer("s", "server", 1) == server_asked
    assert sessions.answer("s", "client", 1) == asked
    assert sessions.answer("s", "client", 1) is None  # answered once
    assert sessions.answer("other", "client", 1) is None


def test_a_duplicate_id_in_flight_is_reported() -> None:
    sessions = Sessions()
    pending = Pending("ping", "2025-11-25", 0.0, "client")
    assert sessions.expect("s", "a", pending)
    assert not sessions.expect("s", "a", pending)


def test_a_resumed_stream_does_not_yield_an_event_twice() -> None:
    sessions = Sessions()
    assert sessions.first_sight("s", "e1")
    assert sessions.first_sight("s", "e2")
    assert not sessions.first_sight("s", "e1")  # replayed after Last-Event-ID
    assert sessions.first_sight("t", "e1")  # another session's ids are its own
    assert sessions.first_sight("s", "e1", stream="other")


def test_every_table_is_bounded_and_evictions_are_counted() -> None:
    sessions = Sessions(max_sessions=3, max_pending=2, max_event_ids=2)
    for i in range(5):
        sessions.open(f"s{i}", "2025-11-25")
    assert len(sessions) == 3 and sessions.evicted_sessions == 2
    assert sessions.get("s0") is None and sessions.get("s4") is not None
    sessions.get("s2")  # used: now the newest
    sessions.open("s5", "2025-11-25")
    assert sessions.get("s2") is not None and sessions.get("s3") is None
    for i in range(4):
        sessions.expect("s5", i, Pending("ping", "2025-11-25", 0.0, "client"))
    assert sessions.evicted_pending == 2
    assert sessions.answer("s5", "client", 0) is None
    assert sessions.answer("s5", "client", 3) is not None
    for i in range(3):
        sessions.first_sight("s5", f"e{i}")
    assert sessions.evicted_event_ids == 1


def test_a_session_id_no_session_can_have_is_named_and_never_kept() -> None:
    assert session_id_problem("a" * 32) is None and session_id_problem("!~") is None
    too_long = "a" * (MAX_SESSION_ID + 1)
    for bad in ("", too_long, "a b", "a\tb", "caf\u00e9", "x\udcff", "a\x7f"):
        assert session_id_problem(bad), repr(bad)
    assert "4,097 characters" in (session_id_problem(too_long) or "")
    sessions = Sessions()
    sessions.open(too_long, "2025-11-25")
    sessions.expect("a b", 1, Pending("ping", "2025-11-25", 0.0, "client"))
    assert sessions.first_sight("x\udcff", "e1") and sessions.first_sight("x\udcff", "e1")
    assert len(sessions) == 0 and sessions.get(too_long) is None


def test_long_event_ids_are_remembered_by_a_digest() -> None:
    sessions = Sessions()
    long_ids = [f"{i}-" + "e" * 100_000 for i in range(20)]
    assert all(sessions.first_sight("s", event_id) for event_id in long_ids)
    assert not any(sessions.first_sight("s", event_id) for event_id in long_ids)
    session = sessions.get("s")
    assert session is not None
    kept = sum(sys.getsizeof(stream) + sys.getsizeof(key) for stream, key in session.events)
    assert kept < 20 * 200  # a few dozen bytes each, not the 100 KB ids
