"""Random (version 4) UUIDs for events and flows, cut from one read of the system's randomness
per 256 of them instead of a system call each: a getrandom costs about 17 us on this machine's
kernel, and an exchange needs two (its flow, its event). The bytes are the same os.urandom
bytes; the pool is thread-safe and emptied in a forked child, so no two processes share ids."""

from __future__ import annotations

import os
import threading
import uuid

#: UUIDs per read of os.urandom.
POOL = 256


class _Pool:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._bytes = b""
        self._at = 0

    def take(self) -> bytes:
        with self._lock:
            if self._at >= len(self._bytes):
                self._bytes, self._at = os.urandom(16 * POOL), 0
            at = self._at
            self._at = at + 16
            return self._bytes[at : at + 16]

    def empty(self) -> None:
        self._bytes, self._at = b"", 0


_pool = _Pool()
os.register_at_fork(after_in_child=_pool.empty)


def uuid4() -> uuid.UUID:
    """As uuid.uuid4(), from the pool."""
    return uuid.UUID(bytes=_pool.take(), version=4)


def new_id() -> str:
    """A new event id: a UUID4 in its usual text form."""
    return str(uuid4())
