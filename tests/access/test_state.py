from __future__ import annotations

import pytest

from pluginlab_tui.access.state import check_config
from pluginlab_tui.config import load_config
from pluginlab_tui.errors import UsageError


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"auth.mode": "service_http"}, "auth.service_token: required"),
        ({"auth.mode": "api_key"}, "auth.api_key: required"),
        ({"auth.default_plan": "gold"}, "auth.default_plan: no plan named 'gold'"),
        ({"plans": {"free": {"quota": -1}}}, "plans.free.quota: .*greater than or equal to 0"),
        ({"auth.oauth.issuer": "https://as.example"}, "auth.oauth.issuer: an external"),
        (
            {"auth.mode": "oauth", "auth.oauth.introspection_url": "https://as.example/i"},
            "auth.oauth.introspection_url: needs auth.oauth.issuer",
        ),
    ],
)
def test_what_a_mode_needs_is_one_clear_line(overrides: dict[str, object], message: str) -> None:
    with pytest.raises(UsageError, match=message):
        check_config(load_config(None, overrides))


def test_a_complete_config_passes() -> None:
    check_config(
        load_config(
            None,
            {
                "auth.mode": "service_http",
                "auth.service_token": "t",
                "auth.default_plan": "free",
                "plans": {"free": {"rate_per_minute": 10}},
            },
        )
    )
