"""First stage: every request gets an exchange (event id, time, client address, version).

Before any other stage sees the request it is made the proxy's own: the replay grant is
verified, then every `X-PluginLab-*` header the caller sent is removed (only the proxy speaks
for the proxy: the identity the backend is told comes from runtime.identity_headers), and the
path is made canonical (pluginlab_tui/urlpath.py), so the routes, the auth gate, the plan
gating, the checks, the recorder and the backend all see one and the same path. A path that
servers would split differently (an encoded slash or backslash) is refused here with 400.
A launcher's readiness probe (a loopback GET of the health route with X-PluginLab-Probe) is
answered like any health request and recorded as no event.
"""

from __future__ import annotations

from mitmproxy import http

from pluginlab_tui.access.grant import GrantGate, is_loopback
from pluginlab_tui.proxy.answers import problem_response
from pluginlab_tui.proxy.exchange import Exchange, attach
from pluginlab_tui.proxy.runtime import Runtime
from pluginlab_tui.urlpath import AmbiguousPath, normalise_target
from pluginlab_tui.validation.validator import RequestCheck
from pluginlab_tui.validation.violations import CODES, Violation
from pluginlab_tui.wire import HEADER_PREFIX, HEALTH_ROUTE, PROBE_HEADER

_PREFIX = HEADER_PREFIX.encode()


def strip_proxy_headers(headers: http.Headers) -> None:
    """Remove every header in the proxy's namespace, whatever its case or how often it came.
    Read off the raw fields: mitmproxy's `headers.keys()` decodes each name through several
    calls (a tenth of the intake's time, profiled)."""
    fields = headers.fields
    if any(name.lower().startswith(_PREFIX) for name, _ in fields):
        headers.fields = tuple((k, v) for k, v in fields if not k.lower().startswith(_PREFIX))


class Intake:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.grants = GrantGate(runtime.conn)

    def request(self, flow: http.HTTPFlow) -> None:
        peer = flow.client_conn.peername
        peer_ip = str(peer[0]) if peer else ""
        headers = flow.request.headers
        exchange = Exchange(
            served=self.runtime.service.current,
            client_ip=self.runtime.client_ip(peer_ip, headers),
        )
        # A replay/simulate grant (loopback, signed) stamps source and caller; always stripped.
        self.grants.apply(exchange, headers, peer_ip)
        probe = PROBE_HEADER in headers and is_loopback(peer_ip)
        strip_proxy_headers(headers)
        attach(flow, exchange)
        try:
            flow.request.path = normalise_target(flow.request.path)
        except AmbiguousPath as exc:
            self.runtime.inflight[id(flow)] = flow
            # A caller outside auth.allow_ips is answered by the allow-list, first of all.
            if self.runtime.auth.allow.allows(exchange.client_ip):
                refuse_ambiguous(flow, exchange, str(exc))
            return
        exchange.mcp = self.runtime.mcp_paths.covers(flow.request.path.split("?", 1)[0])
        if probe and flow.request.method == "GET" and flow.request.path == HEALTH_ROUTE:
            exchange.recorded = True  # the launcher's readiness probe (launcher.py) is no event
        else:
            self.runtime.inflight[id(flow)] = flow


def refuse_ambiguous(flow: http.HTTPFlow, exchange: Exchange, reason: str) -> None:
    """400 with the `ambiguous_path` violation; no later stage and no backend sees it."""
    violation = Violation(
        "ambiguous_path",
        "request",
        "path",
        f"the path has {reason}: servers split it differently, so it is refused",
    )
    exchange.check = RequestCheck(None, None, [violation])
    exchange.response_violations = []
    exchange.answered_by = "proxy"
    status = CODES["ambiguous_path"][1]
    flow.response = problem_response(status, "The request path is ambiguous", [violation])
