"""Credentials as they arrive: Authorization headers taken apart, secrets made and compared.

Everything here works on bytes. A header value is taken as the bytes the caller sent
(`flow.request.headers.fields`), a `str` as mitmproxy hands it (decoded with surrogateescape) or
as JSON gives it (maybe with lone surrogates) is turned back into bytes losslessly (`as_bytes`),
and nothing a caller sends makes these functions raise. A credential is usable only when it is
1 to MAX_CREDENTIAL_BYTES bytes of valid UTF-8 without control characters; anything else (a
non-UTF-8 or latin-1 byte, NUL, a lone surrogate, an overlong value) matches no secret, so the
gate refuses it exactly as it refuses a wrong credential.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import unquote_to_bytes

from pluginlab_tui.store import lossless

#: Longer credentials are refused (no real token comes near it).
MAX_CREDENTIAL_BYTES = 8192
_CONTROL = re.compile(rb"[\x00-\x1f\x7f]")


def new_secret(prefix: str) -> str:
    """A high-entropy secret (256 bits) with a readable prefix, e.g. `plk_...`."""
    return prefix + secrets.token_urlsafe(32)


def as_bytes(value: str | bytes) -> bytes:
    """The bytes a value stands for, never raising.

    A `str` from mitmproxy carries undecodable bytes as surrogateescape code points: they go back
    to the bytes sent. Other lone surrogates (from JSON `\\ud800`) become their UTF-8-style
    encoding, which is not valid UTF-8 and so is never usable.
    """
    return value if isinstance(value, bytes) else lossless.encode(value)


def usable(value: bytes) -> bool:
    """1 to MAX_CREDENTIAL_BYTES bytes of valid UTF-8 without control characters."""
    if not 0 < len(value) <= MAX_CREDENTIAL_BYTES or _CONTROL.search(value):
        return False
    try:
        value.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def secret_hash(secret: str | bytes) -> str:
    """What the store keeps of a secret: the SHA-256 of its bytes (256-bit random secrets)."""
    return hashlib.sha256(as_bytes(secret)).hexdigest()


def same_secret(given: str | bytes, expected: str | bytes) -> bool:
    """Constant-time comparison of two secrets as bytes; an unusable `given` matches nothing."""
    given_bytes, expected_bytes = as_bytes(given), as_bytes(expected)
    equal = hmac.compare_digest(given_bytes, expected_bytes)
    return equal and usable(given_bytes)


def matches_hash(given: str | bytes, expected_hash: str) -> bool:
    """Constant-time check of a secret against a stored hash; an unusable one matches nothing."""
    given_bytes = as_bytes(given)
    equal = hmac.compare_digest(secret_hash(given_bytes).encode("ascii"), as_bytes(expected_hash))
    return equal and usable(given_bytes)


def header_values(fields: Iterable[tuple[bytes, bytes]], name: str) -> list[bytes]:
    """Every raw value of a header, as sent (name compared case-insensitively)."""
    wanted = name.lower().encode("ascii")
    return [value for key, value in fields if key.lower() == wanted]


@dataclass(frozen=True, slots=True)
class Presented:
    """What a request presents: the scheme and the candidate secrets it may stand for.

    `candidates` is empty when the header is malformed; `problem` then says why.
    """

    scheme: str
    candidates: tuple[bytes, ...]
    problem: str | None = None


def one_value(values: list[bytes], name: str) -> tuple[bytes | None, str | None]:
    """The single value of a credential header, or (None, why) when it cannot be one.

    Repeated headers are refused rather than one picked; so is an overlong value.
    """
    if len(values) > 1:
        return None, f"{name} is sent {len(values)} times: send it once"
    if values and len(values[0]) > MAX_CREDENTIAL_BYTES:
        return None, f"{name} is over {MAX_CREDENTIAL_BYTES} bytes"
    return (values[0] if values else None), None


def basic_candidates(value: bytes) -> tuple[bytes, ...]:
    """The secrets a Basic value may stand for.

    Whether ChatGPT base64-encodes Basic values is unconfirmed, and GPT Actions' builders paste
    an encoded `user:pass`: so the raw value, the decoded value, and each side of a decoded
    `user:pass` are all candidates. A decoded value that is not usable text (a `\xff` user
    beside the right password) stands for nothing but the raw value.
    """
    found = [value]
    try:
        decoded = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return tuple(found)
    if not usable(decoded):
        return tuple(found)
    found.append(decoded)
    user, sep, password = decoded.partition(b":")
    if sep:
        found += [part for part in (user, password) if part]
    return tuple(dict.fromkeys(found))


def parse_authorization(header: str | bytes | None, expected: str) -> Presented | None:
    """An Authorization header read for the expected scheme (`bearer` or `basic`).

    None when there is no header; a Presented without candidates when it is malformed.
    """
    raw = None if header is None else as_bytes(header).strip()
    if not raw:
        return None
    scheme_bytes, _, value = raw.partition(b" ")
    scheme, value = scheme_bytes.lower().decode("utf-8", "replace"), value.strip()
    if scheme not in ("bearer", "basic"):
        return Presented("", (), f"the Authorization scheme must be {expected.title()}")
    if scheme != expected:
        return Presented(
            scheme, (), f"expected Authorization: {expected.title()}, got {scheme.title()}"
        )
    if not value or b" " in value:
        return Presented(scheme, (), f"the {scheme.title()} credential is empty or malformed")
    if not usable(value):
        return Presented(
            scheme,
            (),
            f"the {scheme.title()} credential is not 1 to {MAX_CREDENTIAL_BYTES} bytes of"
            " printable UTF-8",
        )
    if scheme == "basic":
        return Presented(scheme, basic_candidates(value))
    return Presented(scheme, (value,))


def parse_client_basic(header: str | bytes | None) -> tuple[bytes, bytes] | None:
    """OAuth client credentials from `Authorization: Basic base64(id:secret)` (RFC 6749 2.3.1).

    Both parts are URL-decoded to bytes; None when the header is not Basic or does not decode.
    """
    if header is None:
        return None
    scheme, _, value = as_bytes(header).strip().partition(b" ")
    if scheme.lower() != b"basic":
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError):
        return None
    client_id, sep, secret = decoded.partition(b":")
    if not sep:
        return None
    return _form_unquote(client_id), _form_unquote(secret)


def _form_unquote(value: bytes) -> bytes:
    return unquote_to_bytes(value.replace(b"+", b" "))
