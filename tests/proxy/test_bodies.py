"""A message's body decoded once per exchange, bounded."""

from __future__ import annotations

import gzip

from mitmproxy.test import tflow

from pluginlab_tui.proxy.bodies import decoded
from pluginlab_tui.proxy.exchange import Exchange
from tests.bombs import gzip_bomb


def test_a_body_is_decoded_once_per_exchange_and_bounded() -> None:
    flow = tflow.tflow()
    flow.request.headers["content-encoding"] = "gzip"
    flow.request.raw_content = gzip.compress(b'{"title": "milk"}')
    exchange = Exchange(served=None)
    first = decoded(flow.request, 1000, exchange)
    assert first.content == b'{"title": "milk"}' and first.complete
    assert decoded(flow.request, 1000, exchange) is first
    flow.request.raw_content = gzip_bomb(16 * 1024 * 1024)
    fresh = decoded(flow.request, 1000)  # no exchange: not cached
    assert len(fresh.content) == 1000 and fresh.too_large
