"""One canonical path for a request: what the proxy routes, gates, checks and forwards.

A caller can spell one path many ways (`/todos/./alice`, `/todos/%2e/alice`, `/todos//alice`,
`/todos/x/../alice`, `/todos/%61lice`), and the parties behind the proxy do not agree on them:
aiohttp's yarl removes dot segments and decodes unreserved characters, uvicorn decodes `%2F`
into a separator Starlette then routes on. So the proxy normalises the path once, before any
stage looks at it, into a form that no party changes further (RFC 3986 section 6.2.2):

- every percent-encoded unreserved character (ALPHA DIGIT `-` `.` `_` `~`) is decoded and
  every other triplet is written in upper case (`%3a` -> `%3A`);
- every byte that may not stand raw in a path (space, `"` `#` `<` `>` `[` `]` `^` backquote
  `{` `|` `}`, controls, anything not ASCII, undecodable bytes included) is percent-encoded,
  and a `%` that starts no triplet becomes `%25`: the path is ASCII and any decoder reads the
  same bytes out of it as out of the original;
- empty segments (doubled slashes) are dropped, then dot segments are removed (RFC 3986
  section 5.2.4); a `..` above the root is clamped (`/../a` is `/a`), as section 5.2.4,
  browsers and yarl do: there is nothing above the root to reach, so refusing would only
  break callers that every other party would serve. A final `.`, `..` or `/` leaves a trailing
  slash, which stays (it is a different path to routers).

An encoded slash or backslash inside a segment (`%2F`, `%5C`, any case) and a raw backslash
are refused (`AmbiguousPath`): some servers take them for separators and some do not, so no
single path can be gated for them. The query is kept byte for byte.

Paths arrive as mitmproxy hands them over: text decoded from the raw bytes with
`surrogateescape`, so undecodable bytes are lone surrogates here and are encoded as the bytes
they stand for.
"""

from __future__ import annotations

import re
import string

from pluginlab_tui.store import lossless

__all__ = ["AmbiguousPath", "normalise_path", "normalise_target", "sendable"]

_HEX = frozenset(b"0123456789abcdefABCDEF")
_UNRESERVED = frozenset((string.ascii_letters + string.digits + "-._~").encode("ascii"))
#: What may stand raw in a path besides the unreserved: sub-delims, ":", "@" and the separator.
_RAW_OK = _UNRESERVED | frozenset(b"!$&'()*+,;=:@/")
#: A path that is canonical already (the common case, matched without walking its bytes):
#: segments of characters that may stand raw, none empty but the last, none `.` or `..`.
_CANONICAL = re.compile(r"(?:/(?!\.\.?(?:/|\Z))[A-Za-z0-9\-._~!$&'()*+,;=:@]+)*/?\Z")
#: Encoded separators: a slash or a backslash hidden inside a segment.
_AMBIGUOUS = frozenset({0x2F, 0x5C})


class AmbiguousPath(ValueError):
    """A path that servers split into segments differently; the message says where."""


def _encoded(byte: int) -> str:
    return f"%{byte:02X}"


def _canonical_bytes(raw: bytes) -> str:
    """Percent-encoding normalised (see the module's docstring); raises AmbiguousPath."""
    out: list[str] = []
    i, n = 0, len(raw)
    while i < n:
        byte = raw[i]
        if byte == 0x25 and i + 2 < n and raw[i + 1] in _HEX and raw[i + 2] in _HEX:
            value = int(raw[i + 1 : i + 3], 16)
            if value in _AMBIGUOUS:
                triplet = raw[i : i + 3].decode("ascii")
                raise AmbiguousPath(f"an encoded {_name(value)} ({triplet}) inside a segment")
            out.append(chr(value) if value in _UNRESERVED else _encoded(value))
            i += 3
            continue
        if byte == 0x5C:
            raise AmbiguousPath("a backslash inside a segment")
        out.append(chr(byte) if byte in _RAW_OK else _encoded(byte))
        i += 1
    return "".join(out)


def _name(value: int) -> str:
    return "slash" if value == 0x2F else "backslash"


def _without_dots(path: str) -> str:
    """Empty segments dropped, dot segments removed (`..` clamped at the root)."""
    parts = path.split("/")[1:]
    kept: list[str] = []
    for part in parts:
        if part == "..":
            if kept:
                kept.pop()
        elif part not in ("", "."):
            kept.append(part)
    trailing = parts[-1] in ("", ".", "..")
    return "/" + "/".join(kept) + ("/" if trailing and kept else "")


def normalise_path(path: str) -> str:
    """The canonical form of a path (without its query); raises AmbiguousPath."""
    if _CANONICAL.match(path):
        return path
    canonical = _canonical_bytes(lossless.encode(path))
    if not canonical.startswith("/"):
        return canonical  # not origin-form (`*`): nothing to route, left as it came
    return _without_dots(canonical)


def normalise_target(target: str) -> str:
    """A request target (`path?query`) with its path made canonical and its query as it came."""
    path, sep, query = target.partition("?")
    return normalise_path(path) + sep + query


def _wire(ch: str) -> str:
    code = ord(ch)
    if 0xDC80 <= code <= 0xDCFF:  # an undecodable byte, as surrogateescape keeps it
        return _encoded(code - 0xDC00)
    if code <= 0x20 or code == 0x7F or ch == "#":
        return _encoded(code)
    return ch


def sendable(target: str) -> str:
    """A target that can stand on an HTTP/1.1 request line as UTF-8 and mean what it meant:
    undecodable bytes, controls, space, DEL and `#` (which would start a fragment) are written
    percent-encoded, every other character as it is (a canonical path has none of these)."""
    if target.isascii() and target.isprintable() and " " not in target and "#" not in target:
        return target
    return "".join(_wire(ch) for ch in target)
