"""The validator factory takes the config's profile and limits."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from pluginlab_tui.config import load_config
from pluginlab_tui.contract.factory import Limits, compile_validator
from tests.harness import TODO, write_config


def test_limits_come_from_the_config(tmp_path: Path) -> None:
    sections: dict[str, dict[str, Any]] = {
        "plugin": {"profile": "actions"},
        "plugin.limits": {"response_chars": 500},
        "proxy": {"slow_ms": 1234},
    }
    config = load_config(write_config(tmp_path, sections))
    limits = Limits.of(config)
    assert limits == Limits(profile="actions", response_chars=500, slow_ms=1234)
    spec = yaml.safe_load((TODO / "openapi.yaml").read_text(encoding="utf-8"))
    validator = compile_validator(spec, limits)
    assert (validator.profile, validator.response_chars, validator.slow_ms) == (
        "actions",
        500,
        1234,
    )
