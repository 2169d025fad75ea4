"""Media types: parse Content-Type, match it against a spec's content map, decode bodies."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

JSON = "json"
FORM = "form"
TEXT = "text"
OTHER = "other"


@dataclass(frozen=True, slots=True)
class ContentType:
    """A parsed Content-Type: `mime` lower-cased without parameters, `charset` if given."""

    mime: str
    charset: str | None

    @property
    def kind(self) -> str:
        return kind_of(self.mime)


def parse_content_type(value: str | None) -> ContentType | None:
    """`application/json; charset=UTF-8` -> ContentType('application/json', 'utf-8')."""
    if not value:
        return None
    parts = value.split(";")
    mime = parts[0].strip().lower()
    if not mime:
        return None
    charset = None
    for part in parts[1:]:
        name, _, raw = part.partition("=")
        if name.strip().lower() == "charset":
            charset = raw.strip().strip('"').lower() or None
    return ContentType(mime, charset)


def kind_of(mime: str) -> str:
    """How a body of this media type is read: json, form, text or other (not parsed)."""
    mime = mime.lower()
    if mime.endswith(("/json", "+json")):
        return JSON
    if mime == "application/x-www-form-urlencoded":
        return FORM
    if mime.startswith("text/"):
        return TEXT
    return OTHER


def match_media(mime: str, declared: Iterable[str]) -> str | None:
    """The declared media-type key that best covers `mime` (exact, then `type/*`, then `*/*`)."""
    keys = list(declared)
    lowered = {k.split(";")[0].strip().lower(): k for k in keys}
    if mime in lowered:
        return lowered[mime]
    major = mime.split("/", 1)[0]
    if f"{major}/*" in lowered:
        return lowered[f"{major}/*"]
    if "*/*" in lowered:
        return lowered["*/*"]
    return None


def match_cached(
    mime: str, declared: Mapping[str, Any], cache: dict[str, str | None]
) -> str | None:
    """match_media, remembered per content map (at most 64 distinct media types)."""
    try:
        return cache[mime]
    except KeyError:
        pass
    key = match_media(mime, declared)
    if len(cache) < 64:
        cache[mime] = key
    return key


class BodyError(Exception):
    """A body that cannot be read: bad charset, bad UTF-8, bad JSON. `keyword` says which."""

    def __init__(self, keyword: str, message: str) -> None:
        super().__init__(message)
        self.keyword = keyword
        self.message = message


def decode_text(body: bytes, charset: str | None) -> str:
    """Bytes to text by the declared charset (utf-8 by default); BodyError when impossible."""
    encoding = charset or "utf-8"
    try:
        return body.decode(encoding)
    except LookupError:
        raise BodyError("charset", f"unknown charset {encoding!r}") from None
    except UnicodeDecodeError as exc:
        raise BodyError(
            "encoding", f"is not valid {encoding} text (byte {exc.start}: {exc.reason})"
        ) from None


def parse_json(text: str) -> Any:
    try:
        return _DECODER.decode(text)
    except (ValueError, RecursionError) as exc:
        raise BodyError("json", f"is not valid JSON ({_short(exc)})") from None


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


_DECODER = json.JSONDecoder(parse_constant=_reject_constant)


def _short(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text if len(text) <= 120 else text[:117] + "..."


def parse_form(text: str) -> dict[str, Any]:
    """Form-urlencoded text to a dict (a name given several times becomes a list)."""
    out: dict[str, Any] = {}
    for name, value in parse_qsl(text, keep_blank_values=True):
        if name in out:
            prev = out[name]
            out[name] = [*prev, value] if isinstance(prev, list) else [prev, value]
        else:
            out[name] = value
    return out


def header_value(headers: Iterable[tuple[str, str]], name: str) -> str | None:
    """The first value of a header, by case-insensitive name."""
    lname = name.lower()
    for key, value in headers:
        if key.lower() == lname:
            return value
    return None


def header_map(headers: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Lower-cased names to values; repeated headers joined with ', ' (RFC 9110)."""
    out: dict[str, str] = {}
    for key, value in headers:
        lkey = key.lower()
        out[lkey] = f"{out[lkey]}, {value}" if lkey in out else value
    return out


def media_keys(content: Mapping[str, Any]) -> list[str]:
    return [k for k in content if isinstance(k, str)]
