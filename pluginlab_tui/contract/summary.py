"""A recorded version summed up, for the CLI and the TUI alike: its fingerprint, its lint counts,
each finding's fields, and what a catalogue version holds.

A plugin version's findings are lint Findings (rule, severity, file, line); a catalogue version's
are the catalogue checks' Violations (code, where, message), which are errors: both read alike.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pluginlab_tui.mcp.catalogue import Catalogue
from pluginlab_tui.store.versions import CATALOGUE, VersionRecord

#: The lists of a catalogue, as counted: (noun, list method).
CONTENTS = (
    ("tool", "tools/list"),
    ("resource", "resources/list"),
    ("template", "resources/templates/list"),
    ("prompt", "prompts/list"),
)


@dataclass(frozen=True, slots=True)
class FindingFields:
    """One finding as shown: how bad, which rule, where, what."""

    severity: str
    rule: str
    where: str
    message: str


def fingerprint(record: VersionRecord) -> str:
    """The hash naming the version: the catalogue's, or the spec's."""
    value = record.catalogue_hash if record.kind == CATALOGUE else record.spec_hash
    return value or "-"


def finding_fields(finding: Mapping[str, Any]) -> FindingFields:
    """A stored finding of either shape, as shown."""
    where = str(finding.get("file") or finding.get("where") or "")
    line = finding.get("line")
    if line is not None:
        where += f":{line}:{finding.get('column') or 1}"
    return FindingFields(
        severity=str(finding.get("severity") or "error"),
        rule=str(finding.get("rule") or finding.get("code") or ""),
        where=where,
        message=str(finding.get("message") or ""),
    )


def lint_counts(record: VersionRecord) -> dict[str, int]:
    """Findings per severity: the stored summary, else counted from the findings."""
    if record.lint_summary:
        return dict(record.lint_summary)
    return dict(Counter(finding_fields(f).severity for f in record.lint_findings))


def lint_line(record: VersionRecord) -> str:
    """`1 error, 2 warnings` (and infos when there are)."""
    counts = lint_counts(record)
    parts = [_count(counts.get("error", 0), "error"), _count(counts.get("warning", 0), "warning")]
    parts += [_count(n, kind) for kind, n in counts.items() if kind not in ("error", "warning")]
    return ", ".join(parts)


def counts(catalogue: Catalogue) -> dict[str, int | None]:
    """Items per list, by noun (`tool`, `resource`, `template`, `prompt`); None: never listed."""
    out: dict[str, int | None] = {}
    for noun, method in CONTENTS:
        items = catalogue.items(method)
        out[noun] = None if items is None else len(items)
    return out


def contents_line(catalogue: Catalogue) -> str:
    """`2 tools, 1 resource, 1 template, prompts not listed`."""
    return ", ".join(
        f"{noun}s not listed" if n is None else _count(n, noun)
        for noun, n in counts(catalogue).items()
    )


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"
