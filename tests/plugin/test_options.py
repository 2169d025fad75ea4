"""Profiles, limits and where localhost is fine."""

from __future__ import annotations

import pytest

from pluginlab_tui.config import Limits
from pluginlab_tui.plugin.options import LintOptions


def test_description_limits_per_profile() -> None:
    plugin, actions = LintOptions.make("plugin"), LintOptions.make("actions")
    assert (plugin.endpoint_description_limit, plugin.parameter_description_limit) == (200, 200)
    assert (actions.endpoint_description_limit, actions.parameter_description_limit) == (300, 700)
    configured = LintOptions.make("actions", limits=Limits(endpoint_description=50))
    assert configured.endpoint_description_limit == 50
    assert (plugin.description_severity, actions.description_severity) == ("warning", "error")


def test_local_public_url() -> None:
    assert LintOptions.make(public_url="http://localhost:8787").reachability_severity == "info"
    assert LintOptions.make(public_url="https://x.ngrok.app").reachability_severity == "warning"
    assert LintOptions.make().reachability_severity == "warning"


def test_unknown_profile() -> None:
    with pytest.raises(ValueError, match="profile"):
        LintOptions.make("gpts")
