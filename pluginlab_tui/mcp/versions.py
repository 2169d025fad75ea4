"""The catalogue's versions in the store, and the notices when it changes under a session.

Used from the writer thread (its connection): a catalogue whose fingerprint is new is registered
(store/versions.register_catalogue, with check_catalogue's findings as its lint); what each
session listed (each list, each widget read) is remembered, and when a new version changes a
part a session listed, a notice (kind "catalogue") says so: ChatGPT keeps what it listed until
the connector is refreshed. Bounded: the sessions remembered, the fingerprints, the notices told.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections import OrderedDict

from pluginlab_tui.mcp.catalogue import LISTS, Catalogue
from pluginlab_tui.mcp.checks import check_catalogue
from pluginlab_tui.store import queries
from pluginlab_tui.store.event import iso_now
from pluginlab_tui.store.versions import register_catalogue

#: Sessions (and fingerprints, and notices told) remembered, at most.
MAX_REMEMBERED = 1000
#: What a list method's part of the catalogue is called in a notice.
_NAMES = {
    "tools/list": "tools",
    "resources/list": "resources",
    "resources/templates/list": "resource templates",
    "prompts/list": "prompts",
}


def part_hash(catalogue: Catalogue, part: str) -> str | None:
    """A hash of one part a client sees: a list (by its method) or a widget (`widget:URI`)."""
    if part.startswith("widget:"):
        widget = catalogue.widgets.get(part.removeprefix("widget:"))
        return None if widget is None else widget.sha256
    if part not in catalogue.lists:
        return None
    key, _ = LISTS[part]
    text = json.dumps(catalogue.to_data().get(key), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _what(part: str) -> str:
    if part.startswith("widget:"):
        return f"the widget {part.removeprefix('widget:')}"
    return _NAMES.get(part, part)


class CatalogueVersions:
    """Numbers catalogues and tells when one changes what a session listed."""

    def __init__(self, max_remembered: int = MAX_REMEMBERED) -> None:
        self.max = max_remembered
        self._numbers: OrderedDict[str, int] = OrderedDict()
        #: session -> part -> (its hash, the version it was listed at)
        self._listed: OrderedDict[str | None, dict[str, tuple[str, int]]] = OrderedDict()
        self._told: OrderedDict[str, None] = OrderedDict()

    def number(self, conn: sqlite3.Connection, catalogue: Catalogue) -> int:
        """The catalogue's version number (registered when its fingerprint is new)."""
        fingerprint = catalogue.fingerprint
        known = self._numbers.get(fingerprint)
        if known is not None:
            return known
        findings = [v.to_dict() for v in check_catalogue(catalogue)]
        number, new = register_catalogue(
            conn,
            catalogue_hash=fingerprint,
            catalogue_text=catalogue.to_json(),
            lint_summary={"error": len(findings), "warning": 0, "info": 0},
            lint_findings=findings,
        )
        self._numbers[fingerprint] = number
        while len(self._numbers) > self.max:
            self._numbers.popitem(last=False)
        if new:
            self._changed(conn, catalogue, number)
        return number

    def listed(self, session_id: str | None, part: str, catalogue: Catalogue, number: int) -> None:
        """A session was sent this part of the catalogue (a list result, a widget read)."""
        digest = part_hash(catalogue, part)
        if digest is None:
            return
        self._listed.setdefault(session_id, {})[part] = (digest, number)
        self._listed.move_to_end(session_id)
        while len(self._listed) > self.max:
            self._listed.popitem(last=False)

    def _changed(self, conn: sqlite3.Connection, catalogue: Catalogue, number: int) -> None:
        for session_id, parts in self._listed.items():
            for part, (digest, listed_at) in parts.items():
                now = part_hash(catalogue, part)
                if now is None or now == digest:
                    continue
                who = "a client without a session" if session_id is None else session_id
                message = (
                    f"session {who} listed {_what(part)} at version {listed_at}; the server now"
                    f" answers version {number}: ChatGPT keeps what it listed until the"
                    " connector is refreshed"
                )
                # once per session, part and what it became
                self.tell(conn, "catalogue", message, key=f"{who}\0{part}\0{now}")

    def tell(
        self, conn: sqlite3.Connection, kind: str, message: str, key: str | None = None
    ) -> None:
        """A notice, once per key (the message by default; bounded)."""
        key = message if key is None else key
        if key in self._told:
            return
        self._told[key] = None
        while len(self._told) > self.max:
            self._told.popitem(last=False)
        queries.add_notice(conn, iso_now(), kind, message)
