"""The request as an HTTP-like text to edit, read back, or open in $VISUAL/$EDITOR."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

from pluginlab_tui.errors import UsageError
from pluginlab_tui.replay.request import ReplayRequest


class EditError(UsageError):
    """The edited document is not a request; the message names the line."""


_DOC_HELP = (
    "# Edit the request, save and quit to send it; an empty file cancels.\n"
    "# Request line, then headers, a blank line, and the body (as it is sent).\n"
)
_REQUEST_LINE = re.compile(r"^([A-Za-z]+)\s+(\S+)(?:\s+HTTP/\d(?:\.\d)?)?\s*$")


def to_document(request: ReplayRequest, *, help_text: bool = True) -> str:
    """The request as an HTTP-like text to edit."""
    lines = [f"{request.method} {request.target}"]
    lines += [f"{k}: {v}" for k, v in request.headers]
    head = (_DOC_HELP if help_text else "") + "\n".join(lines) + "\n"
    if request.body is None or request.body == b"":
        return head
    try:
        body = request.body.decode("utf-8")
    except UnicodeDecodeError:
        raise EditError("the body is binary and cannot be edited as text") from None
    return head + "\n" + body + ("" if body.endswith("\n") else "\n")


def parse_document(text: str) -> ReplayRequest:
    """The request an edited document describes; EditError (naming the line) when it is not."""
    lines = text.split("\n")
    index = 0
    while index < len(lines) and (lines[index].startswith("#") or not lines[index].strip()):
        index += 1
    if index == len(lines):
        raise EditError("the document is empty: nothing to send")
    match = _REQUEST_LINE.match(lines[index].strip())
    if match is None:
        raise EditError(
            f"line {index + 1}: expected a request line like 'GET /path?query', "
            f"found {lines[index].strip()!r}"
        )
    method, target = match.group(1).upper(), match.group(2)
    if "://" in target:
        parts = urlsplit(target)
        target = parts.path + ("?" + parts.query if parts.query else "")
    if not target.startswith("/"):
        raise EditError(f"line {index + 1}: the path must start with /")
    path, _, query = target.partition("?")
    headers: list[tuple[str, str]] = []
    index += 1
    while index < len(lines) and lines[index].strip():
        line = lines[index]
        if line.startswith("#"):
            index += 1
            continue
        name, sep, value = line.partition(":")
        if not sep or not name.strip() or " " in name.strip():
            raise EditError(f"line {index + 1}: expected a header 'Name: value', found {line!r}")
        headers.append((name.strip(), value.strip()))
        index += 1
    body: bytes | None = None
    if index < len(lines):
        rest = "\n".join(lines[index + 1 :]).rstrip("\n")  # editors add final newlines
        body = rest.encode("utf-8") if rest else None
    return ReplayRequest(method, path, query, headers, body)


def edit_in_editor(request: ReplayRequest, editor: str | None = None) -> ReplayRequest | None:
    """Open the request in $VISUAL or $EDITOR; the edited request, or None when cancelled."""
    command = editor or os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
    with tempfile.TemporaryDirectory(prefix="pluginlab-replay-") as folder:
        path = Path(folder) / "request.http"
        path.write_text(to_document(request), encoding="utf-8")
        try:
            done = subprocess.run([*shlex.split(command), str(path)], check=False)
        except OSError as exc:
            raise UsageError(f"cannot start the editor {command!r}: {exc.strerror}") from None
        if done.returncode != 0:
            raise UsageError(f"the editor {command!r} exited with {done.returncode}; not sent")
        text = path.read_text(encoding="utf-8")
    return read_document(text)


def read_document(text: str) -> ReplayRequest | None:
    """The request of an edited document; None when it was emptied (or left only comments)."""
    if not text.strip() or all(line.startswith("#") for line in text.strip().splitlines()):
        return None
    return parse_document(text)
