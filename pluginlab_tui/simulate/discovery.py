"""Finding the plugin: the local proxy's store, then the manifest and the spec it names.

Where the store is, a local proxy's health route tells a loopback caller; the one probe that
asks it comes before the grant secret is known and is recorded as source=live.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import yaml

from pluginlab_tui.access.grant import is_loopback
from pluginlab_tui.simulate.client import Client, SimulationError
from pluginlab_tui.simulate.verdicts import spec_contract
from pluginlab_tui.validation.validator import ContractValidator
from pluginlab_tui.wire import HEALTH_ROUTE, MANIFEST_ROUTE

#: How long the health probe may take (it is answered by the proxy itself).
HEALTH_TIMEOUT_S = 5.0


@dataclass(frozen=True)
class Files:
    """The plugin's files as served, and the contract of the spec."""

    manifest: dict[str, Any] | None
    spec: dict[str, Any]
    validator: ContractValidator


def proxy_store(client: Client) -> tuple[Path | None, str | None]:
    """The store of the local proxy at the base URL, from its health route; else None and
    why (None when the proxy cannot be reached: the run itself will say so).

    Only a loopback base URL is asked: the proxy tells only loopback callers, and a grant
    is only worth signing for a proxy on this machine.
    """
    base_url = client.base_url
    host = urlsplit(base_url).hostname or ""
    if host.lower().rstrip(".") != "localhost" and not is_loopback(host):
        return None, f"{base_url} is not a local proxy"
    url = base_url + HEALTH_ROUTE
    try:
        answer = client.http.get(url, timeout=HEALTH_TIMEOUT_S)
    except httpx.HTTPError:
        return None, None
    try:
        found = answer.json() if answer.status_code == 200 else None
    except ValueError:
        found = None
    store = found.get("store") if isinstance(found, dict) else None
    if not isinstance(store, str) or not Path(store).is_absolute():
        return None, f"{url} names no event store (not a pluginlab-tui proxy?)"
    return Path(store), None


def fetch_manifest(client: Client) -> dict[str, Any]:
    """The manifest at /.well-known/ai-plugin.json (SimulationError when there is none)."""
    call, answer = client.send("manifest", "GET", client.base_url + MANIFEST_ROUTE)
    if answer is None or answer.status_code != 200:
        call.error = call.error or f"the manifest answered {call.status}"
        raise SimulationError(f"cannot fetch the manifest: {call.error}")
    try:
        manifest = answer.json()
    except ValueError:
        call.error = "the manifest is not JSON"
        raise SimulationError("the manifest is not JSON") from None
    if not isinstance(manifest, dict):
        call.error = "the manifest is not a JSON object"
        raise SimulationError(call.error)
    return manifest


def fetch_files(client: Client, profile: str) -> Files:
    """The manifest (plugin profile), then the spec it names (else /openapi.yaml)."""
    spec_url = client.base_url + "/openapi.yaml"
    manifest = None
    if profile == "plugin":
        manifest = fetch_manifest(client)
        api = manifest.get("api")
        if isinstance(api, dict) and isinstance(api.get("url"), str):
            spec_url = client.local(api["url"], manifest)
    call, answer = client.send("spec", "GET", spec_url)
    if answer is None or answer.status_code != 200:
        call.error = call.error or f"the spec answered {call.status}"
        raise SimulationError(f"cannot fetch the spec at {spec_url}: {call.error}")
    try:
        spec = yaml.safe_load(answer.text)
    except yaml.YAMLError as exc:
        call.error = f"the spec is not YAML or JSON: {exc}"
        raise SimulationError(call.error) from None
    if not isinstance(spec, dict):
        call.error = "the spec is not a mapping"
        raise SimulationError(call.error)
    try:
        validator = spec_contract(spec, profile)
    except ValueError as exc:
        call.error = str(exc)
        raise SimulationError(f"the spec cannot be used: {exc}") from None
    return Files(manifest, spec, validator)
