"""`pluginlab-tui web` in a real browser: Debian's chromium, driven by Playwright, in front of a
real proxy (started by `web --config`) and the todo example backend.

One `web` and one browser serve the module; each test opens its own page (so its own TUI).
The screen is read from xterm.js's buffer: the page's terminal object is caught as the page
makes it (an init script), since the terminal draws on a canvas.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from pluginlab_tui.examples import Backend, free_port
from tests.harness import todo_sections, write_config

CHROMIUM = Path("/usr/bin/chromium")
#: Bounds of the waits (each a loop on what the page shows, never a sleep as an assertion).
START_S = 60.0
SHOW_S = 30.0

#: Catches the page's xterm.js Terminal as textual-serve's script stores it (`this.terminal =`).
CATCH_TERMINAL = """
Object.defineProperty(Object.prototype, "terminal", {
  configurable: true,
  set(value) {
    Object.defineProperty(this, "terminal", {value, writable: true, configurable: true});
    if (value && value.buffer) { window.__terminal = value; }
  },
});
"""
SCREEN_TEXT = """() => {
  const t = window.__terminal;
  if (!t) { return ""; }
  const buffer = t.buffer.active, lines = [];
  for (let y = 0; y < t.rows; y++) {
    const line = buffer.getLine(buffer.viewportY + y);
    lines.push(line ? line.translateToString(true) : "");
  }
  return lines.join("\\n");
}"""


@dataclass
class WebView:
    base: str
    token: str
    proxy: str
    process: subprocess.Popen[str]
    lines: list[str]
    reader: threading.Thread

    @property
    def url(self) -> str:
        return f"{self.base}/?token={self.token}"


def _read_lines(process: subprocess.Popen[str], into: list[str]) -> None:
    assert process.stdout is not None
    for line in process.stdout:
        into.append(line.rstrip("\n"))


def _start_web(folder: Path, backend: str) -> WebView:
    """`web --config` for the todo example, once it has printed its URL."""
    sections = todo_sections(folder, backend)
    config = write_config(folder, sections)
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "pluginlab_tui",
            "web",
            "--config",
            str(config),
            "--listen",
            f"127.0.0.1:{free_port()}",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "PAGER": "false", "EDITOR": "false"},
    )
    seen: list[str] = []
    reader = threading.Thread(target=_read_lines, args=(process, seen), daemon=True)
    reader.start()
    deadline = time.monotonic() + START_S
    url = ""
    while not url and time.monotonic() < deadline and process.poll() is None:
        url = next((x.removeprefix("open ") for x in seen if x.startswith("open http")), "")
        time.sleep(0.05)
    if not url:
        process.kill()
        process.wait()
        reader.join(5)
        raise RuntimeError(
            f"`web` did not print its URL (exit {process.returncode}):\n" + "\n".join(seen)
        )
    base, _, token = url.partition("/?token=")
    return WebView(base, token, "http://" + sections["proxy"]["listen"], process, seen, reader)


@pytest.fixture(scope="module")
def web_view(tmp_path_factory: pytest.TempPathFactory, todo_backend: Backend) -> Iterator[WebView]:
    for attempt in range(3):
        try:
            view = _start_web(tmp_path_factory.mktemp("web"), todo_backend.url)
            break
        except RuntimeError as exc:  # another test took a free port first: take others
            if "in use" not in str(exc) or attempt == 2:
                raise AssertionError(str(exc)) from None
    with httpx.Client(base_url=view.proxy, trust_env=False, timeout=30) as client:
        for title in ("alpha", "beta"):
            assert client.post("/todos/web", json={"title": f"{title} web"}).status_code == 201
        assert client.get("/todos/web").status_code == 200
    yield view
    view.process.send_signal(signal.SIGTERM)
    try:
        view.process.wait(30)
    except subprocess.TimeoutExpired:
        view.process.kill()
        view.process.wait()
    view.reader.join(5)
    # stopped as by Ctrl+C: the sessions and the proxy end, in one piece
    assert view.process.returncode == 0, "\n".join(view.lines)
    assert not any("Traceback" in line or "Exception ignored" in line for line in view.lines)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip(
            f"no Chromium at {CHROMIUM}: `apt-get install chromium` (scripts/bootstrap does it"
            " when run as root)"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def artifacts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the screenshots are kept (pytest's temporary folder, `web-artifacts*`)."""
    return tmp_path_factory.mktemp("web-artifacts")


