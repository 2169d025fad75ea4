"""Secrets cut from events before they are stored (runs in the writer thread).

The Recorder already redacts Authorization, Cookie, Set-Cookie and the api-key header. Here:
codes, tokens, client secrets and PKCE verifiers in the query, URL, bodies and Location header
of the OAuth endpoints; token-like query parameters of every other exchange; and anything that
looks like a secret this proxy hands out (by its prefix), wherever it shows up in those events.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import unquote_plus

from pluginlab_tui.store.event import Event

REDACTED = "[redacted]"
OAUTH_PREFIX = "/_pluginlab/oauth/"
#: Parameters that carry secrets on the OAuth endpoints.
OAUTH_SECRETS = frozenset(
    {
        "code",
        "client_secret",
        "refresh_token",
        "access_token",
        "token",
        "code_verifier",
        "id_token",
        "password",
    }
)
#: Parameters redacted from the query of any exchange.
ANYWHERE_SECRETS = frozenset({"access_token", "refresh_token", "client_secret", "api_key"})
#: Secrets minted here: keys, codes, access and refresh tokens, client secrets.
_MINTED = re.compile(r"\bpl[ckarsj]_[A-Za-z0-9_-]{20,}")


def redact_query(query: str, names: frozenset[str]) -> str:
    """The raw query with the values of `names` replaced; the rest kept byte for byte."""
    if not query:
        return query
    parts = []
    for part in query.split("&"):
        name, sep, _ = part.partition("=")
        if sep and unquote_plus(name).lower() in names:
            part = f"{name}={REDACTED}"
        parts.append(part)
    return "&".join(parts)


def redact_url(url: str, names: frozenset[str]) -> str:
    base, sep, rest = url.partition("?")
    if not sep:
        return url
    query, hash_sep, fragment = rest.partition("#")
    fragment = redact_query(fragment, names) if hash_sep else ""
    return base + "?" + redact_query(query, names) + (hash_sep + fragment)


def _walk(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            k: (REDACTED if str(k).lower() in OAUTH_SECRETS and v else _walk(v))
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_walk(v) for v in value]
    return value


def redact_body(text: str | None) -> str | None:
    """A JSON or form body with its secret fields replaced; other text scrubbed by prefix."""
    if not text:
        return text
    stripped = text.strip()
    if stripped.startswith(("{", "[")):
        try:
            return json.dumps(_walk(json.loads(stripped)), ensure_ascii=False)
        except ValueError:
            pass
    elif "=" in stripped and not stripped.startswith("<"):
        text = redact_query(stripped, OAUTH_SECRETS)
    return scrub(text)


def scrub(text: str) -> str:
    return _MINTED.sub(REDACTED, text)


def scrub_minted(event: Event) -> None:
    """Secrets this proxy minted, sent anywhere (a wrong header, a body): cut from the event."""
    event.request_headers = [(k, scrub(v)) for k, v in event.request_headers]
    event.response_headers = [(k, scrub(v)) for k, v in event.response_headers]
    event.query, event.url = scrub(event.query), scrub(event.url)
    if event.request_body and not event.request_binary:
        event.request_body = scrub(event.request_body)
    if event.response_body and not event.response_binary:
        event.response_body = scrub(event.response_body)


def redact_event(event: Event) -> None:
    """The body_filter of the Runtime: edits the event in place."""
    scrub_minted(event)
    if not event.path.startswith(OAUTH_PREFIX):
        if event.query and any(n in event.query.lower() for n in ANYWHERE_SECRETS):
            event.query = redact_query(event.query, ANYWHERE_SECRETS)
            event.url = redact_url(event.url, ANYWHERE_SECRETS)
        return
    event.query = scrub(redact_query(event.query, OAUTH_SECRETS))
    event.url = scrub(redact_url(event.url, OAUTH_SECRETS))
    if not event.request_binary:
        event.request_body = redact_body(event.request_body)
    if not event.response_binary:
        event.response_body = redact_body(event.response_body)
    event.response_headers = [
        (k, scrub(redact_url(v, OAUTH_SECRETS)) if k.lower() == "location" else v)
        for k, v in event.response_headers
    ]
    event.request_headers = [
        (k, scrub(redact_url(v, OAUTH_SECRETS)) if k.lower() == "referer" else v)
        for k, v in event.request_headers
    ]
