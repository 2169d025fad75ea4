"""serve's garbage collection: Python's full collections on a clock of serve's own.

Nearly all the proxy's garbage is freed by reference counting; the young collections (left to
Python) find the few cycles. A full collection scans every object alive, the events queued for
the writer among them, so the busier the proxy, the longer each one stops the loop. Measured
here under benchmarks/proxy_overhead.py's load (22,000 exchanges): Python ran 4 full collections
of 118 ms each, 21 us of every exchange, and freed 42 objects in all. serve turns Python's own
full collections off and runs one every FULL_EVERY_S seconds instead: cyclic garbage that
outlives the young collections waits that long at most, and the loop stops for a full collection
once a minute rather than every few seconds under load.
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Iterator
from contextlib import contextmanager

#: Seconds between two full collections while serve runs.
FULL_EVERY_S = 60.0
#: A threshold the count of collections of the middle generation never reaches.
_NEVER = 2**31 - 1


@contextmanager
def full_collections_every(seconds: float) -> Iterator[None]:
    """Within: no full collection of Python's own, one every `seconds` on the running loop
    instead. Python's thresholds are as they were on exit."""
    running = asyncio.get_running_loop()
    young, middle, full = gc.get_threshold()
    gc.set_threshold(young, middle, _NEVER)
    handle: asyncio.TimerHandle | None = None

    def collect() -> None:
        nonlocal handle
        gc.collect()
        handle = running.call_later(seconds, collect)

    handle = running.call_later(seconds, collect)
    try:
        yield
    finally:
        handle.cancel()
        gc.set_threshold(young, middle, full)
