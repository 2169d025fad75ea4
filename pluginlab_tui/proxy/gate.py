"""The auth gate's stages: they read the flow, ask access/gate.py, and answer refusals.

`IpGate` runs first of all (the allow-list covers every route, the proxy's own too). `AuthGate`
runs after the proxy-owned routes and before the contract checks, and puts every decision on the
exchange (auth_mode, auth_result, user_id, plan). A request the replay grant stamped (Intake)
with a user is taken as that user; verifying the grant and stripping its header is Intake's job.
The MCP endpoint's access token is the proxy's own and never passes to the backend (the MCP
authorization spec forbids passing tokens through): the backend learns the caller from the
identity headers, or from the JWT with auth.jwt.
"""

from __future__ import annotations

from mitmproxy import http

from pluginlab_tui.access.gate import REPLAYED, Gate, Verdict, answer, ip_denied
from pluginlab_tui.access.state import AuthState
from pluginlab_tui.config import Config
from pluginlab_tui.proxy.answers import json_response
from pluginlab_tui.proxy.checks import check_request
from pluginlab_tui.proxy.exchange import Exchange, request_stage
from pluginlab_tui.proxy.runtime import Runtime
from pluginlab_tui.wire import PROXY_PREFIX


def _refusal(exchange: Exchange, verdict: Verdict) -> http.Response:
    exchange.answered_by = "proxy"
    return json_response(*answer(verdict, exchange.auth_mode))


class IpGate:
    """The allow-list (`auth.allow_ips`), before anything else answers."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    @request_stage
    def request(self, flow: http.HTTPFlow, exchange: Exchange) -> None:
        verdict = ip_denied(self.runtime.auth, exchange.client_ip)
        if verdict is None:
            return
        exchange.auth_mode = self.runtime.config.auth.mode
        exchange.auth_result = verdict.result
        flow.response = _refusal(exchange, verdict)


class AuthGate:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.config: Config = runtime.config

    @property
    def state(self) -> AuthState:
        return self.runtime.auth

    @request_stage
    async def request(self, flow: http.HTTPFlow, exchange: Exchange) -> None:
        if flow.request.path.startswith(PROXY_PREFIX):
            return  # proxy-owned: answered by the routes stages (CORS preflights are answered)
        gate = Gate(self.config, self.state)
        exchange.auth_mode = self.config.auth.mode
        replay = exchange.source in REPLAYED and exchange.user_id is not None
        if replay:
            assert exchange.user_id is not None
            verdict = gate.replayed(exchange.user_id, exchange.plan)
        else:
            fields = flow.request.headers.fields
            checked = await gate.external_check(fields) if exchange.mcp else None
            verdict = gate.authenticate(fields, mcp=exchange.mcp, checked=checked)
        # Whatever the plan and limits say next, the token's client is the event's.
        exchange.oauth_client_id = verdict.client_id
        if verdict.result == "ok" and gate.gates_operations(verdict):
            # No operation (MCP traffic): a plan that lists its operations refuses it.
            check_request(exchange, flow, self.config.proxy.max_inflated_bytes)
            verdict = gate.allow(verdict, exchange.operation_id)
        if verdict.result == "ok" and not replay:
            verdict = gate.limit(verdict)
        exchange.auth_result = verdict.result
        exchange.user_id = verdict.user_id
        exchange.plan = verdict.plan
        exchange.scopes = verdict.scopes
        if verdict.result != "ok":
            flow.response = _refusal(exchange, verdict)
            return
        if self.state.signer is not None:
            # With auth.jwt the backend's Authorization is the proxy's word: its JWT, or none
            # (a caller's own Authorization, a JWT it kept from elsewhere say, never passes).
            served = exchange.served
            token = gate.backend_token(verdict, None if served is None else served.files)
            if token is None:
                flow.request.headers.pop("Authorization", None)
            else:
                flow.request.headers["Authorization"] = f"Bearer {token}"
        elif exchange.mcp and self.state.resource is not None:
            flow.request.headers.pop("Authorization", None)
