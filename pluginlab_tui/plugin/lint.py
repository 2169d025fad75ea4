"""Lint a plugin's files: from paths (the `lint` command) or from texts (the proxy's files).

A PATH is a manifest, a spec, or a folder holding ai-plugin.json; the folder's spec is the file
that api.url's path names (the path under the folder, else its basename), else a sibling
openapi.yaml, openapi.yml or openapi.json. Nothing here raises on a file's content; a path that
does not exist is a UsageError.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from pluginlab_tui.config import Limits
from pluginlab_tui.errors import UsageError
from pluginlab_tui.plugin.documents import Document, load_document, read_document
from pluginlab_tui.plugin.findings import SEVERITIES, Finding, sort_key
from pluginlab_tui.plugin.lint_cross import lint_cross
from pluginlab_tui.plugin.lint_manifest import lint_manifest
from pluginlab_tui.plugin.lint_spec import lint_spec
from pluginlab_tui.plugin.options import LintOptions
from pluginlab_tui.plugin.size import DEFAULT_MAX_SPEC_BYTES
from pluginlab_tui.plugin.urls import split

MANIFEST_NAME = "ai-plugin.json"
SPEC_SIBLINGS = ("openapi.yaml", "openapi.yml", "openapi.json")


def lint_texts(
    manifest_text: str | None,
    spec_text: str | None,
    *,
    manifest_name: str = MANIFEST_NAME,
    spec_name: str = "openapi.yaml",
    profile: str = "plugin",
    domain: str | None = None,
    public_url: str | None = None,
    limits: Limits | None = None,
    max_bytes: int = DEFAULT_MAX_SPEC_BYTES,
) -> list[Finding]:
    """Findings for a manifest and/or a spec given as text (None: that file is not linted)."""
    options = LintOptions.make(profile, domain, public_url, limits)
    manifest = (
        load_document(manifest_text, manifest_name, max_bytes)
        if manifest_text is not None
        else None
    )
    spec = load_document(spec_text, spec_name, max_bytes) if spec_text is not None else None
    return _lint_documents(manifest, spec, options)


def lint_paths(
    paths: Sequence[Path],
    *,
    profile: str = "plugin",
    domain: str | None = None,
    public_url: str | None = None,
    limits: Limits | None = None,
) -> list[Finding]:
    """Findings for each PATH (manifest, spec or plugin folder), sorted by file and line.

    Raises UsageError when a path does not exist or a folder holds no plugin file.
    """
    options = LintOptions.make(profile, domain, public_url, limits)
    findings: list[Finding] = []
    for target in plan(paths, options.profile):
        findings.extend(target.notes)
        findings.extend(_lint_documents(target.manifest, target.spec, options, sort=False))
    return sorted(_unique(findings), key=sort_key)


def summarize(findings: Sequence[Finding]) -> dict[str, int]:
    """Counts per severity: {"error": n, "warning": n, "info": n}."""
    counts: dict[str, int] = dict.fromkeys(SEVERITIES, 0)
    for finding in findings:
        counts[finding.severity] = counts.get(finding.severity, 0) + 1
    return counts


@dataclass
class Target:
    """One plugin to lint: its manifest and/or spec, and notes about how they were found."""

    manifest: Document | None = None
    spec: Document | None = None
    notes: list[Finding] = field(default_factory=list)


def plan(paths: Sequence[Path], profile: str = "plugin") -> list[Target]:
    """Which files make up each plugin named on the command line."""
    for path in paths:
        if not path.exists():
            raise UsageError(f"no such file or folder: {path}")
    targets: list[Target] = []
    manifests: list[tuple[Path, Document]] = []
    specs: list[Document] = []
    for path in paths:
        if path.is_dir():
            targets.append(_folder(path, profile))
            continue
        doc = read_document(path, str(path))
        if _kind(doc, path) == "manifest":
            manifests.append((path, doc))
        else:
            specs.append(doc)
    if len(manifests) == 1 and len(specs) == 1:
        return [*targets, Target(manifests[0][1], specs[0])]
    for path, doc in manifests:
        spec_path, looked = find_spec(path.parent, doc.data, exclude=path)
        target = Target(manifest=doc)
        if spec_path is not None:
            target.spec = read_document(spec_path, str(spec_path))
        else:
            target.notes.append(_spec_not_found(doc.name, looked))
        targets.append(target)
    targets.extend(Target(spec=doc) for doc in specs)
    return targets


def _kind(doc: Document, path: Path) -> str:
    data = doc.data
    if isinstance(data, dict):
        if {"openapi", "swagger", "paths"} & set(data):
            return "spec"
        if {"schema_version", "name_for_model", "name_for_human", "api", "auth"} & set(data):
            return "manifest"
    return "manifest" if "ai-plugin" in path.name.lower() else "spec"


def _folder(folder: Path, profile: str) -> Target:
    manifest_path = folder / MANIFEST_NAME
    target = Target()
    if manifest_path.is_file():
        target.manifest = read_document(manifest_path, str(manifest_path))
        spec_path, looked = find_spec(folder, target.manifest.data, exclude=manifest_path)
        if spec_path is not None:
            target.spec = read_document(spec_path, str(spec_path))
        else:
            target.notes.append(_spec_not_found(target.manifest.name, looked))
        return target
    spec_path = next((folder / n for n in SPEC_SIBLINGS if (folder / n).is_file()), None)
    if spec_path is None:
        raise UsageError(f"{folder} holds neither {MANIFEST_NAME} nor {', '.join(SPEC_SIBLINGS)}")
    target.spec = read_document(spec_path, str(spec_path))
    if profile == "plugin":
        target.notes.append(
            Finding(
                "manifest-missing",
                "error",
                str(manifest_path),
                None,
                None,
                "",
                f"no {MANIFEST_NAME} in {folder}: a ChatGPT plugin needs a manifest "
                "(use --profile actions for a GPT Action)",
            )
        )
    return target


def find_spec(
    folder: Path, manifest: Any, *, exclude: Path | None = None
) -> tuple[Path | None, list[str]]:
    """The spec file for a manifest in `folder`, and the names that were tried."""
    candidates: list[str] = []
    api = manifest.get("api") if isinstance(manifest, dict) else None
    url = api.get("url") if isinstance(api, dict) else None
    if isinstance(url, str) and url.strip():
        parts = split(url)
        raw_path = parts.path if parts is not None and parts.scheme else url.split("?")[0]
        relative = PurePosixPath(raw_path.lstrip("/"))
        if relative.parts and ".." not in relative.parts:
            candidates.append(str(relative))
            candidates.append(relative.name)
    candidates.extend(SPEC_SIBLINGS)
    tried: list[str] = []
    for name in dict.fromkeys(candidates):
        if not name:
            continue
        tried.append(name)
        candidate = folder / name
        try:
            if candidate.is_file() and (exclude is None or not candidate.samefile(exclude)):
                return candidate, tried
        except OSError:
            continue
    return None, tried


def _spec_not_found(manifest_name: str, looked: list[str]) -> Finding:
    return Finding(
        "spec-not-found",
        "info",
        manifest_name,
        None,
        None,
        "/api/url",
        f"no spec beside the manifest (looked for {', '.join(looked)}); spec rules skipped",
    )


def _lint_documents(
    manifest: Document | None,
    spec: Document | None,
    options: LintOptions,
    *,
    sort: bool = True,
) -> list[Finding]:
    findings: list[Finding] = []
    if manifest is not None:
        findings.extend(_guarded(manifest.name, lambda: lint_manifest(manifest, options)))
    if spec is not None:
        findings.extend(_guarded(spec.name, lambda: lint_spec(spec, options)))
    if manifest is not None and spec is not None:
        findings.extend(_guarded(spec.name, lambda: lint_cross(manifest, spec)))
    return sorted(_unique(findings), key=sort_key) if sort else findings


def _guarded(name: str, rules: Callable[[], list[Finding]]) -> list[Finding]:
    """A rule that crashes is a warning naming the crash, never a traceback for the user."""
    try:
        return rules()
    except Exception as exc:  # noqa: BLE001
        where = traceback.extract_tb(exc.__traceback__)[-1]
        return [
            Finding(
                "lint-crashed",
                "warning",
                name,
                None,
                None,
                "",
                f"a lint rule failed on this file ({type(exc).__name__}: {exc} at "
                f"{Path(where.filename).name}:{where.lineno}); please report it",
            )
        ]


def _unique(findings: list[Finding]) -> list[Finding]:
    return list(dict.fromkeys(findings))
