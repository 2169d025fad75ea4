"""OAuth request parameters read from the raw bytes, strictly.

A query string, a form body or a JSON body becomes a dict of str, or an OAuthError
`invalid_request` that says what is wrong: a name or value that does not decode as UTF-8
(`%FF`, a lone surrogate `\\ud800` in JSON), a control character, a value over
MAX_VALUE_BYTES, a body over MAX_BODY_BYTES, more than MAX_PARAMS parameters, a parameter sent
twice (RFC 6749 3.1), a JSON body that is not one flat object of strings (null counts as absent).
Nothing here raises anything else, whatever the bytes.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import unquote_to_bytes

from pluginlab_tui.access.oauth_errors import OAuthError

MAX_VALUE_BYTES = 8192
MAX_BODY_BYTES = 65_536
MAX_PARAMS = 64
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
FORM = "application/x-www-form-urlencoded"


def _bad(description: str) -> OAuthError:
    return OAuthError("invalid_request", description)


def _text(raw: bytes, what: str) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise _bad(f"{what} is not valid UTF-8") from None


def _checked(name: str, value: str) -> str:
    shown = name if name.isprintable() and len(name) <= 40 else "a parameter"
    try:
        size = len(value.encode("utf-8"))
    except UnicodeEncodeError:
        raise _bad(f"{shown} is not valid UTF-8 (a lone surrogate)") from None
    if size > MAX_VALUE_BYTES:
        raise _bad(f"{shown} is over {MAX_VALUE_BYTES} bytes")
    if _CONTROL.search(value):
        raise _bad(f"{shown} contains a control character")
    return value


def _collect(pairs: list[tuple[str, str]]) -> dict[str, str]:
    if len(pairs) > MAX_PARAMS:
        raise _bad(f"more than {MAX_PARAMS} parameters")
    found: dict[str, str] = {}
    for name, value in pairs:
        _checked("a parameter name", name)
        if name in found:
            shown = name if len(name) <= 40 else "a parameter"
            raise _bad(f"{shown} is sent more than once")
        found[name] = _checked(name, value)
    return found


def form_params(raw: bytes) -> dict[str, str]:
    """`a=1&b=%20` (a query string or an application/x-www-form-urlencoded body)."""
    if len(raw) > MAX_BODY_BYTES:
        raise _bad(f"the parameters are over {MAX_BODY_BYTES} bytes")
    pairs: list[tuple[str, str]] = []
    for part in raw.split(b"&"):
        if not part:
            continue
        name, _, value = part.partition(b"=")
        name_text = _text(unquote_to_bytes(name.replace(b"+", b" ")), "a parameter name")
        what = name_text if name_text.isprintable() and len(name_text) <= 40 else "a parameter"
        pairs.append((name_text, _text(unquote_to_bytes(value.replace(b"+", b" ")), what)))
    return _collect(pairs)


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for name, value in pairs:
        if name in found:
            raise _bad("a member is sent more than once")
        found[name] = value
    return found


def json_params(raw: bytes) -> dict[str, str]:
    """A JSON object whose values are strings (null: absent)."""
    if len(raw) > MAX_BODY_BYTES:
        raise _bad(f"the body is over {MAX_BODY_BYTES} bytes")
    text = _text(raw, "the body").strip() or "{}"
    try:
        data = json.loads(text, object_pairs_hook=_no_duplicates)
    except OAuthError:
        raise
    except (ValueError, RecursionError):
        raise _bad("the body is not valid JSON") from None
    if not isinstance(data, dict):
        raise _bad("the body must be a JSON object")
    pairs: list[tuple[str, str]] = []
    for name, value in data.items():
        if value is None:
            continue
        if not isinstance(value, str):
            shown = name if name.isprintable() and len(name) <= 40 else "a member"
            raise _bad(f"{shown} must be a string")
        pairs.append((name, value))
    return _collect(pairs)


def body_params(raw: bytes, content_type: str) -> dict[str, str]:
    """A token/revoke body: JSON or form, by Content-Type (a `{` body without one is JSON)."""
    kind = content_type.split(";")[0].strip().lower()
    if kind == "application/json" or (kind != FORM and raw.strip()[:1] == b"{"):
        return json_params(raw)
    return form_params(raw.strip())
