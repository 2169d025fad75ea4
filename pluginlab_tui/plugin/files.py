"""The plugin's two files as read from disk, parsed, and rewritten for hosting."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from pluginlab_tui.errors import UsageError
from pluginlab_tui.plugin.size import (
    DEFAULT_MAX_SPEC_BYTES,
    DocumentTooLarge,
    check_file,
    check_node,
    check_text,
)

DEFAULT_SPEC_ROUTE = "/openapi.yaml"


class PluginFileError(Exception):
    """A manifest or spec that cannot be read or parsed; the message names the file."""


def digest(text: str | None) -> str | None:
    return None if text is None else hashlib.sha256(text.encode("utf-8")).hexdigest()


_SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _safe_load(text: str, limit: int) -> Any:
    """yaml.safe_load, refusing a document whose aliases expand past the limit first."""
    loader = _SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        check_node(node, limit)
        return loader.construct_document(node)
    finally:
        loader.dispose()


def parse_spec_text(text: str, name: str, limit: int = DEFAULT_MAX_SPEC_BYTES) -> dict[str, Any]:
    try:
        check_text(text, limit)
        if text.lstrip().startswith("{"):
            data = json.loads(text)
        else:
            data = _safe_load(text, limit)
    except DocumentTooLarge as exc:
        raise PluginFileError(f"{name}: {exc}") from None
    except (ValueError, yaml.YAMLError, RecursionError) as exc:
        raise PluginFileError(f"{name}: not valid YAML or JSON: {_first_line(exc)}") from None
    if not isinstance(data, dict):
        raise PluginFileError(f"{name}: an OpenAPI document must be a mapping")
    if not isinstance(data.get("paths"), dict):
        raise PluginFileError(f"{name}: no paths")
    return data


def parse_manifest_text(
    text: str, name: str, limit: int = DEFAULT_MAX_SPEC_BYTES
) -> dict[str, Any]:
    try:
        check_text(text, limit)
        data = json.loads(text)
    except DocumentTooLarge as exc:
        raise PluginFileError(f"{name}: {exc}") from None
    except (ValueError, RecursionError) as exc:
        raise PluginFileError(f"{name}: not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise PluginFileError(f"{name}: a manifest must be a JSON object")
    return data


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def _read(path: Path, limit: int) -> str:
    try:
        check_file(path, limit)
        return path.read_text(encoding="utf-8")
    except DocumentTooLarge as exc:
        raise PluginFileError(f"{path}: {exc}") from None
    except FileNotFoundError:
        raise PluginFileError(f"{path}: file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise PluginFileError(f"{path}: cannot read: {exc}") from None


@dataclass(frozen=True)
class PluginFiles:
    """One consistent pair of files: the manifest (absent in the actions profile) and the spec."""

    manifest_text: str | None
    spec_text: str
    manifest: dict[str, Any] | None
    spec: dict[str, Any]
    manifest_name: str = "ai-plugin.json"
    spec_name: str = "openapi.yaml"

    @classmethod
    def from_texts(
        cls,
        manifest_text: str | None,
        spec_text: str,
        manifest_name: str = "ai-plugin.json",
        spec_name: str = "openapi.yaml",
        max_bytes: int = DEFAULT_MAX_SPEC_BYTES,
    ) -> PluginFiles:
        """Parse both texts; each is refused past `max_bytes` (plugin.max_spec_bytes)."""
        manifest = (
            None
            if manifest_text is None
            else parse_manifest_text(manifest_text, manifest_name, max_bytes)
        )
        return cls(
            manifest_text,
            spec_text,
            manifest,
            parse_spec_text(spec_text, spec_name, max_bytes),
            manifest_name,
            spec_name,
        )

    @classmethod
    def read(
        cls, manifest: Path | None, spec: Path, max_bytes: int = DEFAULT_MAX_SPEC_BYTES
    ) -> PluginFiles:
        """Read both files; raises PluginFileError naming the file at fault."""
        manifest_text = None if manifest is None else _read(manifest, max_bytes)
        return cls.from_texts(
            manifest_text,
            _read(spec, max_bytes),
            str(manifest) if manifest else "ai-plugin.json",
            str(spec),
            max_bytes,
        )

    @property
    def manifest_hash(self) -> str | None:
        return digest(self.manifest_text)

    @property
    def spec_hash(self) -> str:
        return digest(self.spec_text) or ""

    @property
    def spec_route(self) -> str:
        """The path the spec is served at: the path of the manifest's api.url."""
        api = (self.manifest or {}).get("api")
        url = api.get("url") if isinstance(api, dict) else None
        if isinstance(url, str) and url:
            path = urlsplit(url).path if "://" in url else url
            if path.startswith("/") and "$" not in path and "<" not in path:
                return path
        return DEFAULT_SPEC_ROUTE

    def operation(self, operation_id: str | None) -> dict[str, Any] | None:
        """The spec's operation object with this operationId."""
        if operation_id is None:
            return None
        for item in self.spec.get("paths", {}).values():
            for operation in (item or {}).values() if isinstance(item, dict) else ():
                if isinstance(operation, dict) and operation.get("operationId") == operation_id:
                    return operation
        return None

    @property
    def base_path(self) -> str:
        """The path part of the spec's first server URL ('' for none), e.g. '/v1'."""
        servers = self.spec.get("servers")
        if isinstance(servers, list) and servers and isinstance(servers[0], dict):
            url = str(servers[0].get("url") or "")
            path = urlsplit(url).path if "://" in url else url
            if "{" not in path:
                return path.rstrip("/")
        return ""


def load_plugin_files(
    manifest: Path | None, spec: Path, max_bytes: int = DEFAULT_MAX_SPEC_BYTES
) -> PluginFiles:
    """Read the files at start: a problem is a UsageError (exit 2)."""
    try:
        return PluginFiles.read(manifest, spec, max_bytes)
    except PluginFileError as exc:
        raise UsageError(str(exc)) from None