@dataclass
class Terminal:
    page: Any

    def text(self) -> str:
        return str(self.page.evaluate(SCREEN_TEXT))

    def wait_for_keys(self) -> None:
        """Until the app takes keys (the first ones after the page opens can be lost): F1
        until the help shows, F1 again to close it."""
        for _ in range(int(SHOW_S)):
            self.press("F1")
            try:
                self.wait_for(lambda text: "Keys here" in text, "the help", seconds=1.0)
            except AssertionError:
                continue
            self.press("F1")
            self.wait_for(lambda text: "Keys here" not in text, "the help closed")
            return
        raise AssertionError("the page never took a key")

    def wait_for(self, check: Callable[[str], bool], what: str, seconds: float = SHOW_S) -> str:
        deadline = time.monotonic() + seconds
        shown = ""
        while time.monotonic() < deadline:
            shown = self.text()
            if check(shown):
                return shown
            self.page.wait_for_timeout(100)
        raise AssertionError(f"the page never showed {what}; it shows:\n{shown}")

    def click_status_line(self) -> None:
        """Give the page the keyboard with a click where no widget takes focus (the status
        line, above the footer's keys)."""
        box = self.page.locator(".xterm-screen").bounding_box()
        rows = int(self.page.evaluate("window.__terminal.rows"))
        line = box["height"] / rows
        self.page.mouse.click(box["x"] + 2 * line, box["y"] + box["height"] - 1.5 * line)

    def set_filter(self, text: str) -> None:
        """Type a filter and apply it, each key's effect seen before the next key: a key can
        race the app's focus moves (Textual gives the focus back after a screen or the page's
        focus changes), and the page can be slow to show what a key did. A step that does not
        show is done again (bounded)."""

        def after(shown: str, typed: str) -> str | None:
            """What the filter line shows after `filter <typed>` (the badge), if it shows it."""
            line = shown.splitlines()[0].rstrip() if shown else ""
            return (
                line.removeprefix(f"filter {typed}").strip()
                if line.startswith(f"filter {typed}")
                else None
            )

        def step(keys: tuple[str, ...], check: Callable[[str], bool], what: str) -> bool:
            self.press(*keys)
            try:
                self.wait_for(check, what, seconds=2.0)
            except AssertionError:
                return False
            return True

        placeholder = "method:POST status:4xx"
        for _ in range(5):
            if not step(("f",), lambda shown: "esc Back to the list" in shown, "the filter"):
                continue
            if not step(("End", "Control+u"), lambda s: after(s, placeholder) is not None, "empty"):
                continue
            self.type(text)
            if not step((), lambda s: after(s, text) in ("", "on", "off"), "the filter typed"):
                continue
            if step(("Enter",), lambda s: after(s, text) == "on", "the filter applied"):
                return
        raise AssertionError(f"the filter line never took {text!r}:\n{self.text()}")

    def press_until(self, key: str, check: Callable[[str], bool], what: str) -> None:
        """Press a key that only the focused widget knows until the page shows its effect
        (bounded): the focus may still be on its way there, the page slow to show it."""
        for attempt in range(6):
            self.press(key)
            try:
                self.wait_for(check, what, seconds=2.0 + attempt)
            except AssertionError:
                continue
            return
        raise AssertionError(f"the page never showed {what}:\n{self.text()}")

    def press(self, *keys: str) -> None:
        for key in keys:
            self.page.keyboard.press(key)

    def type(self, text: str) -> None:
        self.page.keyboard.type(text)


@pytest.fixture
def terminal(browser: Any, web_view: WebView) -> Iterator[Terminal]:
    context = browser.new_context(viewport={"width": 1400, "height": 900}, accept_downloads=True)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=web_view.base)
    context.add_init_script(CATCH_TERMINAL)
    page = context.new_page()
    answer = page.goto(web_view.url)
    assert answer is not None and answer.status == 200
    shown = Terminal(page)
    shown.wait_for(lambda text: "web" in text and "addTodo" in text, "the recorded rows")
    page.focus(".xterm-helper-textarea")  # the keyboard, without a click on a widget
    shown.wait_for_keys()
    yield shown
    context.close()


