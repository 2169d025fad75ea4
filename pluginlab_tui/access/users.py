"""Development users in the store: a name, a plan, the hash of a key, and a revocation time.

The key is shown once, when made; the store keeps only its SHA-256. Lookups read the store each
time, so a key revoked by `pluginlab-tui users revoke` fails at once in a running proxy.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from pluginlab_tui.access.credentials import (
    as_bytes,
    matches_hash,
    new_secret,
    secret_hash,
    usable,
)
from pluginlab_tui.store.event import iso_now

KEY_PREFIX = "plk_"


class UserError(ValueError):
    """A user command that cannot be done (the message says why)."""


@dataclass(frozen=True, slots=True)
class User:
    name: str
    plan: str | None
    created: str
    revoked: str | None

    @property
    def active(self) -> bool:
        return self.revoked is None


def _user(row: sqlite3.Row | tuple[str, str | None, str, str | None]) -> User:
    return User(name=row[0], plan=row[1], created=row[2], revoked=row[3])


def add_user(conn: sqlite3.Connection, name: str, plan: str | None = None) -> str:
    """Make a user (or give a revoked one a new key); returns the key, which is not kept."""
    name = name.strip()
    if not name or len(name) > 100 or any(c.isspace() or not c.isprintable() for c in name):
        raise UserError("a user name is 1 to 100 printable characters without spaces")
    key = new_secret(KEY_PREFIX)
    with conn:
        conn.execute("BEGIN IMMEDIATE")
        found = conn.execute("SELECT revoked FROM users WHERE name = ?", (name,)).fetchone()
        if found is not None and found[0] is None:
            raise UserError(f"user {name!r} exists (revoke it first to give it a new key)")
        conn.execute(
            "INSERT OR REPLACE INTO users (name, key_hash, plan, created, revoked)"
            " VALUES (?, ?, ?, ?, NULL)",
            (name, secret_hash(key), plan, iso_now()),
        )
    return key


def list_users(conn: sqlite3.Connection) -> list[User]:
    rows = conn.execute("SELECT name, plan, created, revoked FROM users ORDER BY name").fetchall()
    return [_user(r) for r in rows]


def get_user(conn: sqlite3.Connection, name: str) -> User | None:
    row = conn.execute(
        "SELECT name, plan, created, revoked FROM users WHERE name = ?", (name,)
    ).fetchone()
    return None if row is None else _user(row)


def revoke_user(conn: sqlite3.Connection, name: str) -> User:
    """Revoke a user's key (and with it its OAuth tokens); UserError when there is no such user."""
    with conn:
        conn.execute("BEGIN IMMEDIATE")
        found = get_user(conn, name)
        if found is None:
            raise UserError(f"no user named {name!r}")
        if found.revoked is None:
            conn.execute("UPDATE users SET revoked = ? WHERE name = ?", (iso_now(), name))
    user = get_user(conn, name)
    assert user is not None
    return user


def user_by_key(conn: sqlite3.Connection, candidates: tuple[str | bytes, ...]) -> User | None:
    """The user whose key is one of the candidates (revoked users too: the caller decides).

    Keys are looked up by the SHA-256 of their bytes; a candidate that is not a usable
    credential (credentials.usable) is no one's key.
    """
    for given in candidates:
        candidate = as_bytes(given)
        if not usable(candidate):
            continue
        digest = secret_hash(candidate)
        row = conn.execute(
            "SELECT name, plan, created, revoked, key_hash FROM users WHERE key_hash = ?",
            (digest,),
        ).fetchone()
        if row is not None and matches_hash(candidate, row[4]):
            return _user(row[:4])
    return None
