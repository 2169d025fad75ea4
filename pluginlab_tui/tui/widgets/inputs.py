"""Text fields whose keys act in the order they were typed.

Textual runs a widget's binding (home, ctrl+k, backspace, the arrows, enter) only once its key
has bubbled up to the app, while a letter goes into the field at once: keys that come in one
burst (over a slow link to the web view, or typed fast on a busy machine) then act out of order,
the letter behind a binding going in first (Textual #6605). These fields run their own
bindings as their keys come, in turn with the letters.
"""

from __future__ import annotations

from textual import events
from textual.widget import Widget
from textual.widgets import Input


class InOrderInput(Input):
    async def _on_key(self, event: events.Key) -> None:
        for binding in self._bindings.key_to_bindings.get(event.key, ()):
            if not binding.priority and await self.app.run_action(binding.action, self):
                event.stop()
                event.prevent_default()
                return
        await super()._on_key(event)


def focus_now(widget: Widget) -> None:
    """Give the widget the focus before the next key is handed out. `Widget.focus()` moves it
    through the message queue, so keys already queued behind the one that asked (in one burst)
    would still go where the focus was: `f` and a filter typed behind it would run the list's
    keys (x export, m mark, r replay) instead of filling the filter."""
    widget.screen.set_focus(widget)
