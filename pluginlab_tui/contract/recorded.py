"""The contract of a recorded version: what an exchange met, rebuilt from the store, cached."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from pluginlab_tui.config import Config
from pluginlab_tui.contract.factory import Limits, compile_validator
from pluginlab_tui.plugin.files import PluginFileError, PluginFiles
from pluginlab_tui.store import versions
from pluginlab_tui.validation.validator import ContractValidator


class Contracts:
    """Validators by version number, each built once with the config's limits.

    A version comes from the store (`versions.get`); without a store, or for a version the store
    does not hold, the files in service on disk stand in.
    """

    def __init__(self, config: Config, conn: sqlite3.Connection | None = None) -> None:
        self.config = config
        self.conn = conn
        self._limits = Limits.of(config)
        self._built: dict[int | None, ContractValidator | None] = {}

    def of(self, version: int | None) -> ContractValidator | None:
        """The validator of recorded `version`, else of the files in service; None if neither."""
        found = self.recorded(version)
        return found if found is not None else self.in_service()

    def recorded(self, version: int | None) -> ContractValidator | None:
        """The validator of the version the store recorded as `version`, or None."""
        if version is None or self.conn is None:
            return None
        if version not in self._built:
            record = versions.get(self.conn, version)
            spec = None if record is None else record.spec_text  # a catalogue version has none
            self._built[version] = (
                None
                if record is None or spec is None
                else self._compile(
                    lambda: PluginFiles.from_texts(
                        record.manifest_text,
                        spec,
                        max_bytes=self.config.plugin.max_spec_bytes,
                    )
                )
            )
        return self._built[version]

    def in_service(self) -> ContractValidator | None:
        """The validator of the config's files on disk, or None when they cannot be read."""
        if None not in self._built:
            config = self.config
            manifest = config.manifest_path if config.manifest_path.exists() else None
            self._built[None] = self._compile(
                lambda: PluginFiles.read(manifest, config.spec_path, config.plugin.max_spec_bytes)
            )
        return self._built[None]

    def _compile(self, load: Callable[[], PluginFiles]) -> ContractValidator | None:
        try:
            return compile_validator(load().spec, self._limits)
        except (PluginFileError, ValueError):
            return None
