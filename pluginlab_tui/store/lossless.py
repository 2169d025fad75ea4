"""Undecodable input, stored losslessly: readable text in the columns, the original bytes in `raw`.

mitmproxy decodes the bytes of a path or a header that are not UTF-8 with surrogateescape (and
JSON bodies may carry lone surrogates), but SQLite refuses text with lone surrogates. Such a
field is stored with each lone surrogate replaced by U+FFFD, and its original bytes go to the
event's `raw`: a map from the field's key to the base64 of those bytes.

Keys: a column's name (`path`, `url`, `query`, `request_body`, `error`, `user_id`, ...), or a
pointer into a list column: `request_headers/2/0` (the third header's name), `request_headers/2/1`
(its value), `violations/0/message`. The bytes are the field's text encoded as UTF-8, each
surrogate U+DC80..U+DCFF given back as the byte it escaped (surrogateescape) and any other lone
surrogate as its three UTF-8-style bytes (surrogatepass), so `original` gives back exactly what
came in.
"""

from __future__ import annotations

import base64
import codecs
import re
from dataclasses import fields, replace
from itertools import chain
from operator import attrgetter
from typing import Any

from pluginlab_tui.store.event import Event

_SURROGATE = re.compile("[\ud800-\udfff]")
_HANDLER = "pluginlab.lossless"
#: The Event's text fields (the headers and violations are walked apart; the other lists and
#: maps are written as JSON, which escapes what is not ASCII).
_TEXT = tuple(f.name for f in fields(Event) if f.type in ("str", "str | None"))
_texts = attrgetter(*_TEXT)


def _escape(err: UnicodeError) -> tuple[bytes, int]:
    assert isinstance(err, UnicodeEncodeError)
    out = bytearray()
    for char in err.object[err.start : err.end]:
        point = ord(char)
        if 0xDC80 <= point <= 0xDCFF:
            out.append(point - 0xDC00)
        else:
            out += char.encode("utf-8", "surrogatepass")
    return bytes(out), err.end


codecs.register_error(_HANDLER, _escape)


def encode(text: str) -> bytes:
    """The bytes a text stands for (escaped bytes given back, other lone surrogates kept)."""
    return text.encode("utf-8", _HANDLER)


def decodable(text: str) -> bool:
    return text.isascii() or _SURROGATE.search(text) is None


def readable(text: str) -> str:
    """The text with every lone surrogate replaced by U+FFFD."""
    return _SURROGATE.sub("\ufffd", text)


def _ascii(event: Event) -> bool:
    """Whether every text of the event is ASCII (then nothing needs looking at)."""
    texts = chain(
        filter(None, _texts(event)),
        chain.from_iterable(event.request_headers),
        chain.from_iterable(event.response_headers),
    )
    return "".join(texts).isascii() and not event.violations


def make_storable(event: Event) -> Event:
    """Make every text field of the event storable, in place; the originals go to `event.raw`."""
    if _ascii(event):
        return event
    raw = event.raw

    def keep(key: str, text: str) -> str:
        if decodable(text):
            return text
        raw[key] = base64.b64encode(encode(text)).decode("ascii")
        return readable(text)

    for name in _TEXT:
        value = getattr(event, name)
        if value is not None and not decodable(value):
            setattr(event, name, keep(name, value))
    for name in ("request_headers", "response_headers"):
        pairs: list[tuple[str, str]] = getattr(event, name)
        if not all(decodable(k) and decodable(v) for k, v in pairs):
            setattr(
                event,
                name,
                [
                    (keep(f"{name}/{i}/0", k), keep(f"{name}/{i}/1", v))
                    for i, (k, v) in enumerate(pairs)
                ],
            )
    for i, violation in enumerate(event.violations):
        changes: dict[str, Any] = {}
        for spec in fields(violation):
            value = getattr(violation, spec.name)
            if isinstance(value, str) and not decodable(value):
                changes[spec.name] = keep(f"violations/{i}/{spec.name}", value)
        if changes:
            event.violations[i] = replace(violation, **changes)
    return event


def original(event: Event, key: str) -> bytes | None:
    """The bytes of a field as they came in (from `raw`, else its text as UTF-8); None if absent."""
    if key in event.raw:
        return base64.b64decode(event.raw[key])
    name, *place = key.split("/")
    value: Any = getattr(event, name, None)
    if place and name in ("request_headers", "response_headers"):
        value = value[int(place[0])][int(place[1])]
    elif place and name == "violations":
        value = getattr(value[int(place[0])], place[1])
    return encode(value) if isinstance(value, str) else None