def _rows(text: str, operation: str) -> int:
    """The list's rows of this operation on the test's path."""
    return sum(1 for line in text.splitlines() if f" {operation} " in line and "/todos/web" in line)


def test_without_the_token_every_route_answers_403(web_view: WebView, browser: Any) -> None:
    websocket = {
        "Connection": "Upgrade",
        "Upgrade": "websocket",
        "Sec-WebSocket-Version": "13",
        "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
    }
    with httpx.Client(base_url=web_view.base, trust_env=False, timeout=10) as client:
        for query in ("", "?token=", "?token=" + web_view.token[:-1], "?token=wrong"):
            for path, headers in (
                ("/", {}),
                ("/ws", websocket),
                ("/static/js/textual.js", {}),
                ("/download/anything", {}),
            ):
                answer = client.get(path + query, headers=headers)
                assert (answer.status_code, answer.text) == (403, "forbidden\n"), path + query
                assert "set-cookie" not in answer.headers
    context = browser.new_context()
    page = context.new_page()
    answer = page.goto(web_view.base + "/")
    assert answer is not None and answer.status == 403
    assert page.inner_text("body").strip() == "forbidden"
    context.close()


def test_the_page_shows_live_rows_a_filter_narrows_them_enter_opens_the_detail(
    web_view: WebView, terminal: Terminal, artifacts: Path
) -> None:
    shown = terminal.text()
    assert _rows(shown, "addTodo") == 2 and _rows(shown, "listTodos") == 1
    with httpx.Client(base_url=web_view.proxy, trust_env=False, timeout=30) as client:
        assert client.post("/todos/web", json={"title": "gamma web"}).status_code == 201
    terminal.wait_for(lambda text: _rows(text, "addTodo") == 3, "the new exchange, live")

    terminal.set_filter("op:listTodos")
    terminal.wait_for(
        lambda text: _rows(text, "addTodo") == 0 and _rows(text, "listTodos") == 1,
        "only the listTodos row",
    )

    terminal.press("Enter")  # the detail; then its Response tab
    terminal.press_until("2", lambda text: "alpha web" in text, "the answer's body in the detail")
    terminal.page.screenshot(path=str(artifacts / "web-view.png"))
    assert (artifacts / "web-view.png").stat().st_size > 0

    # the server logged the page's request (with the token in its query), never the token
    logged = [line for line in web_view.lines if not line.startswith("open http")]
    assert any(line.endswith("GET / 200") for line in logged)
    assert not any(web_view.token in line for line in logged)


def test_the_terminal_only_keys_work_in_the_browser(web_view: WebView, terminal: Terminal) -> None:
    terminal.set_filter("op:addTodo body:alpha")
    terminal.wait_for(lambda text: _rows(text, "addTodo") == 1, "the alpha exchange alone")

    # copy as curl: to the browser's clipboard (a secure context: localhost)
    terminal.press("y")
    terminal.wait_for(lambda text: "copied as curl" in text, "the copy's notice")
    copied = str(terminal.page.evaluate("navigator.clipboard.readText()"))
    assert copied.startswith("curl ") and "/todos/web" in copied and "alpha web" in copied

    # HAR export: a download through textual-serve's download route
    with terminal.page.expect_download() as started:
        terminal.press("x")
    har = json.loads(Path(started.value.path()).read_text(encoding="utf-8"))
    assert started.value.suggested_filename.endswith(".har")
    (entry,) = har["log"]["entries"]
    assert entry["request"]["url"].endswith("/todos/web")

    # the pager key: an in-app viewer (nothing to suspend in a browser); escape closes it
    terminal.press_until("Enter", lambda text: "o Pager" in text, "the detail, focused")
    terminal.press_until(
        "2",
        lambda text: "response body:" in text and '"title": "alpha web"' in text,
        "the response tab",
    )
    terminal.press_until("o", lambda text: "escape closes" in text, "the in-app viewer")
    terminal.press("Escape")
    terminal.wait_for(lambda text: "escape closes" not in text, "the viewer closed")

    # edit and replay: an in-app editor; ctrl+s sends the edited request through the proxy
    terminal.press("E")
    terminal.wait_for(lambda text: "ctrl+s sends" in text, "the in-app editor")
    terminal.press("Control+End")
    terminal.press("Control+s")
    terminal.wait_for(lambda text: "against the original's answer" in text, "the replay's result")
