"""Credentials as they arrive: Authorization headers taken apart, secrets made and compared."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from urllib.parse import unquote_plus


def new_secret(prefix: str) -> str:
    """A high-entropy secret (256 bits) with a readable prefix, e.g. `plk_...`."""
    return prefix + secrets.token_urlsafe(32)


def secret_hash(secret: str) -> str:
    """What the store keeps of a secret: its SHA-256 (enough for 256-bit random secrets)."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def same_secret(given: str, expected: str) -> bool:
    """Constant-time comparison of two secrets."""
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def matches_hash(given: str, expected_hash: str) -> bool:
    """Constant-time check of a secret against a stored hash."""
    return hmac.compare_digest(secret_hash(given), expected_hash)


@dataclass(frozen=True, slots=True)
class Presented:
    """What a request presents: the scheme and the candidate secrets it may stand for.

    `candidates` is empty when the header is malformed; `problem` then says why.
    """

    scheme: str
    candidates: tuple[str, ...]
    problem: str | None = None


def basic_candidates(value: str) -> tuple[str, ...]:
    """The secrets a Basic value may stand for.

    Whether ChatGPT base64-encodes Basic values is unconfirmed, and GPT Actions' builders paste
    an encoded `user:pass`: so the raw value, the decoded value, and each side of a decoded
    `user:pass` are all candidates.
    """
    found = [value]
    try:
        decoded = base64.b64decode(value, validate=True).decode("utf-8")
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return tuple(found)
    found.append(decoded)
    user, sep, password = decoded.partition(":")
    if sep:
        found += [part for part in (user, password) if part]
    return tuple(dict.fromkeys(found))


def parse_authorization(header: str | None, expected: str) -> Presented | None:
    """An Authorization header read for the expected scheme (`bearer` or `basic`).

    None when there is no header; a Presented without candidates when it is malformed.
    """
    if header is None or not header.strip():
        return None
    scheme, _, value = header.strip().partition(" ")
    scheme, value = scheme.lower(), value.strip()
    if scheme not in ("bearer", "basic"):
        return Presented(scheme, (), f"the Authorization scheme must be {expected.title()}")
    if scheme != expected:
        return Presented(
            scheme, (), f"expected Authorization: {expected.title()}, got {scheme.title()}"
        )
    if not value or " " in value:
        return Presented(scheme, (), f"the {scheme.title()} credential is empty or malformed")
    if scheme == "basic":
        return Presented(scheme, basic_candidates(value))
    return Presented(scheme, (value,))


def parse_client_basic(header: str | None) -> tuple[str, str] | None:
    """OAuth client credentials from `Authorization: Basic base64(id:secret)` (RFC 6749 2.3.1)."""
    if header is None:
        return None
    scheme, _, value = header.strip().partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None
    client_id, sep, secret = decoded.partition(":")
    if not sep:
        return None
    return unquote_plus(client_id), unquote_plus(secret)
