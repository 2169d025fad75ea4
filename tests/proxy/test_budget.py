"""The front's budget of body bytes over every exchange: taken piece by piece, given back whole."""

from __future__ import annotations

import pytest

from pluginlab_tui.proxy.budget import Budget, OverBudget


def test_shares_take_until_the_limit_and_give_everything_back_when_they_end() -> None:
    budget = Budget(100)
    first, second = budget.share(), budget.share()
    first.take(60)
    second.take(40)
    with pytest.raises(OverBudget):
        second.take(1)
    assert (budget.held, second.taken) == (100, 40)  # a refused piece takes nothing
    first.release()
    second.take(50)
    assert budget.held == 90
    second.release()
    second.release()  # twice is harmless
    assert budget.held == 0


def test_an_exchange_alone_is_never_refused_for_the_budget() -> None:
    budget = Budget(10)
    alone = budget.share()
    alone.take(8)
    alone.take(30)  # it holds all there is: its own limits bound it, not the budget
    other = budget.share()
    with pytest.raises(OverBudget):
        other.take(1)
    alone.release()
    other.take(1)
    assert budget.held == 1
