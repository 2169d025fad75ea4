"""A recorded version's lint findings and the changes between two versions, as Rich renderables
(the plugin screen and the catalogue screen show them alike): pure functions, no widgets."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.syntax import Syntax
from rich.table import Table
from rich.text import Text

from pluginlab_tui.contract.summary import finding_fields
from pluginlab_tui.plugin.diff import Change
from pluginlab_tui.store.versions import VersionRecord

SEVERITY_STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}


def syntax(text: str, language: str, dark: bool, *, line_numbers: bool = True) -> Syntax:
    """Highlighted text in the theme's ANSI colours."""
    return Syntax(
        text,
        language,
        theme="ansi_dark" if dark else "ansi_light",
        background_color="default",
        line_numbers=line_numbers,
        word_wrap=False,
    )


def lint_view(record: VersionRecord) -> RenderableType:
    """The version's findings: severity, rule, where, message."""
    summary = ", ".join(f"{n} {kind}" for kind, n in record.lint_summary.items()) or "none"
    head = Text.assemble(("Lint of version ", "bold"), (str(record.number), "bold"), f": {summary}")
    if not record.lint_findings:
        return Group(head, Text("✓ no findings", style="green"))
    table = Table(expand=True, show_edge=False)
    table.add_column("severity", no_wrap=True)
    table.add_column("rule", no_wrap=True)
    table.add_column("where", no_wrap=True)
    table.add_column("message")
    for finding in record.lint_findings:
        fields = finding_fields(finding)
        table.add_row(
            Text(fields.severity, style=SEVERITY_STYLE.get(fields.severity, "")),
            fields.rule,
            fields.where,
            fields.message,
        )
    return Group(head, table)


def changes_view(changes: list[Change], noun: str, subject: str) -> list[RenderableType]:
    """`N <noun> change(s), M breaking` and the changes, breaking ones first and marked;
    `subject` names the column of what changed (an operation, a tool)."""
    ordered = sorted(changes, key=lambda c: not c.breaking)
    breaking = sum(c.breaking for c in ordered)
    parts: list[RenderableType] = [
        Text(
            f"{len(ordered)} {noun} change(s), {breaking} breaking",
            style="bold red" if breaking else "green",
        )
    ]
    if ordered:
        table = Table(expand=True, show_edge=False)
        table.add_column("", no_wrap=True)
        table.add_column(subject, no_wrap=True)
        table.add_column("where")
        table.add_column("change")
        for change in ordered:
            table.add_row(
                Text("breaking", style="bold red") if change.breaking else Text("ok", "green"),
                change.operation or "-",
                change.where,
                change.message,
            )
        parts.append(table)
    return parts
