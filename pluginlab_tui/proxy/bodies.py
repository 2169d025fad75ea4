"""A message's body with its content codings undone, bounded by proxy.max_inflated_bytes.

Every stage that reads a body's content goes through `decoded` (never mitmproxy's
`get_content()`, `.text` or `urlencoded_form`, which inflate without a bound). The result is kept
on the exchange, so the checks and the recorder inflate each body once.
"""

from __future__ import annotations

from mitmproxy import http

from pluginlab_tui.inflate import Inflated, inflate
from pluginlab_tui.proxy.exchange import Exchange


def decoded(message: http.Message, limit: int, exchange: Exchange | None = None) -> Inflated:
    """The message's decoded body, at most `limit` bytes (cached on the exchange)."""
    if exchange is not None:
        for seen, body in exchange.bodies:
            if seen is message:
                return body
    body = inflate(message.raw_content or b"", message.headers.get("content-encoding"), limit)
    if exchange is not None:
        exchange.bodies.append((message, body))
    return body


def replace_content(message: http.Message, content: bytes, exchange: Exchange) -> None:
    """Put `content` in place of the body (strict mode's answer), its old decoding forgotten so
    that the event keeps what the caller gets."""
    message.content = content
    exchange.bodies[:] = [(seen, body) for seen, body in exchange.bodies if seen is not message]
