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
from pluginlab_tui.tui.screens.main import MainScreen, Settings
from pluginlab_tui.tui.user_config import UserConfig
from pluginlab_tui.tui.widgets.body_view import BodyView


def palette_bindings() -> list[Binding]:
    """The main screen's bindings, as the command palette offers them (each one once)."""
    return [b for b in MainScreen.BINDINGS if isinstance(b, Binding) and b.id is not None]


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
        self.settings = Settings(
            config=config, note=note, poll_interval=poll_interval, cursor_blink=cursor_blink
        )
        self.data = StoreData(db)
        self.user = user or UserConfig()
        if self.user.keymap:
            self.set_keymap(self.user.keymap)

    def on_mount(self) -> None:
        if self.user.theme:
            if self.user.theme in self.available_themes:
                self.theme = self.user.theme
            else:
                self.notify(f"unknown theme {self.user.theme!r} in config.toml", severity="warning")
        self.push_screen(MainScreen(self.data, self.settings))

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
        for binding in palette_bindings():
            yield SystemCommand(
                binding.description,
                f"{binding.tooltip or binding.description} ({self._keys_of(binding)})",
                partial(self._run_on_main, binding.action),
            )
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

    def _keys_of(self, binding: Binding) -> str:
        """The keys of a binding as shown in the footer, the user's keymap applied."""
        keys = self.user.keymap.get(binding.id or "", binding.key)
        return " ".join(
            self.get_key_display(Binding(key.strip(), binding.action)) for key in keys.split(",")
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
        """Show text in $PAGER (less) or $EDITOR (vi) while the app is suspended; in a browser
        (nothing to suspend) in the app's own viewer."""
        variable = "EDITOR" if editor else "PAGER"
        if self.is_web:
            from pluginlab_tui.tui.screens.text_view import TextScreen

            title = "the whole body (in the browser, in place of $PAGER or $EDITOR); escape closes"
            self.push_screen(TextScreen(text, title))
            return
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
