"""How a body is kept: decoded text, or base64 for binary; cut at the configured cap."""

from __future__ import annotations

import base64
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class StoredBody:
    text: str | None
    binary: bool
    size: int
    truncated: bool


def charset_of(content_type: str | None) -> str:
    """The charset named in a Content-Type, else utf-8."""
    for part in (content_type or "").split(";")[1:]:
        name, _, value = part.strip().partition("=")
        if name.strip().lower() == "charset" and value:
            return value.strip().strip('"') or "utf-8"
    return "utf-8"


def decode_text(content: bytes, content_type: str | None) -> str | None:
    """The body as text, or None when it is not text in its charset."""
    try:
        return content.decode(charset_of(content_type))
    except (UnicodeDecodeError, LookupError):
        return None


def store_body(
    content: bytes | None,
    content_type: str | None,
    cap: int,
    complete: bool = True,
    size: int | None = None,
) -> StoredBody:
    """The body as stored. `size`: the body's full size when `content` holds only its start;
    `complete=False`: the body is larger still (it was decoded only so far)."""
    if not content:
        return StoredBody(None if content is None else "", False, 0, not complete)
    size = len(content) if size is None else size
    kept = content[:cap]
    truncated = size > cap or not complete
    text = decode_text(kept, content_type)
    if text is None and truncated:
        # The cut may have split a multi-byte character: drop up to 3 trailing bytes.
        for drop in (1, 2, 3):
            text = decode_text(kept[:-drop], content_type)
            if text is not None:
                break
    if text is not None:
        return StoredBody(text, False, size, truncated)
    return StoredBody(base64.b64encode(kept).decode("ascii"), True, size, truncated)
