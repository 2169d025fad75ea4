"""What a replay sends: the recorded request, and the credentials that replace redacted ones."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field

from pluginlab_tui.config import Config
from pluginlab_tui.mcp.jsonrpc import batch_member
from pluginlab_tui.store.event import Event
from pluginlab_tui.wire import GRANT_HEADER, REDACTED

TOKEN_ENV = "PLUGINLAB_TOKEN"

#: Request headers never re-sent: they belong to the connection or are made again.
SKIP_REQUEST_HEADERS = frozenset(
    {
        "host",
        "content-length",
        "connection",
        "keep-alive",
        "proxy-connection",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        GRANT_HEADER.lower(),
    }
)


@dataclass
class ReplayRequest:
    """What is sent: method, path (no query), raw query string, headers in order, body."""

    method: str
    path: str
    query: str = ""
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes | None = None

    @classmethod
    def from_event(cls, event: Event) -> ReplayRequest:
        """The request as recorded; of an MCP message that came in a batch, that message alone."""
        body = event_body(event.request_body, event.request_binary)
        if event.protocol == "mcp" and event.rpc_id is not None and body:
            body = batch_member(body, event.rpc_id) or body
        return cls(
            method=event.method,
            path=event.path,
            query=event.query,
            headers=[
                (k, v) for k, v in event.request_headers if k.lower() not in SKIP_REQUEST_HEADERS
            ],
            body=body,
        )

    @property
    def target(self) -> str:
        """The path with its query, as on a request line."""
        return self.path + ("?" + self.query if self.query else "")

    def header(self, name: str) -> str | None:
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None


def event_body(text: str | None, binary: bool) -> bytes | None:
    """A stored body as bytes (stored binary bodies are base64)."""
    if text is None:
        return None
    if binary:
        return base64.b64decode(text)
    return text.encode("utf-8")


@dataclass(frozen=True)
class Credentials:
    """What replaces the redacted credentials when a request goes straight to a target."""

    token: str
    header: str = "Authorization"
    #: Bearer or Basic in front of the token (Authorization only); None: the bare token.
    scheme: str | None = "Bearer"

    @classmethod
    def for_config(cls, token: str, config: Config) -> Credentials:
        auth = config.auth
        if auth.mode == "api_key" and auth.api_key_header.lower() != "authorization":
            return cls(token, auth.api_key_header, None)
        return cls(token, "Authorization", auth.authorization_type.capitalize())

    def value(self) -> str:
        return f"{self.scheme} {self.token}" if self.scheme else self.token


def outgoing_headers(
    request: ReplayRequest, credentials: Credentials | None = None
) -> list[tuple[str, str]]:
    """The headers to send: redacted values dropped, credentials put in when given."""
    out = [
        (k, v)
        for k, v in request.headers
        if v != REDACTED and k.lower() not in SKIP_REQUEST_HEADERS
    ]
    if credentials is not None:
        out = [(k, v) for k, v in out if k.lower() != credentials.header.lower()]
        out.append((credentials.header, credentials.value()))
    return out


def redacted_credentials(request: ReplayRequest) -> list[str]:
    """Names of the request's headers whose values the store redacted."""
    return [k for k, v in request.headers if v == REDACTED]
