"""The files as served: api.url, logo_url and the spec's servers pointed at the proxy."""

from __future__ import annotations

import copy
import json
from typing import Any
from urllib.parse import urlsplit

import yaml

from pluginlab_tui.plugin.files import PluginFiles
from pluginlab_tui.wire import LOGO_ROUTE


def _is_local_or_relative(url: str) -> bool:
    if "://" not in url:
        return True
    host = urlsplit(url).hostname or ""
    return host in {"localhost", "127.0.0.1", "0.0.0.0", "::1"} or host.startswith("127.")


def hosted_manifest(
    files: PluginFiles,
    public_url: str,
    *,
    local_logo: bool = False,
    auth: dict[str, Any] | None = None,
) -> dict[str, Any] | None:
    """The manifest with api.url (and a local logo_url) rewritten to `public_url`."""
    if files.manifest is None:
        return None
    manifest = copy.deepcopy(files.manifest)
    api = manifest.get("api")
    if isinstance(api, dict):
        api["url"] = public_url + files.spec_route
    logo = manifest.get("logo_url")
    if local_logo or (isinstance(logo, str) and _is_local_or_relative(logo)):
        manifest["logo_url"] = public_url + LOGO_ROUTE if local_logo else _rebase(logo, public_url)
    if auth is not None:
        manifest["auth"] = auth
    return manifest


def _rebase(url: Any, public_url: str) -> Any:
    if not isinstance(url, str):
        return url
    path = urlsplit(url).path if "://" in url else url
    return public_url + (path if path.startswith("/") else "/" + path)


def hosted_spec(files: PluginFiles, public_url: str) -> dict[str, Any]:
    """The spec with its servers replaced by `public_url` plus the spec's base path."""
    spec = copy.deepcopy(files.spec)
    spec["servers"] = [{"url": public_url + files.base_path}]
    return spec


def as_json(data: Any) -> bytes:
    return json.dumps(data, indent=2, ensure_ascii=False).encode("utf-8")


def as_yaml(data: Any) -> bytes:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True).encode("utf-8")
