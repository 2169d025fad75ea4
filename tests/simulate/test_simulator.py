"""The Simulator as a whole over an httpx.MockTransport: files, OAuth, every operation."""

from __future__ import annotations

import pytest

from pluginlab_tui.simulate.client import SimulationError
from pluginlab_tui.simulate.signin import AuthSetup
from pluginlab_tui.simulate.simulator import Simulator
from tests.simulate.fake_plugin import BASE, OAUTH, FakePlugin


def test_a_run_signs_in_then_calls_every_operation_in_order() -> None:
    plugin = FakePlugin(auth=OAUTH)
    auth = AuthSetup(mode="none", client_secret="s3cret")
    with Simulator(BASE, auth=auth, transport=plugin.transport) as simulator:
        session = simulator.run(rounds=2)
    steps = [c.step for c in session.calls]
    assert (
        steps
        == ["manifest", "spec", "oauth:authorize", "oauth:token"]
        + [
            "addNote",
            "getNote",
        ]
        * 2
    )
    assert simulator.failures == []
    assert session.authorization == ("Authorization", "Bearer at-1")
    calls = [r for r in plugin.requests if r.url.path.startswith("/v1/")]
    assert {r.headers["authorization"] for r in calls} == {"Bearer at-1"}
    assert len({r.headers["openai-conversation-id"] for r in calls}) == 1
    assert sorted(plugin.notes) == [1, 2]
    assert [r.url.path for r in calls if r.method == "GET"] == ["/v1/notes/1", "/v1/notes/2"]


def test_a_run_stops_at_the_first_step_that_cannot_go_on() -> None:
    plugin = FakePlugin(auth={"type": "service_http"})
    with Simulator(BASE, transport=plugin.transport) as simulator:
        with pytest.raises(SimulationError, match="needs credentials"):
            simulator.run()
        assert [c.step for c in simulator.session.calls] == ["manifest", "spec"]


def test_the_grant_secret_can_be_set_once_the_store_is_known() -> None:
    plugin = FakePlugin()
    with Simulator(BASE, transport=plugin.transport) as simulator:
        simulator.grant_secret = b"s" * 32
        simulator.fetch_files()
    assert all("x-pluginlab-replay" in r.headers for r in plugin.requests)
