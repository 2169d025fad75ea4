"""Hot reload: a thread watches the manifest and spec and puts an edited version in service."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path

import watchfiles

log = logging.getLogger(__name__)


class FileWatcher:
    """Calls `on_change()` (in its own thread) after any of `files` changed on disk."""

    def __init__(self, files: list[Path], on_change: Callable[[], object]) -> None:
        self.files = {f.resolve() for f in files}
        self.on_change = on_change
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="pluginlab-watch", daemon=True)

    def start(self) -> None:
        """Start watching (nothing to do, and no thread, without files)."""
        if self.files:
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(5)

    def _watches(self, _change: watchfiles.Change, path: str) -> bool:
        return Path(path).resolve() in self.files

    def _run(self) -> None:
        # Folders, not files: editors often replace a file instead of writing it in place.
        folders = sorted({str(f.parent) for f in self.files if f.parent.is_dir()})
        try:
            for _changes in watchfiles.watch(
                *folders,
                watch_filter=self._watches,
                stop_event=self._stop,
                debounce=100,
                step=50,
                rust_timeout=500,
                yield_on_timeout=False,
                raise_interrupt=False,
            ):
                try:
                    self.on_change()
                except Exception:  # a reload must never stop the watcher
                    log.exception("reload failed")
        except Exception:
            log.exception("the file watcher stopped")
