"""What changed between two versions of the contract, of either kind, and which changes break
a caller: two recorded versions (the plugin's files, or two MCP catalogues) or two saved files
(OpenAPI specs, or tools/list results), the files told apart by their content, not their names.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pluginlab_tui.errors import UsageError
from pluginlab_tui.mcp.catalogue import Catalogue
from pluginlab_tui.mcp.catalogue_diff import diff_catalogues
from pluginlab_tui.plugin.diff import Change, diff_specs
from pluginlab_tui.plugin.documents import load_document, read_document
from pluginlab_tui.store.versions import CATALOGUE, VersionRecord

#: What each kind of version is called in messages.
_KIND_NAME: dict[str, str] = {"plugin": "the plugin's files", CATALOGUE: "an MCP catalogue"}


def catalogue_of(record: VersionRecord) -> Catalogue:
    """The catalogue a catalogue version holds (an empty one when its text cannot be read)."""
    try:
        return Catalogue.from_json(record.catalogue_text or "{}")
    except ValueError:
        return Catalogue()


def spec_of(record: VersionRecord) -> dict[str, Any]:
    """The parsed spec a plugin version holds (an empty one when it cannot be read)."""
    doc = load_document(record.spec_text or "{}", "spec")
    return doc.data if isinstance(doc.data, dict) else {}


def diff_versions(old: VersionRecord, new: VersionRecord) -> list[Change]:
    """Changes from recorded version `old` to `new`; UsageError when their kinds differ."""
    if old.kind != new.kind:
        raise UsageError(
            f"version {old.number} is {_KIND_NAME.get(old.kind, old.kind)} and version"
            f" {new.number} {_KIND_NAME.get(new.kind, new.kind)}: compare two versions of one kind"
        )
    if old.kind == CATALOGUE:
        return diff_catalogues(catalogue_of(old), catalogue_of(new))
    return diff_specs(spec_of(old), spec_of(new))


def tools_result(data: Any) -> Catalogue | None:
    """The catalogue of a saved tools/list result (the result, or the JSON-RPC response holding
    it); None when `data` is not one."""
    if isinstance(data, dict) and isinstance(data.get("result"), dict):
        data = data["result"]
    if not isinstance(data, dict) or not isinstance(data.get("tools"), list):
        return None
    return Catalogue().with_list("tools/list", None, data)


def _is_spec(data: Any) -> bool:
    return isinstance(data, dict) and isinstance(data.get("paths"), dict)


def _load(path: Path) -> dict[str, Any] | Catalogue:
    """A saved spec (its data) or tools/list result (its catalogue); UsageError otherwise."""
    if not path.is_file():
        raise UsageError(f"no such file: {path}")
    doc = read_document(path)
    if doc.error is not None:
        raise UsageError(f"{path}: {doc.error.message}")
    if _is_spec(doc.data):
        spec: dict[str, Any] = doc.data
        return spec
    catalogue = tools_result(doc.data)
    if catalogue is None:
        raise UsageError(
            f"{path}: neither an OpenAPI document (no paths) nor a tools/list result (no tools"
            " array)"
        )
    return catalogue


def diff_files(old: Path, new: Path) -> list[Change]:
    """Changes from the saved file `old` to `new`: two specs, or two tools/list results."""
    before, after = _load(old), _load(new)
    if isinstance(before, Catalogue) and isinstance(after, Catalogue):
        return diff_catalogues(before, after)
    if isinstance(before, dict) and isinstance(after, dict):
        return diff_specs(before, after)
    kinds = [
        "a tools/list result" if isinstance(x, Catalogue) else "an OpenAPI document"
        for x in (before, after)
    ]
    raise UsageError(f"{old} is {kinds[0]} and {new} {kinds[1]}: compare two files of one kind")
