from __future__ import annotations

from datetime import UTC, datetime

from pluginlab_tui.access.limits import Bucket, Limits, period_bounds
from pluginlab_tui.config import PlanSection


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_bucket_refills_at_its_rate() -> None:
    bucket = Bucket(capacity=2, rate=1.0, tokens=2, stamp=0.0)
    assert bucket.take(0.0) == 0 and bucket.take(0.0) == 0
    assert bucket.take(0.0) == 1.0
    assert bucket.take(0.5) == 0.5
    assert bucket.take(1.0) == 0


def test_rate_limit_per_caller_with_retry_after() -> None:
    clock = Clock()
    limits = Limits({"free": PlanSection(rate_per_minute=3)}, clock=clock)
    assert [limits.check("a", "free") for _ in range(3)] == [None, None, None]
    refused = limits.check("a", "free")
    assert refused is not None and refused.result == "rate_limited"
    assert refused.retry_after == 20  # one token every 20 s
    assert limits.check("b", "free") is None  # another caller has its own bucket
    clock.now += 20
    assert limits.check("a", "free") is None
    assert limits.check("a", None) is None and limits.check("a", "unknown") is None


def test_zero_rate_refuses_everything() -> None:
    limits = Limits({"off": PlanSection(rate_per_minute=0)})
    refused = limits.check("a", "off")
    assert refused is not None and refused.retry_after == 60


def test_quota_per_day_counts_only_accepted_requests_and_renews() -> None:
    wall = [datetime(2026, 3, 5, 23, 59, 0, tzinfo=UTC)]
    limits = Limits({"free": PlanSection(quota=2, quota_period="day")}, wall=lambda: wall[0])
    assert limits.check("a", "free") is None and limits.check("a", "free") is None
    for _ in range(2):
        refused = limits.check("a", "free")
        assert refused is not None and refused.result == "quota_exceeded"
        assert refused.retry_after == 60 and "2026-03-06T00:00:00Z" in refused.message
    wall[0] = datetime(2026, 3, 6, 0, 0, 1, tzinfo=UTC)
    assert limits.check("a", "free") is None


def test_quota_is_seeded_from_the_store_once_per_period() -> None:
    asked: list[tuple[str, str]] = []

    def used_since(caller: str, since: str) -> int:
        asked.append((caller, since))
        return 4

    wall = datetime(2026, 2, 14, 12, 0, tzinfo=UTC)
    limits = Limits(
        {"pro": PlanSection(quota=5, quota_period="month")},
        used_since=used_since,
        wall=lambda: wall,
    )
    assert limits.check("bob", "pro") is None
    refused = limits.check("bob", "pro")
    assert refused is not None and refused.result == "quota_exceeded"
    assert asked == [("bob", "2026-02-01T00:00:00.000Z")]


def test_rate_limit_refusals_do_not_use_quota() -> None:
    clock = Clock()
    limits = Limits({"p": PlanSection(rate_per_minute=1, quota=2)}, clock=clock)
    assert limits.check("a", "p") is None
    assert limits.check("a", "p") is not None  # rate limited, not counted
    clock.now += 60
    assert limits.check("a", "p") is None
    clock.now += 60
    refused = limits.check("a", "p")
    assert refused is not None and refused.result == "quota_exceeded"


def test_period_bounds() -> None:
    start, end = period_bounds("month", datetime(2026, 12, 31, 8, tzinfo=UTC))
    assert (start.month, end.year, end.month, end.day) == (12, 2027, 1, 1)
    start, end = period_bounds("day", datetime(2026, 12, 31, 8, tzinfo=UTC))
    assert (start.day, end.month, end.day) == (31, 1, 1)
