"""The one way from a spec and a config to the validator that gives every verdict."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pluginlab_tui.config import Config
from pluginlab_tui.validation.validator import ContractValidator


@dataclass(frozen=True, slots=True)
class Limits:
    """What a verdict depends on besides the spec: the profile and the two limits."""

    profile: str = "plugin"
    #: Characters a response may hold (the profile's payload limit, or the config's override).
    response_chars: int = 100_000
    #: A response slower than this is a slow_response (ChatGPT gives up at 45 s).
    slow_ms: float = 45_000.0

    @classmethod
    def of(cls, config: Config) -> Limits:
        """The config's profile, plugin.limits.response_chars and proxy.slow_ms."""
        return cls(
            profile=config.plugin.profile,
            response_chars=config.plugin.limits.response_chars,
            slow_ms=config.proxy.slow_ms,
        )


def compile_validator(spec: dict[str, Any], limits: Limits) -> ContractValidator:
    """The compiled checks of `spec`; ValueError (one clear line) when it cannot be compiled."""
    return ContractValidator.from_spec(
        spec,
        profile=limits.profile,
        response_chars=limits.response_chars,
        slow_ms=limits.slow_ms,
    )
