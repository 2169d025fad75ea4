"""One redactor for every way an event or a message leaves the proxy.

Built once from the config, it cuts, wherever they are in a text (a header, a query, a body, a
URL, an error message, a notice, a log line):

- every configured secret (auth.service_token, auth.api_key, auth.oauth.client_secret,
  auth.oauth.introspection_client_secret and any extra the caller adds, e.g. the JWT signing
  key), raw and in its URL-, JSON- and base64 forms;
- every secret this proxy mints (user keys, OAuth codes, access and refresh tokens, client
  secrets, those of registered MCP clients too: `pl?_...`, wherever the prefix starts, even
  after a word character);
- the JWTs the proxy signs for the backend, when auth.jwt is enabled;
- the values of the header names of store.redact_headers (and the replay grant);
- the values of credential parameters (access_token, refresh_token, client_secret, api_key,
  code_verifier, client_assertion, registration_access_token) in any query, form or JSON body
  and free text, and on the OAuth endpoints also codes, tokens and passwords (the Location and
  Referer URLs included).

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
from pluginlab_tui.wire import GRANT_HEADER, OAUTH_PREFIX, REDACTED

if TYPE_CHECKING:
    from pluginlab_tui.config import Config

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
ANYWHERE_SECRETS = frozenset(
    {
        "access_token",
        "refresh_token",
        "client_secret",
        "api_key",
        "code_verifier",
        "client_assertion",
        "registration_access_token",
    }
)
#: Headers always stored as [redacted], whatever store.redact_headers says.
ALWAYS_REDACTED = frozenset({GRANT_HEADER.lower()})
DEFAULT_HEADERS = frozenset({"authorization", "cookie", "set-cookie", "proxy-authorization"})
#: Secrets minted here: keys, codes, access and refresh tokens, client secrets.
MINTED = r"pl[ckarsj]_[A-Za-z0-9_-]{20,}"
#: A JWT (header.payload.signature, base64url).
JWT = r"eyJ[A-Za-z0-9_-]{4,}\.eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{8,}"
#: Base64 runs shorter than this are not decoded: a minted token's base64 is longer.
_BASE64_MIN = 32
#: Texts longer than this (big bodies) are not searched for secrets inside base64 runs: the
#: scan would cost more than the writer can spare. Raw, URL- and JSON-encoded and whole-base64
#: forms of every secret, and every minted token, are still cut from them.
_BASE64_SCAN_MAX = 65_536


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


class _Gate:
    """Does a text hold any of these literals? A regex on short texts, `in` on long ones (the
    regex engine has no fast search for many literals; `in` has, but costs a call each)."""

    _SHORT = 4096

    def __init__(self, literals: Iterable[str]) -> None:
        self.literals = tuple(sorted(set(literals)))
        self._any = re.compile("|".join(re.escape(x) for x in self.literals) or "(?!)")

    def __call__(self, text: str) -> bool:
        if not self.literals:
            return False
        if len(text) <= self._SHORT:
            return self._any.search(text) is not None
        return any(x in text for x in self.literals)


class _NameRule:
    """Values of credential parameters by name: `name=value` in any text, `"name": "..."` in
    JSON. The regexes run only on a text that holds one of the names (any case)."""

    def __init__(self, names: frozenset[str]) -> None:
        self.names = names
        self.gate = _Gate(names)
        self.param, self.json = _param_rule(names), _json_rule(names)

    def apply(
        self, text: str, *, params: bool = True, fields: bool = True, lowered: str | None = None
    ) -> str:
        lowered = text.lower() if lowered is None else lowered
        if not self.gate(lowered):
            return text
        if params:
            text = self.param.sub(rf"\1{REDACTED}", text)
        if fields:
            text = self.json.sub(rf'\1"{REDACTED}"', text)
        return text


_ANYWHERE, _OAUTH = _NameRule(ANYWHERE_SECRETS), _NameRule(OAUTH_SECRETS)


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


def _base64_cores(known: bytes) -> set[str]:
    """What base64 of any text holding `known` must contain, wherever `known` sits in it: at
    each of the 3 alignments, the characters whose 6 bits all come from `known`."""
    cores: set[str] = set()
    for shift in range(3):
        encoded = base64.b64encode(b"\0" * shift + known + b"\0\0").decode("ascii")
        first, end = -(-8 * shift // 6), (8 * (shift + len(known))) // 6
        core = encoded[first:end]
        if len(core) >= 4:
            cores |= {core, core.replace("+", "-").replace("/", "_")}
    return cores


#: The base64 cores of every minted token's prefix (`plk_`, `pla_`...).
_MINTED_CORES = frozenset(c for kind in "ckarsj" for c in _base64_cores(f"pl{kind}_".encode()))


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
        #: Lower-cased forms: a cheap test before the regex runs.
        self._gates = _Gate(f.lower() for f in forms)
        ordered = sorted(forms, key=len, reverse=True)
        self._secrets = re.compile("|".join(_any_case_escapes(f) for f in ordered) or "(?!)")
        #: The minted-token (and JWT) pattern: it starts with a literal, so it scans fast.
        self._minted = re.compile("|".join([MINTED] + ([JWT] if jwt else [])))
        raw = [re.escape(s.encode("utf-8", "surrogatepass")) for s in self.secrets]
        raw += [MINTED.encode()] + ([JWT.encode()] if jwt else [])
        self._bytes_pattern = re.compile(b"|".join(raw))
        cores = set(_MINTED_CORES)
        for secret in self.secrets:
            cores |= _base64_cores(secret.encode("utf-8", "surrogatepass"))
        #: A text holding none of these holds no secret in base64: the run scan is skipped.
        self._base64_gates = _Gate(cores)
        shortest = min((len(s) for s in self.secrets), default=_BASE64_MIN)
        self._base64_runs = re.compile(
            rf"[A-Za-z0-9+/_-]{{{max(8, min(_BASE64_MIN, shortest * 4 // 3))},}}={{0,2}}"
        )

    @classmethod
    def from_config(cls, config: Config, extra: Iterable[str | None] = ()) -> Redactor:
        auth = config.auth
        oauth = auth.oauth
        secrets = [
            auth.service_token,
            auth.api_key,
            oauth.client_secret,
            oauth.introspection_client_secret,
            *extra,
        ]
        return cls(secrets, config.redacted_headers, jwt=auth.jwt.enabled)

    # -- text ---------------------------------------------------------------------------------

    def leaks(self, text: str) -> bool:
        """Whether the text holds a secret this redactor knows (raw, encoded, in base64)."""
        if self._minted.search(text) is not None or self._secret_forms(text) != text:
            return True
        if len(text) > _BASE64_SCAN_MAX or not self._base64_gates(text):
            return False
        return any(self._base64_run(m) == REDACTED for m in self._base64_runs.finditer(text))

    def _secret_forms(self, text: str, lowered: str | None = None) -> str:
        lowered = text.lower() if lowered is None else lowered
        if not self._gates(lowered):
            return text
        return self._secrets.sub(REDACTED, text)

    def text(self, text: str) -> str:
        """Any text (a message, a log line, a body): secrets and credential parameters cut."""
        if not text:
            return text
        lowered = text.lower()
        cut = self._secret_forms(text, lowered)
        text = _ANYWHERE.apply(cut, lowered=lowered if cut is text else None)
        text = self._minted.sub(REDACTED, text)
        if len(text) > _BASE64_SCAN_MAX or not self._base64_gates(text):
            return text
        return self._base64_runs.sub(self._base64_run, text)

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
        if _form_like(text):
            text = self.query(text, names)  # a form
        if oauth:
            text = _OAUTH.apply(text, params=False)
        return self.text(text)

    # -- events -------------------------------------------------------------------------------

    def event(self, event: Event) -> Event:
        """Every text field of the event with its secrets cut (in place; returned).

        Most events hold nothing to cut but the values of the headers redacted by name: a few
        searches over all their texts at once tell so (`_nothing_to_cut`), where cutting them
        one by one runs a few searches per text (`_cut`, the rule whatever the event holds)."""
        if not self._nothing_to_cut(event):
            return self._cut(event)
        event.request_headers = self._by_name(event.request_headers)
        event.response_headers = self._by_name(event.response_headers)
        return event

    def _nothing_to_cut(self, event: Event) -> bool:
        """True only when `_cut` would change nothing but the headers redacted by name.

        Conservative: it says False whenever any one text could hold what a cut looks for. Over
        every text joined, none of the gates the cuts run behind may open: no secret's form, no
        credential parameter's name (those of OAuth too, where the cuts look for them), no minted
        token or JWT, no base64 core. A binary body is cut as bytes, and a text that may be read
        as a query (the URL, the query, header values, a form) may hold a secret percent- or
        plus-encoded in a way no form has: either sends the event the long way.
        """
        if (event.request_binary and event.request_body) or (
            event.response_binary and event.response_body
        ):
            return False
        oauth = event.path.startswith(OAUTH_PREFIX)
        headers = event.request_headers + event.response_headers
        # The value of a header redacted by name is not searched: it is cut whatever it holds.
        values = [v for k, v in headers if k.lower() not in self.header_names]
        bodies = [b for b in (event.request_body, event.response_body) if b]
        unquoted = [event.url, event.query, *values, *(b for b in bodies if _form_like(b))]
        joined = "\0".join(unquoted)
        if "%" in joined or "+" in joined:
            return False
        texts = [event.url, event.path, *bodies, *(t for t in _optional(event) if t)]
        texts += [*(k for k, _ in headers), *values, *(v.where for v in event.violations)]
        messages = [*(v.message for v in event.violations), *event.skipped]
        messages += [event.error] if event.error else []
        return self._untouched(texts, oauth=oauth) and self._untouched(messages, oauth=True)

    def _untouched(self, texts: list[str], *, oauth: bool) -> bool:
        """Whether no gate of the text cuts opens on any of these texts (OAuth's names too)."""
        if not texts:
            return True
        joined = "\0".join(texts)
        lowered = joined.lower()  # as each lowered apart: NUL is no letter, and no final sigma's
        return not (
            self._gates(lowered)
            or _ANYWHERE.gate(lowered)
            or (oauth and _OAUTH.gate(lowered))
            or self._minted.search(joined) is not None
            or self._base64_gates(joined)
        )

    def _by_name(self, headers: Headers) -> Headers:
        """The headers, the values of those redacted by name cut (the list itself when none is)."""
        cut = self.header_names
        if not any(k.lower() in cut for k, _ in headers):
            return headers
        return [(k, REDACTED if k.lower() in cut else v) for k, v in headers]

    def _cut(self, event: Event) -> Event:
        """Every text field cut one by one: what `event` does to an event that holds anything."""
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
        event.skipped = [self.message(why) for why in event.skipped]
        event.user_id = self.optional(event.user_id)
        event.plan = self.optional(event.plan)
        event.conversation_id = self.optional(event.conversation_id)
        event.comment = self.optional(event.comment)
        return event

    def message(self, text: str) -> str:
        """A message (an error, a notice, a log line): also the OAuth parameters in its URLs."""
        return _OAUTH.apply(self.text(text), fields=False)

    # -- the log ------------------------------------------------------------------------------

    def install_in_logging(self) -> None:
        """Every log record of this process, and uncaught thread tracebacks, pass through it."""
        _LogRedaction.install(self)


def _form_like(body: str) -> bool:
    """Whether a text body is cut as a form (name=value pairs), not as JSON, markup or text."""
    stripped = body.lstrip()
    return "=" in stripped and not stripped.startswith(("{", "[", "<"))


def _optional(event: Event) -> tuple[str | None, ...]:
    """The event's free text fields beside its messages, as `Redactor._cut` cuts them."""
    return (event.query, event.user_id, event.plan, event.conversation_id, event.comment)


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
