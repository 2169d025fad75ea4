"""The replay grant: how replay and the simulator tell the proxy who they stand for.

The store keeps no secret, so a replayed request cannot carry the original caller's
credentials. Instead the replaying tool, which can read the store, signs a small claim with a
secret kept in the store's meta table (key `replay_secret`, made on first use):

    X-PluginLab-Replay: <base64url(JSON claim)>.<base64url(HMAC-SHA256)>

The claim names the source (replay, simulate), the original event (replay_of), the original
caller (user_id, plan) and when it was signed. The proxy accepts it only from a loopback peer,
checks the signature in constant time and the age, and always strips the header before the
request goes further. An accepted grant sets the exchange's source, replay_of, user_id and plan;
the auth gate then lets a replay with a user_id through as that user.

Nothing here imports mitmproxy: the TUI and the CLI sign with the same code the proxy verifies.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import json
import logging
import re
import secrets
import sqlite3
import time
from collections.abc import MutableMapping
from dataclasses import asdict, dataclass
from typing import Any, Protocol

from pluginlab_tui.access.credentials import MAX_CREDENTIAL_BYTES, as_bytes
from pluginlab_tui.wire import GRANT_HEADER, IMPORT, REPLAY, SIMULATE

log = logging.getLogger(__name__)

SECRET_KEY = "replay_secret"
#: A grant older than this (or this far in the future) is refused.
MAX_AGE_S = 300.0
#: The sources a grant may claim (a live exchange needs none).
SOURCES = frozenset({REPLAY, SIMULATE, IMPORT})
_B64URL = re.compile(rb"[A-Za-z0-9_-]+")


@dataclass(frozen=True, slots=True)
class Grant:
    source: str = REPLAY
    replay_of: str | None = None
    user_id: str | None = None
    plan: str | None = None
    ts: float = 0.0


def store_secret(conn: sqlite3.Connection) -> bytes:
    """The store's replay secret, made (once, whoever comes first) on first use."""
    candidate = secrets.token_hex(32)
    with conn:
        conn.execute(
            "INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)", (SECRET_KEY, candidate)
        )
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (SECRET_KEY,)).fetchone()
    return bytes.fromhex(str(row[0]))


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: bytes) -> bytes:
    return base64.urlsafe_b64decode(text + b"=" * (-len(text) % 4))


def sign(grant: Grant, secret: bytes, now: float | None = None) -> str:
    """The header value for a grant (stamped with the current time)."""
    claim = asdict(grant)
    claim["ts"] = time.time() if now is None else now
    payload = _b64(json.dumps(claim, separators=(",", ":"), sort_keys=True).encode("utf-8"))
    mac = hmac.new(secret, payload.encode("ascii"), hashlib.sha256).digest()
    return f"{payload}.{_b64(mac)}"


def verify(value: str | bytes, secret: bytes, now: float | None = None) -> Grant | None:
    """The grant a header value carries, or None when it is forged, stale or malformed.

    The value is taken as bytes (a str as mitmproxy hands it); anything but two base64url parts
    (a repeated header joined with a comma, an undecodable byte, an overlong value) is refused
    before any work, and the MAC is compared in constant time.
    """
    raw = as_bytes(value).strip()
    if len(raw) > MAX_CREDENTIAL_BYTES:
        return None
    payload, sep, mac_text = raw.partition(b".")
    if not sep or not _B64URL.fullmatch(payload) or not _B64URL.fullmatch(mac_text):
        return None
    try:
        mac = _unb64(mac_text)
    except ValueError:
        return None
    expected = hmac.new(secret, payload, hashlib.sha256).digest()
    if not hmac.compare_digest(mac, expected):
        return None
    try:
        claim: Any = json.loads(_unb64(payload))
    except (ValueError, TypeError, RecursionError):
        return None
    if not isinstance(claim, dict):
        return None
    ts = claim.get("ts")
    moment = time.time() if now is None else now
    if not isinstance(ts, int | float) or not abs(moment - float(ts)) <= MAX_AGE_S:
        return None
    source = claim.get("source")
    if source not in SOURCES:
        return None

    def text(key: str) -> str | None:
        found = claim.get(key)
        return found if isinstance(found, str) else None

    return Grant(str(source), text("replay_of"), text("user_id"), text("plan"), float(ts))


def is_loopback(peer: str) -> bool:
    try:
        return ipaddress.ip_address(peer.removeprefix("::ffff:")).is_loopback
    except ValueError:
        return False


class _Stamped(Protocol):
    source: str
    replay_of: str | None
    user_id: str | None
    plan: str | None


class GrantGate:
    """In the proxy's first stage: reads, checks and strips the grant header of a request."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        self._secret: bytes | None = None

    @property
    def secret(self) -> bytes:
        if self._secret is None:
            self._secret = store_secret(self._conn)
        return self._secret

    def apply(self, exchange: _Stamped, headers: MutableMapping[str, str], peer: str) -> bool:
        """Strip the header; when it is genuine and came from loopback, stamp the exchange."""
        value = headers.get(GRANT_HEADER)
        if value is None:
            return False
        del headers[GRANT_HEADER]
        if not is_loopback(peer):
            log.warning("replay grant from %s refused: not a loopback peer", peer)
            return False
        try:
            grant = verify(value, self.secret)
        except sqlite3.Error as exc:
            log.warning("replay grant not checked: %s", exc)
            return False
        if grant is None:
            log.warning("replay grant refused: bad signature or too old")
            return False
        exchange.source = grant.source
        exchange.replay_of = grant.replay_of
        if grant.user_id is not None:
            exchange.user_id = grant.user_id
            exchange.plan = grant.plan
        return True
