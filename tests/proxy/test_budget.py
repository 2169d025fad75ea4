"""The front's budget of body bytes over every exchange: taken piece by piece, given back whole."""

from __future__ import annotations

import pytest

from pluginlab_tui.proxy.budget import FLOOR, Budget, OverBudget

MB = 1024 * 1024


def test_shares_take_until_the_limit_and_give_everything_back_when_they_end() -> None:
    budget = Budget(4 * MB)
    first, second = budget.share(), budget.share()
    first.take(3 * MB)
    second.take(MB)
    with pytest.raises(OverBudget):
        second.take(1)
    assert (budget.held, second.taken) == (4 * MB, MB)  # a refused piece takes nothing
    first.release()
    second.take(2 * MB)
    assert budget.held == 3 * MB
    second.release()
    second.release()  # twice is harmless
    assert budget.held == 0


def test_small_bodies_pass_a_full_budget_and_an_exchange_alone_any() -> None:
    budget = Budget(MB)
    alone = budget.share()
    alone.take(8 * MB)  # it holds all there is: its own limits bound it, not the budget
    small = budget.share()
    small.take(FLOOR)  # within the floor: an ordinary request or answer goes on
    with pytest.raises(OverBudget):
        small.take(1)
    with pytest.raises(OverBudget):
        budget.share().take(FLOOR + 1)
    alone.release()
    small.take(MB - FLOOR)
    assert budget.held == MB


def test_an_exchange_is_alone_beside_a_few_heads() -> None:
    """Heads are held by their connections' shares (proxy/http1.py): an exchange's own head,
    and a few others', do not make a large body wait for nothing."""
    budget = Budget(MB)
    heads = [budget.share() for _ in range(3)]
    for head in heads:
        head.take(FLOOR // 4)
    body = budget.share()
    body.take(8 * MB)
    heads[0].take(FLOOR // 4 + 1)  # within its floor still
    with pytest.raises(OverBudget):
        budget.share().take(FLOOR + 1)
    with pytest.raises(OverBudget):  # the others hold more than the floor now
        body.take(1)


def test_a_share_gives_back_part_of_what_it_holds_and_never_more() -> None:
    budget = Budget(MB)
    share = budget.share()
    share.take(1000)
    share.give(400)
    assert (share.taken, budget.held) == (600, 600)
    share.give(10_000)
    assert (share.taken, budget.held) == (0, 0)
