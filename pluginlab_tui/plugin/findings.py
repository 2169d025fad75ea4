"""A lint finding: one rule broken at one place in one file."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

Severity = Literal["error", "warning", "info"]

SEVERITIES: tuple[Severity, ...] = ("error", "warning", "info")


@dataclass(frozen=True)
class Finding:
    """What is wrong, how badly, and where (line and column are 1-based, None when unknown)."""

    rule: str
    severity: Severity
    file: str
    line: int | None
    column: int | None
    pointer: str
    message: str

    def to_dict(self) -> dict[str, Any]:
        """The JSON form: {rule, severity, file, line, column, pointer, message}."""
        return asdict(self)


def sort_key(finding: Finding) -> tuple[str, int, int, str]:
    return (finding.file, finding.line or 0, finding.column or 0, finding.rule)
