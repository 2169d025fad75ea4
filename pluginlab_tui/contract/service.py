"""The plugin in service: the current version's files, as served, with their compiled checks."""

from __future__ import annotations

import logging
import sqlite3
import threading
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from pluginlab_tui.access.redaction import Redactor
from pluginlab_tui.config import Config
from pluginlab_tui.contract.factory import Limits, compile_validator
from pluginlab_tui.errors import UsageError
from pluginlab_tui.plugin import hosting
from pluginlab_tui.plugin.files import PluginFileError, PluginFiles, load_plugin_files
from pluginlab_tui.store import queries, versions
from pluginlab_tui.store.event import iso_now
from pluginlab_tui.validation.validator import ContractValidator

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Served:
    """One version, ready to serve: hosted files as bytes and the compiled validator."""

    number: int
    files: PluginFiles
    validator: ContractValidator
    manifest_json: bytes | None
    spec_yaml: bytes
    spec_json: bytes
    spec_route: str
    base_path: str


def serve(
    config: Config,
    files: PluginFiles,
    number: int,
    manifest_auth: dict[str, Any] | None = None,
) -> Served:
    """Version `number` of the plugin, ready to serve: hosted files and the config's checks."""
    public = config.proxy.public_url
    manifest = hosting.hosted_manifest(
        files, public, local_logo=config.plugin.logo is not None, auth=manifest_auth
    )
    spec = hosting.hosted_spec(files, public)
    return Served(
        number=number,
        files=files,
        validator=compile_validator(files.spec, Limits.of(config)),
        manifest_json=None if manifest is None else hosting.as_json(manifest),
        spec_yaml=hosting.as_yaml(spec),
        spec_json=hosting.as_json(spec),
        spec_route=files.spec_route,
        base_path=files.base_path,
    )


def lint_files(files: PluginFiles, config: Config) -> tuple[dict[str, int], list[dict[str, Any]]]:
    """The lint summary and findings of a pair of files (empty when the linter is absent)."""
    try:
        from pluginlab_tui.plugin.lint import lint_texts, summarize
    except ImportError:  # pragma: no cover - the linter ships with the package
        return {}, []
    findings = lint_texts(
        files.manifest_text,
        files.spec_text,
        manifest_name=files.manifest_name,
        spec_name=files.spec_name,
        profile=config.plugin.profile,
        public_url=config.proxy.public_url,
        limits=config.plugin.limits,
        max_bytes=config.plugin.max_spec_bytes,
    )
    return summarize(findings), [f.to_dict() for f in findings]


class PluginService:
    """Loads the files, numbers their versions in the store, and swaps them on reload.

    In MCP mode without a `[plugin]` table there are no files (config.has_plugin_files): then
    nothing is loaded, watched or numbered, and `current` is None.
    """

    def __init__(
        self,
        config: Config,
        conn: sqlite3.Connection,
        manifest_auth: dict[str, Any] | None = None,
        redactor: Redactor | None = None,
    ) -> None:
        self.config = config
        #: Notices pass through it: a reload error may quote what a file or the config holds.
        self.redactor = redactor or Redactor.from_config(config)
        self.conn = conn
        self.manifest_auth = manifest_auth
        self._current: Served | None = None
        self._started = False
        self._reloading = threading.Lock()

    @property
    def current(self) -> Served | None:
        """The version in service; None when the proxy serves no plugin files."""
        assert self._started, "start() first"
        return self._current

    def watched_files(self) -> list[Path]:
        """The files whose edits make a new version."""
        if not self.config.has_plugin_files:
            return []
        manifest = self._manifest_path()
        return [self.config.spec_path] + ([manifest] if manifest is not None else [])

    def _manifest_path(self) -> Path | None:
        path = self.config.manifest_path
        if self.config.plugin.profile == "actions" and not path.exists():
            return None
        return path

    def start(self) -> Served | None:
        """Load the files at start (none without plugin files); a problem is a UsageError."""
        self._started = True
        if not self.config.has_plugin_files:
            return None
        files = load_plugin_files(
            self._manifest_path(), self.config.spec_path, self.config.plugin.max_spec_bytes
        )
        self._current = self._serve(files)
        pin = self.config.plugin.pin
        if pin is not None and pin != self._current.number:
            self._current = self._pinned(pin)
        return self._current

    def reload(self) -> Served | None:
        """Read the files again; returns the new version, or None when nothing changed.

        A broken edit keeps the last good version in service and leaves a notice saying why.
        """
        with self._reloading:
            return None if self._current is None else self._reload(self._current)

    def _reload(self, current: Served) -> Served | None:
        try:
            files = PluginFiles.read(
                self._manifest_path(), self.config.spec_path, self.config.plugin.max_spec_bytes
            )
        except PluginFileError as exc:
            self._notice("reload_failed", f"{exc}; version {current.number} stays in service")
            return None
        if (files.manifest_hash, files.spec_hash) == (
            current.files.manifest_hash,
            current.files.spec_hash,
        ):
            return None
        try:
            served = self._serve(files)
        except ValueError as exc:
            self._notice("reload_failed", f"{exc}; version {current.number} stays in service")
            return None
        if self.config.plugin.pin is not None:
            self._notice("reloaded", f"version {served.number} recorded; pinned version stays")
            return None
        self._current = served
        self._notice("reloaded", f"version {served.number} in service")
        return served

    def _notice(self, kind: str, message: str) -> None:
        message = self.redactor.message(message)
        log.info("%s: %s", kind, message)
        queries.add_notice(self.conn, iso_now(), kind, message)

    def _serve(self, files: PluginFiles) -> Served:
        """Compile (a spec that cannot be checked is refused first), lint and number the pair."""
        served = serve(self.config, files, 0, self.manifest_auth)
        summary, findings = lint_files(files, self.config)
        number = versions.register(
            self.conn,
            manifest_hash=files.manifest_hash,
            spec_hash=files.spec_hash,
            manifest_text=files.manifest_text,
            spec_text=files.spec_text,
            lint_summary=summary,
            lint_findings=findings,
        )
        return replace(served, number=number)

    def _pinned(self, number: int) -> Served:
        record = versions.get(self.conn, number)
        if record is None:
            raise UsageError(f"plugin.pin: there is no version {number} in the store")
        if record.spec_text is None:
            raise UsageError(f"plugin.pin: version {number} is the MCP server's catalogue")
        try:
            files = PluginFiles.from_texts(
                record.manifest_text,
                record.spec_text,
                max_bytes=self.config.plugin.max_spec_bytes,
            )
        except PluginFileError as exc:
            raise UsageError(f"plugin.pin: version {number} cannot be served: {exc}") from None
        return serve(self.config, files, number, self.manifest_auth)
