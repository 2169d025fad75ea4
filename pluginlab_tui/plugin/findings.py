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


def escape(part: str | int) -> str:
    """One JSON pointer reference token (RFC 6901)."""
    return str(part).replace("~", "~0").replace("/", "~1")


def pointer(*parts: str | int) -> str:
    """A JSON pointer from its tokens: pointer("paths", "/a", "get") == "/paths/~1a/get"."""
    return "".join("/" + escape(p) for p in parts)


def split_pointer(value: str) -> list[str]:
    """The reference tokens of a JSON pointer ("" is the whole document)."""
    if not value:
        return []
    return [p.replace("~1", "/").replace("~0", "~") for p in value.lstrip("/").split("/")]


def parent_pointer(value: str) -> str:
    """The pointer of the containing object or array."""
    return value.rsplit("/", 1)[0] if "/" in value else ""


def sort_key(finding: Finding) -> tuple[str, int, int, str]:
    return (finding.file, finding.line or 0, finding.column or 0, finding.rule)
