"""What the main screen shows, without a widget: the listed rows, the filter, follow mode.

MainScreen keeps the actions and runs the workers; EventList draws `rows` and FilterBar the
filter's mode, both read from this one object. A change of filter reloads the rows (a new
generation); the count and the jump sample come after, as the jobs of `next_job`, run by a
worker on a connection of its own and handed back to `take`.
"""

from __future__ import annotations

import sqlite3

from pluginlab_tui.store.filter import EVERYTHING, Filter
from pluginlab_tui.store.paging import holds_protocol
from pluginlab_tui.tui.paging import Job, PagedRows, Result


class ViewModel:
    """The list of exchanges on one connection, the filter it applies, and follow mode."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.rows = PagedRows(conn)
        #: The filter last applied (its text '' when there is none).
        self.filter: Filter = EVERYTHING
        #: Off: the filter is kept but everything is listed.
        self.filter_on = True
        #: On: every exchange is listed, the filter's matches highlighted.
        self.highlight = False
        #: Keep the newest exchange selected as they arrive.
        self.follow = True
        #: Exchanges that arrived while not following.
        self.pending = 0
        #: The store holds MCP messages (their JSON-RPC methods need a wider column); once on,
        #: it stays on.
        self.mcp = holds_protocol(conn, "mcp")

    # --- the filter -----------------------------------------------------------------------------

    @property
    def has_filter(self) -> bool:
        return bool(self.filter.text)

    @property
    def filtering(self) -> bool:
        """Whether the filter hides the exchanges it does not match."""
        return self.has_filter and self.filter_on and not self.highlight

    @property
    def listed(self) -> Filter:
        """The filter that decides which exchanges are listed."""
        return self.filter if self.filtering else EVERYTHING

    @property
    def highlighted(self) -> Filter | None:
        """The filter whose matches are highlighted, in highlight mode."""
        return self.filter if self.has_filter and self.filter_on and self.highlight else None

    @property
    def mode(self) -> str:
        """'' (no filter), 'off', 'highlight' or 'on'."""
        if not self.has_filter:
            return ""
        if not self.filter_on:
            return "off"
        return "highlight" if self.highlight else "on"

    @property
    def lists_marks(self) -> bool:
        """Whether a mark can change which exchanges are listed."""
        return "marked" in self.filter.text.lower()

    def apply(self, new: Filter) -> None:
        """Use this filter (switched on); the rows start again."""
        self.filter = new
        self.filter_on = True
        self.requery()

    def toggle_filter(self) -> bool:
        """Switch the filter off or on again; False when there is no filter to switch."""
        if not self.has_filter:
            return False
        self.filter_on = not self.filter_on
        self.requery()
        return True

    def toggle_highlight(self) -> bool:
        """Highlight the matches instead of hiding the rest, or back; whether the rows changed."""
        self.highlight = not self.highlight
        if not self.has_filter:
            return False
        self.requery()
        return True

    def requery(self) -> None:
        """List again with the filter as it now stands: the newest page, the count to follow."""
        self.rows.requery(self.listed, self.highlighted)
        self.pending = 0

    # --- live and follow ------------------------------------------------------------------------

    def poll(self) -> int:
        """Take in new exchanges; how many match (-1: the oldest were pruned, all counted again)."""
        new = self.rows.poll()
        if new and not self.mcp:
            self.mcp = holds_protocol(self.rows.conn, "mcp")
        if new < 0:
            self.pending = 0
        elif new and not self.follow:
            self.pending += new
        return new

    def moved(self, index: int) -> None:
        """The cursor is on row `index`: off the newest row, following stops; on it, nothing is
        pending any more."""
        at_end = index == self.rows.total - 1
        if self.follow and not at_end:
            self.follow = False
        if at_end:
            self.pending = 0

    # --- the workers: the count, then the jump sample -------------------------------------------

    def next_job(self) -> Job | None:
        """What a worker should compute next for the rows listed now; None: nothing."""
        return self.rows.next_job()

    def take(self, result: Result) -> int | None:
        """A worker's result; for a fresh count, how far the row indexes moved (else None)."""
        return self.rows.take(result)
