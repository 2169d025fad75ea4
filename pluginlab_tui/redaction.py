"""One redactor for every way an event or a message leaves the proxy.

Built once from the config, it cuts, wherever they are in a text (a header, a query, a body, a
URL, an error message, a notice, a log line):

- every configured secret (auth.service_token, auth.api_key, auth.oauth.client_secret and any
  extra the caller adds, e.g. the JWT signing key), raw and in its URL-, JSON- and base64 forms;
- every secret this proxy mints (user keys, OAuth codes, access and refresh tokens, client
  secrets: `pl?_...`, wherever the prefix starts, even after a word character);
- the JWTs the proxy signs for the backend, when auth.jwt is enabled;
- the values of the header names of store.redact_headers (and the replay grant);
- the values of credential parameters (access_token, refresh_token, client_secret, api_key) in
  any query, form or JSON body and free text, and on the OAuth endpoints also codes, tokens,
  PKCE verifiers and passwords (the Location and Referer URLs included).

Every cut value reads `[redacted]`. Nothing here imports mitmproxy: the proxy's recorder, import,
export, `serve`'s line per exchange and the log all use the same object.

    redactor = Redactor.from_config(config)
    redactor.event(event)          # in place, and returned
    redactor.text("... ?access_token=abc ...")
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import re
import sys
import threading
import traceback
from collections.abc import Iterable
from dataclasses import replace
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, quote_plus, unquote_plus

from pluginlab_tui.store.event import Event, Headers

if TYPE_CHECKING:
    from pluginlab_tui.config import Config

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
#: Parameters redacted from the query, form and JSON bodies and text of any exchange.
ANYWHERE_SECRETS = frozenset({"access_token", "refresh_token", "client_secret", "api_key"})
#: Headers always stored as [redacted], whatever store.redact_headers says.
ALWAYS_REDACTED = frozenset({"x-pluginlab-replay"})
DEFAULT_HEADERS = frozenset({"authorization", "cookie", "set-cookie", "proxy-authorization"})
#: Secrets minted here: keys, codes, access and refresh tokens, client secrets.
MINTED = r"pl[ckarsj]_[A-Za-z0-9_-]{20,}"
#: A JWT (header.payload.signature, base64url).
JWT = r"eyJ[A-Za-z0-9_-]{4,}\.eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{8,}"
#: Runs that may be base64 of a text holding a secret (a Basic credential in an odd place).
_BASE64_RUN = re.compile(r"[A-Za-z0-9+/_-]{16,}={0,2}")


def _names(names: frozenset[str]) -> str:
    return "|".join(re.escape(n) for n in sorted(names))


def _param_rule(names: frozenset[str]) -> re.Pattern[str]:
    """name=value (also name%3Dvalue) in free text, the name not part of a longer word."""
    return re.compile(
        rf"(?i)(?<![A-Za-z0-9_])((?:{_names(names)})(?:=|%3D))(?!\[redacted\])"
        rf"[^&\s#\"'<>;,)\]\\]*"
    )


def _json_rule(names: frozenset[str]) -> re.Pattern[str]:
    """ "name": "value" in JSON (and JSON-looking text), the value a string."""
    return re.compile(rf'(?i)("(?:{_names(names)})"\s*:\s*)"(?:[^"\\]|\\.)*"')


_ANY_PARAM, _ANY_JSON = _param_rule(ANYWHERE_SECRETS), _json_rule(ANYWHERE_SECRETS)
_OAUTH_PARAM, _OAUTH_JSON = _param_rule(OAUTH_SECRETS), _json_rule(OAUTH_SECRETS)


def _forms(secret: str) -> set[str]:
    """The ways a secret travels as text: raw, URL-encoded, JSON-escaped, base64."""
    encoded = quote(secret, safe="")
    raw = secret.encode("utf-8", "surrogatepass")
    forms = {
        secret,
        encoded,
        quote(secret),
        quote_plus(secret),
        json.dumps(secret)[1:-1],
        json.dumps(secret, ensure_ascii=False)[1:-1],
    }
    for b64 in (base64.b64encode(raw), base64.urlsafe_b64encode(raw)):
        text = b64.decode("ascii")
        forms |= {text, text.rstrip("=")}
    return {f for f in forms if f}


def _any_case_escapes(form: str) -> str:
    """The form as a regex in which each %XX escape matches in either case."""

    def either(match: re.Match[str]) -> str:
        return "%" + "".join(f"[{c.upper()}{c.lower()}]" if c.isalpha() else c for c in match[1])

    return re.sub(r"%([0-9A-Fa-f]{2})", either, re.escape(form))


class Redactor:
    """Cuts secrets out of events and messages; built once, shared by every path out."""

    def __init__(
        self,
        secrets: Iterable[str | None] = (),
        headers: Iterable[str] = DEFAULT_HEADERS,
        *,
        jwt: bool = False,
    ) -> None:
        self.secrets = tuple(sorted({s for s in secrets if s}, key=len, reverse=True))
        self.header_names = frozenset(h.lower() for h in headers) | ALWAYS_REDACTED
        forms: set[str] = set()
        for secret in self.secrets:
            forms |= _forms(secret)
        alternatives = [_any_case_escapes(f) for f in sorted(forms, key=len, reverse=True)]
        alternatives += [MINTED] + ([JWT] if jwt else [])
        self._pattern = re.compile("|".join(alternatives))
        raw = [re.escape(s.encode("utf-8", "surrogatepass")) for s in self.secrets]
        raw += [MINTED.encode()] + ([JWT.encode()] if jwt else [])
        self._bytes_pattern = re.compile(b"|".join(raw))

    @classmethod
    def from_config(cls, config: Config, extra: Iterable[str | None] = ()) -> Redactor:
        auth = config.auth
        secrets = [auth.service_token, auth.api_key, auth.oauth.client_secret, *extra]
        return cls(secrets, config.redacted_headers, jwt=auth.jwt.enabled)

    # -- text ---------------------------------------------------------------------------------

    def leaks(self, text: str) -> bool:
        """Whether the text holds a secret this redactor knows (raw, encoded, in base64)."""
        if self._pattern.search(text) is not None:
            return True
        return any(self._base64_run(m) == REDACTED for m in _BASE64_RUN.finditer(text))

    def text(self, text: str) -> str:
        """Any text (a message, a log line, a body): secrets and credential parameters cut."""
        if not text:
            return text
        text = self._pattern.sub(REDACTED, text)
        text = _ANY_PARAM.sub(rf"\1{REDACTED}", text)
        text = _ANY_JSON.sub(rf'\1"{REDACTED}"', text)
        return _BASE64_RUN.sub(self._base64_run, text)

    def optional(self, text: str | None) -> str | None:
        return None if text is None else self.text(text)

    def data(self, data: bytes) -> bytes:
        """Bytes (a binary body): secrets cut."""
        return self._bytes_pattern.sub(REDACTED.encode(), data)

    # -- URLs, queries, headers ---------------------------------------------------------------

    def query(self, query: str, names: frozenset[str] = ANYWHERE_SECRETS) -> str:
        """A raw query with secret values (by name, or by content) cut; the rest byte for byte."""
        if not query:
            return query
        parts = []
        for part in query.split("&"):
            name, sep, value = part.partition("=")
            if sep and (unquote_plus(name).lower() in names or self.leaks(unquote_plus(value))):
                part = f"{self.text(name)}={REDACTED}"
            else:
                part = self.text(part)
            parts.append(part)
        return "&".join(parts)

    def url(self, url: str, names: frozenset[str] = ANYWHERE_SECRETS) -> str:
        base, sep, rest = url.partition("?")
        if not sep:
            base, hash_sep, fragment = url.partition("#")
            return self.text(base) + (hash_sep + self.query(fragment, names) if hash_sep else "")
        query, hash_sep, fragment = rest.partition("#")
        tail = hash_sep + self.query(fragment, names) if hash_sep else ""
        return self.text(base) + "?" + self.query(query, names) + tail

    def header_value(self, value: str, names: frozenset[str] = ANYWHERE_SECRETS) -> str:
        if "?" in value or "=" in value:
            value = self.url(value, names)
        return self.text(value)

    def _base64_run(self, match: re.Match[str]) -> str:
        run = match.group()
        try:
            decoded = base64.b64decode(
                run.replace("-", "+").replace("_", "/") + "=" * (-len(run) % 4)
            )
        except (binascii.Error, ValueError):
            return run
        return REDACTED if self._bytes_pattern.search(decoded) else run

    def headers(self, headers: Headers, oauth: bool = False) -> Headers:
        names = OAUTH_SECRETS | ANYWHERE_SECRETS if oauth else ANYWHERE_SECRETS
        cut = self.header_names
        return [
            (self.text(k), REDACTED if k.lower() in cut else self.header_value(v, names))
            for k, v in headers
        ]

    # -- bodies -------------------------------------------------------------------------------

    def body(self, text: str | None, binary: bool = False, oauth: bool = False) -> str | None:
        """A stored body (text, or base64 when binary) with its secrets cut."""
        if not text:
            return text
        if binary:
            try:
                data = base64.b64decode(text, validate=True)
            except (binascii.Error, ValueError):
                return self.text(text)
            cut = self.data(data)
            return text if cut == data else base64.b64encode(cut).decode("ascii")
        names = OAUTH_SECRETS | ANYWHERE_SECRETS if oauth else ANYWHERE_SECRETS
        stripped = text.lstrip()
        if "=" in stripped and not stripped.startswith(("{", "[", "<")):
            text = self.query(text, names)  # a form
        if oauth:
            text = _OAUTH_JSON.sub(rf'\1"{REDACTED}"', text)
        return self.text(text)

    # -- events -------------------------------------------------------------------------------

    def event(self, event: Event) -> Event:
        """Every text field of the event with its secrets cut (in place; returned)."""
        oauth = event.path.startswith(OAUTH_PREFIX)
        names = OAUTH_SECRETS | ANYWHERE_SECRETS if oauth else ANYWHERE_SECRETS
        event.url = self.url(event.url, names)
        event.path = self.text(event.path)
        event.query = self.query(event.query, names)
        event.request_headers = self.headers(event.request_headers, oauth)
        event.response_headers = self.headers(event.response_headers, oauth)
        event.request_body = self.body(event.request_body, event.request_binary, oauth)
        event.response_body = self.body(event.response_body, event.response_binary, oauth)
        event.error = self.message(event.error) if event.error else event.error
        event.violations = [
            replace(v, message=self.message(v.message), where=self.text(v.where))
            for v in event.violations
        ]
        event.user_id = self.optional(event.user_id)
        event.plan = self.optional(event.plan)
        event.conversation_id = self.optional(event.conversation_id)
        event.comment = self.optional(event.comment)
        return event

    def message(self, text: str) -> str:
        """A message (an error, a notice, a log line): also the OAuth parameters in its URLs."""
        return _OAUTH_PARAM.sub(rf"\1{REDACTED}", self.text(text))

    # -- the log ------------------------------------------------------------------------------

    def install_in_logging(self) -> None:
        """Every log record of this process, and uncaught thread tracebacks, pass through it."""
        _LogRedaction.install(self)


class _LogRedaction:
    """The record factory and thread hook that redact; installed once, its redactor replaced."""

    redactor: Redactor | None = None
    _installed = False
    _lock = threading.Lock()

    @classmethod
    def install(cls, redactor: Redactor) -> None:
        with cls._lock:
            cls.redactor = redactor
            if cls._installed:
                return
            cls._installed = True
            previous = logging.getLogRecordFactory()

            def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
                record = previous(*args, **kwargs)
                return cls.redact(record)

            logging.setLogRecordFactory(factory)
            threading.excepthook = cls.thread_hook

    @classmethod
    def redact(cls, record: logging.LogRecord) -> logging.LogRecord:
        redactor = cls.redactor
        if redactor is None:
            return record
        try:
            record.msg, record.args = redactor.message(record.getMessage()), None
            if record.exc_info and record.exc_info[0] is not None:
                text = "".join(traceback.format_exception(*record.exc_info))
                record.exc_text = redactor.message(text.rstrip("\n"))
        except Exception:  # a log line is never worth a crash
            record.msg, record.args = "(a log message that could not be redacted)", None
        return record

    @classmethod
    def thread_hook(cls, args: threading.ExceptHookArgs) -> None:
        if args.exc_type is SystemExit:
            return
        text = "".join(
            traceback.format_exception(args.exc_type, args.exc_value, args.exc_traceback)
        )
        name = args.thread.name if args.thread is not None else "?"
        redactor = cls.redactor
        text = redactor.message(text) if redactor is not None else text
        print(f"Exception in thread {name}:\n{text}", file=sys.stderr, end="")
