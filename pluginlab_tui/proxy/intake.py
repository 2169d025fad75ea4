"""First stage: every request gets an exchange (event id, time, client address, version)."""

from __future__ import annotations

from mitmproxy import http

from pluginlab_tui.proxy.exchange import Exchange, attach
from pluginlab_tui.proxy.grant import GrantGate
from pluginlab_tui.proxy.runtime import Runtime


class Intake:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.grants = GrantGate(runtime.conn)

    def request(self, flow: http.HTTPFlow) -> None:
        peer = flow.client_conn.peername
        peer_ip = str(peer[0]) if peer else ""
        exchange = Exchange(
            served=self.runtime.service.current,
            client_ip=self.runtime.client_ip(peer_ip, flow.request.headers),
        )
        # A replay/simulate grant (loopback, signed) stamps source and caller; always stripped.
        self.grants.apply(exchange, flow.request.headers, peer_ip)
        attach(flow, exchange)
        self.runtime.inflight[id(flow)] = flow
