"""The bytes of bodies serve's front holds at once, over every exchange (proxy.max_inflight_bytes).

Each body is bounded by proxy.max_body_bytes, and each request head by the front's own bound;
without a bound over all of them, callers sending many at once (or a backend answering many)
could hold as much memory as they like. Each exchange takes its share as the pieces of its bodies
arrive (the caller's request, the backend's answer) and gives it all back when it ends; each
connection's heads take a share of their own (proxy/http1.py). Past the budget, the piece is
refused (OverBudget) and the exchange answered 503. Two shares are never refused: one that holds
no more than FLOOR (what one connection's read buffer holds anyway), so that ordinary requests
and answers go on while large bodies fill the budget; and one alone (the others holding no more
than FLOOR: a few heads, its own among them), for what it holds is bounded by its own limits, and
a budget below one body must not refuse every body.

The budget is the event loop's alone: no lock.
"""

from __future__ import annotations

#: Where the front keeps an exchange's Share, in its flow's metadata (the forward reads it).
SHARE = "pluginlab.bodies"
#: Bytes any exchange may hold whatever the budget (the front reads 256 KiB at a time).
FLOOR = 256 * 1024


class OverBudget(Exception):
    """A piece of a body would take the bytes held past proxy.max_inflight_bytes; its text is
    why the exchange is answered 503 (its event's error says the same)."""

    def __init__(self, limit: int) -> None:
        super().__init__(
            f"the proxy holds proxy.max_inflight_bytes ({limit:,} bytes) of bodies and heads "
            "in flight already: try again when fewer exchanges are open"
        )


class Budget:
    def __init__(self, limit: int) -> None:
        self.limit = limit
        #: The bytes the exchanges in flight hold now.
        self.held = 0

    def share(self) -> Share:
        """An exchange's share, empty."""
        return Share(self)


class Share:
    """What one exchange holds of the budget."""

    def __init__(self, budget: Budget) -> None:
        self.budget = budget
        self.taken = 0

    def take(self, size: int) -> None:
        """Hold `size` bytes more, or raise OverBudget (never within FLOOR, nor while this
        share holds all but FLOOR)."""
        budget = self.budget
        if (
            budget.held + size > budget.limit
            and self.taken + size > FLOOR
            and budget.held - self.taken > FLOOR
        ):
            raise OverBudget(budget.limit)
        budget.held += size
        self.taken += size

    def give(self, size: int) -> None:
        """Part of what this share holds is free (never more than it holds)."""
        size = min(size, self.taken)
        self.budget.held -= size
        self.taken -= size

    def release(self) -> None:
        """The exchange has ended: what it held is free."""
        self.budget.held -= self.taken
        self.taken = 0
