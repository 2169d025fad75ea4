"""The Textual app: one store, the main screen, help, the palette, the user's keymap and theme."""

from __future__ import annotations

import os
import shlex
import subprocess
import tempfile
from collections.abc import Iterable
from functools import partial
from pathlib import Path

from textual import on
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen

from pluginlab_tui.config import Config
from pluginlab_tui.tui.data import StoreData
from pluginlab_tui.tui.screens.help import HelpScreen
from pluginlab_tui.tui.screens.main import MainScreen
from pluginlab_tui.tui.user_config import UserConfig
from pluginlab_tui.tui.widgets.body_view import BodyView

#: (title, help, action) of the main screen's actions, for the command palette.
PALETTE: tuple[tuple[str, str, str], ...] = (
    ("Filter: edit", "Write a filter expression (f)", "focus_filter"),
    (
        "Filter: switch on/off",
        "Keep the filter but show everything, or apply it again (t)",
        "toggle_filter",
    ),
    (
        "Filter: highlight mode",
        "Mark the matches instead of hiding the rest (H)",
        "toggle_highlight",
    ),
    ("Follow: on/off", "Keep the newest exchange selected as they arrive (F)", "toggle_follow"),
    (
        "Exchange: mark / unmark",
        "Mark the selected exchange; filter with `marked` (m)",
        "toggle_mark",
    ),
    ("Exchange: comment", "Write a comment on the selected exchange (c)", "comment"),
    ("Detail: request", "Show the request tab (1)", "show_tab('request')"),
    ("Detail: response", "Show the response tab (2)", "show_tab('response')"),
    (
        "Detail: validation",
        "Show the violations and the schema they broke (3)",
        "show_tab('validation')",
    ),
    ("Detail: auth", "Show the auth decision (4)", "show_tab('auth')"),
    ("Detail: timing", "Show timing, sizes and ids (5)", "show_tab('timing')"),
    ("Exchange: replay", "Send the selected exchange again through the proxy (r)", "replay"),
    (
        "Exchange: edit and replay",
        "Edit the selected request in $EDITOR, send it through the proxy, see the diff (E)",
        "edit_replay",
    ),
    ("Exchange: copy as curl", "Copy the selected request as a curl command (y)", "copy_curl"),
    (
        "Exchange: export HAR",
        "The marked exchanges, or the selected one, to a HAR file (x)",
        "export_har",
    ),
    ("Plugin panel", "Manifest, spec, lint findings and versions with diffs (p)", "plugin"),
    (
        "Stats per operation",
        "Count, error and violation rates, p50/p95 over the filter (s)",
        "stats",
    ),
    ("List: newest", "Go to the newest exchange and follow (G)", "focus_list"),
)


class PluginLabApp(App[int]):
    """`pluginlab-tui` on one event store."""

    TITLE = "pluginlab-tui"
    CSS_PATH = "app.tcss"
    BINDINGS = [
        Binding("f1,question_mark", "help", "Help", id="app.help", tooltip="Keys and filters"),
        Binding("q", "quit", "Quit", id="app.quit"),
    ]

    def __init__(
        self,
        db: Path,
        *,
        user: UserConfig | None = None,
        note: str = "",
        poll_interval: float = 0.25,
        cursor_blink: bool = True,
        config: Config | None = None,
    ) -> None:
        super().__init__()
        #: The proxy's config, when there is one (replay goes through that proxy).
        self.config = config
        self.data = StoreData(db)
        self.user = user or UserConfig()
        self.note = note
        self.poll_interval = poll_interval
        self.cursor_blink = cursor_blink
        if self.user.keymap:
            self.set_keymap(self.user.keymap)

    def on_mount(self) -> None:
        if self.user.theme:
            if self.user.theme in self.available_themes:
                self.theme = self.user.theme
            else:
                self.notify(f"unknown theme {self.user.theme!r} in config.toml", severity="warning")
        self.push_screen(MainScreen(self.data, read_only_note=self.note))

    def on_unmount(self) -> None:
        self.data.close()

    def action_help(self) -> None:
        if isinstance(self.screen, HelpScreen):
            self.screen.dismiss(None)
            return
        self.push_screen(HelpScreen(self.screen))

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield SystemCommand(
            "Help", "Keys where you are, and the filter language (F1)", self.action_help
        )
        main = next((s for s in self.screen_stack if isinstance(s, MainScreen)), None)
        if main is None:
            return
        for title, help_text, action in PALETTE:
            yield SystemCommand(title, help_text, partial(self._run_on_main, action))
        for side in ("request", "response"):
            yield SystemCommand(
                f"Open the {side} body in $PAGER",
                f"The whole {side} body in your pager",
                partial(self._external_body, side, False),
            )
            yield SystemCommand(
                f"Open the {side} body in $EDITOR",
                f"The whole {side} body in your editor",
                partial(self._external_body, side, True),
            )

    async def _run_on_main(self, action: str) -> None:
        main = next((s for s in self.screen_stack if isinstance(s, MainScreen)), None)
        if main is None:
            return
        while self.screen is not main:
            self.pop_screen()
        await main.run_action(action)

    def _external_body(self, side: str, editor: bool) -> None:
        main = next((s for s in self.screen_stack if isinstance(s, MainScreen)), None)
        view = None if main is None else main.detail.body_view(side)
        if view is None:
            self.notify(f"open the {side} tab first", severity="warning")
            return
        view.action_open_editor() if editor else view.action_open_pager()

    @on(BodyView.OpenExternally)
    def _open_externally(self, message: BodyView.OpenExternally) -> None:
        self.open_externally(message.text, message.suffix, editor=message.editor)

    def open_externally(self, text: str, suffix: str, *, editor: bool) -> None:
        """Show text in $PAGER (less) or $EDITOR (vi) while the app is suspended."""
        variable = "EDITOR" if editor else "PAGER"
        command = shlex.split(os.environ.get(variable) or ("vi" if editor else "less -R"))
        with tempfile.NamedTemporaryFile(
            "w", suffix=suffix, prefix="pluginlab-", delete=False, encoding="utf-8"
        ) as handle:
            handle.write(text)
            name = handle.name
        try:
            with self.suspend():
                subprocess.run([*command, name], check=False)
        except Exception as exc:  # SuspendNotSupported (headless, web), a missing program
            self.notify(f"cannot open ${variable}: {exc or type(exc).__name__}", severity="error")
        finally:
            Path(name).unlink(missing_ok=True)
        self.refresh()
