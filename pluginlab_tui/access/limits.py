"""Plans' limits: a token bucket per caller (requests per minute) and a quota per day or month.

Counters live in memory. A quota counter is seeded, the first time a caller is seen in a
period, from the store's events that passed the gate in that period, so a restart of the proxy
does not hand out a fresh quota (events pruned by retention are not counted).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from pluginlab_tui.config import PlanSection


@dataclass(frozen=True, slots=True)
class Refusal:
    result: str  # rate_limited | quota_exceeded
    retry_after: int  # whole seconds, at least 1
    message: str


@dataclass(slots=True)
class Bucket:
    """A token bucket: `capacity` tokens, refilled at `rate` tokens a second."""

    capacity: float
    rate: float
    tokens: float
    stamp: float

    def take(self, now: float) -> float:
        """Take one token; returns 0 when taken, else the seconds until one is there."""
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return 0.0
        return (1.0 - self.tokens) / self.rate


def period_bounds(period: str, moment: datetime) -> tuple[datetime, datetime]:
    """The UTC calendar day or month holding `moment`: (start, end)."""
    moment = moment.astimezone(UTC)
    if period == "month":
        start = moment.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        end = (start + timedelta(days=32)).replace(day=1)
    else:
        start = moment.replace(hour=0, minute=0, second=0, microsecond=0)
        end = start + timedelta(days=1)
    return start, end


#: Counts the requests of a caller that passed the gate since an ISO time (seeds quotas).
UsageCounter = Callable[[str, str], int]


class Limits:
    """Rate limits and quotas per caller, by the caller's plan."""

    def __init__(
        self,
        plans: dict[str, PlanSection],
        *,
        used_since: UsageCounter | None = None,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.plans = plans
        self.used_since = used_since
        self.clock = clock
        self.wall = wall
        self._buckets: dict[tuple[str, str], Bucket] = {}
        self._usage: dict[tuple[str, str, str], int] = {}

    def check(self, caller: str, plan: str | None) -> Refusal | None:
        """Count one request of `caller` on `plan`; a Refusal when over a limit (not counted)."""
        section = self.plans.get(plan) if plan is not None else None
        if section is None:
            return None
        quota_key: tuple[str, str, str] | None = None
        if section.quota is not None:
            start, end = period_bounds(section.quota_period, self.wall())
            quota_key = (caller, plan or "", start.isoformat())
            used = self._usage.get(quota_key)
            if used is None:
                used = self._seed(caller, start)
                stale = (start - timedelta(days=62)).isoformat()
                self._usage = {k: v for k, v in self._usage.items() if k[2] > stale}
                self._usage[quota_key] = used
            if used >= section.quota:
                wait = max(1, math.ceil((end - self.wall()).total_seconds()))
                return Refusal(
                    "quota_exceeded",
                    wait,
                    f"plan {plan!r} allows {section.quota} requests a {section.quota_period};"
                    f" the quota renews at {end.strftime('%Y-%m-%dT%H:%M:%SZ')}",
                )
        if section.rate_per_minute is not None:
            rate = section.rate_per_minute
            now = self.clock()
            bucket = self._buckets.setdefault(
                (caller, plan or ""), Bucket(float(rate), rate / 60.0, float(rate), now)
            )
            wait_s = bucket.take(now) if rate > 0 else math.inf
            if wait_s > 0:
                retry = 60 if math.isinf(wait_s) else max(1, math.ceil(wait_s))
                return Refusal(
                    "rate_limited",
                    retry,
                    f"plan {plan!r} allows {rate} requests a minute; retry in {retry} s",
                )
        if quota_key is not None:
            self._usage[quota_key] += 1
        return None

    def _seed(self, caller: str, start: datetime) -> int:
        if self.used_since is None:
            return 0
        return self.used_since(caller, start.strftime("%Y-%m-%dT%H:%M:%S.000Z"))
