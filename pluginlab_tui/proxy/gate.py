"""The auth gate: the mitmproxy stages that decide who may reach the backend.

`IpGate` runs first of all (the allow-list covers every route, the proxy's own too). `AuthGate`
runs after the proxy-owned routes and before the contract checks: it checks the credentials of
the configured mode, the caller's plan (allowed operations), then the plan's rate limit and
quota, and puts every decision on the exchange (auth_mode, auth_result, user_id, plan).

Replay seam: a request that an earlier stage marked as a replay (`exchange.source` "replay",
or "simulate") with `exchange.user_id` already set, by the replay grant of DESIGN.md ("Replay,
simulate and credentials"; access/grant.py), is taken as that user (plan: `exchange.plan` when
set, else the user's) with auth_result ok, without asking for credentials and without counting
it against rate limits or quotas. Verifying the grant and stripping its header is that stage's
job, not this one's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mitmproxy import http

from pluginlab_tui.access.credentials import (
    Presented,
    header_values,
    one_value,
    parse_authorization,
    same_secret,
)
from pluginlab_tui.access.state import AuthState
from pluginlab_tui.access.users import get_user, user_by_key
from pluginlab_tui.config import Config
from pluginlab_tui.proxy.answers import json_response
from pluginlab_tui.proxy.checks import request_of
from pluginlab_tui.proxy.exchange import Exchange, unanswered
from pluginlab_tui.proxy.runtime import Runtime
from pluginlab_tui.wire import PROXY_PREFIX, REPLAY, SIMULATE

REALM = 'realm="pluginlab"'
#: Sources set only by a verified replay grant (access/grant.py).
REPLAYED = frozenset({REPLAY, SIMULATE})


@dataclass(frozen=True, slots=True)
class Verdict:
    """The gate's decision: ok with a caller, or a refusal to answer."""

    result: str
    user_id: str | None = None
    plan: str | None = None
    status: int = 200
    message: str = ""
    challenge: str | None = None  # the WWW-Authenticate value, when it applies
    retry_after: int | None = None  # seconds, for 429
    extra: dict[str, Any] = field(default_factory=dict)  # more fields for the JSON body


def _refuse(result: str, message: str, challenge: str | None, status: int = 401) -> Verdict:
    return Verdict(result, status=status, message=message, challenge=challenge)


def _answer(exchange: Exchange, verdict: Verdict) -> http.Response:
    body: dict[str, Any] = {
        "error": verdict.result,
        "message": verdict.message,
        "auth_mode": exchange.auth_mode,
        **verdict.extra,
    }
    headers: dict[str, str] = {}
    if verdict.challenge is not None:
        headers["WWW-Authenticate"] = verdict.challenge
    if verdict.retry_after is not None:
        headers["Retry-After"] = str(verdict.retry_after)
        body["retry_after"] = verdict.retry_after
    return json_response(verdict.status, body, headers)


class IpGate:
    """The allow-list (`auth.allow_ips`), before anything else answers."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    def request(self, flow: http.HTTPFlow) -> None:
        exchange = unanswered(flow)
        if exchange is None:
            return
        state: AuthState = self.runtime.auth
        if state.allow.allows(exchange.client_ip):
            return
        exchange.auth_mode = self.runtime.config.auth.mode
        exchange.auth_result = "ip_denied"
        exchange.answered_by = "proxy"
        verdict = _refuse(
            "ip_denied",
            f"{exchange.client_ip or 'this address'} is not in auth.allow_ips",
            None,
            status=403,
        )
        flow.response = _answer(exchange, verdict)


class AuthGate:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.config: Config = runtime.config

    @property
    def state(self) -> AuthState:
        return self.runtime.auth

    def request(self, flow: http.HTTPFlow) -> None:
        exchange = unanswered(flow)
        if exchange is None:
            return
        if flow.request.path.startswith(PROXY_PREFIX):
            return  # proxy-owned: answered by the routes stages (CORS preflights are answered)
        exchange.auth_mode = self.config.auth.mode
        replay = exchange.source in REPLAYED and exchange.user_id is not None
        verdict = self._replayed(exchange) if replay else self._authenticate(flow)
        if verdict.result == "ok":
            verdict = self._gate_operation(flow, exchange, verdict)
        if verdict.result == "ok" and not replay:
            verdict = self._limit(verdict)
        exchange.auth_result = verdict.result
        exchange.user_id = verdict.user_id
        exchange.plan = verdict.plan
        if verdict.result != "ok":
            exchange.answered_by = "proxy"
            flow.response = _answer(exchange, verdict)
            return
        if self.state.signer is not None:
            # With auth.jwt the backend's Authorization is the proxy's word: its JWT, or none
            # (a caller's own Authorization, a JWT it kept from elsewhere say, never passes).
            if verdict.user_id is None:
                flow.request.headers.pop("Authorization", None)
                return
            audience = self.config.auth.jwt.audience or _audience(exchange)
            token = self.state.signer.sign(verdict.user_id, verdict.plan, audience)
            flow.request.headers["Authorization"] = f"Bearer {token}"

    # -- who is calling -------------------------------------------------------------------

    def _replayed(self, exchange: Exchange) -> Verdict:
        assert exchange.user_id is not None
        plan = exchange.plan
        if plan is None:
            user = get_user(self.state.conn, exchange.user_id)
            plan = self._plan_of(user.plan if user else None)
        return Verdict("ok", exchange.user_id, plan)

    def _plan_of(self, plan: str | None) -> str | None:
        return plan if plan is not None else self.config.auth.default_plan

    def _authenticate(self, flow: http.HTTPFlow) -> Verdict:
        auth = self.config.auth
        mode = auth.mode
        if mode == "none":
            return Verdict("ok", None, self._plan_of(None))
        fields = flow.request.headers.fields
        if mode == "api_key" and auth.api_key_header.lower() != "authorization":
            name = auth.api_key_header
            value, problem = one_value(header_values(fields, name), name)
            if problem is not None:
                return _refuse("invalid", problem, None)
            if value is None or not value.strip():
                return _refuse("missing", f"send the API key in the {name} header", None)
            assert auth.api_key is not None
            if not same_secret(value.strip(), auth.api_key):
                return _refuse("invalid", f"the {name} key is wrong", None)
            return Verdict("ok", None, self._plan_of(None))
        expected = "bearer" if mode == "oauth" else auth.authorization_type
        challenge = f"{expected.title()} {REALM}"
        what = {
            "service_http": "the service token",
            "user_http": "your user key",
            "oauth": "an OAuth access token",
            "api_key": "the API key",
        }[mode]
        header, problem = one_value(header_values(fields, "Authorization"), "Authorization")
        if problem is not None:
            return _refuse("invalid", problem, _bearer_error(challenge, mode, "invalid_request"))
        presented = parse_authorization(header, expected)
        if presented is None:
            return _refuse(
                "missing",
                f"this plugin uses {mode} auth: send Authorization: {expected.title()} <{what}>",
                challenge,
            )
        if not presented.candidates:
            return _refuse(
                "invalid",
                f"malformed Authorization header: {presented.problem}",
                _bearer_error(challenge, mode, "invalid_request"),
            )
        if mode in ("service_http", "api_key"):
            secret = auth.service_token if mode == "service_http" else auth.api_key
            assert secret is not None
            if not _any_same(presented, secret):
                return _refuse("invalid", f"{what} is wrong", challenge)
            return Verdict("ok", None, self._plan_of(None))
        if mode == "user_http":
            user = user_by_key(self.state.conn, presented.candidates)
            if user is None:
                return _refuse("invalid", "no user has this key", challenge)
            if not user.active:
                return _refuse("revoked", f"the key of user {user.name!r} is revoked", challenge)
            return Verdict("ok", user.name, self._plan_of(user.plan))
        return self._oauth(presented, challenge)

    def _oauth(self, presented: Presented, challenge: str) -> Verdict:
        check = self.state.oauth.verify_access(presented.candidates[0])
        bad = f'{challenge}, error="invalid_token"'
        if check.result == "invalid":
            return _refuse("invalid", "the access token is not known", bad)
        if check.result == "expired":
            return _refuse("expired", "the access token has expired: refresh it", bad)
        if check.result == "revoked":
            return _refuse("revoked", "the access token is revoked", bad)
        assert check.user_name is not None
        user = get_user(self.state.conn, check.user_name)
        if user is not None and not user.active:
            return _refuse("revoked", f"user {user.name!r} is revoked", bad)
        return Verdict("ok", check.user_name, self._plan_of(user.plan if user else None))

    # -- what the plan allows -------------------------------------------------------------

    def _gate_operation(self, flow: http.HTTPFlow, exchange: Exchange, verdict: Verdict) -> Verdict:
        section = self.config.plans.get(verdict.plan) if verdict.plan is not None else None
        if section is None or section.operations is None:
            return verdict
        if exchange.check is None:  # RequestChecks reuses it
            exchange.check = exchange.served.validator.check_request(
                request_of(flow, self.config.proxy.max_inflated_bytes)
            )
        operation = exchange.check.operation_id
        if operation is not None and operation in section.operations:
            return verdict
        allowing = [
            name
            for name, plan in self.config.plans.items()
            if name != verdict.plan
            and (
                plan.operations is None or (operation is not None and operation in plan.operations)
            )
        ]
        what = f"operation {operation}" if operation else "this path (no operation matches it)"
        hint = f"; plan {allowing[0]!r} allows it" if allowing else ""
        return Verdict(
            "forbidden_plan",
            verdict.user_id,
            verdict.plan,
            status=403,
            message=f"plan {verdict.plan!r} may not call {what}{hint}",
            extra={
                "operation_id": operation,
                "plan": verdict.plan,
                "allowed_plans": allowing,
                "upgrade_to": allowing[0] if allowing else None,
            },
        )

    def _limit(self, verdict: Verdict) -> Verdict:
        refusal = self.state.limits.check(verdict.user_id or "*", verdict.plan)
        if refusal is None:
            return verdict
        return Verdict(
            refusal.result,
            verdict.user_id,
            verdict.plan,
            status=429,
            message=refusal.message,
            retry_after=refusal.retry_after,
            extra={"plan": verdict.plan},
        )


def _any_same(presented: Presented, secret: str) -> bool:
    found = False
    for candidate in presented.candidates:  # every candidate is compared: constant work
        found = same_secret(candidate, secret) or found
    return found


def _bearer_error(challenge: str, mode: str, error: str) -> str:
    return f'{challenge}, error="{error}"' if mode == "oauth" else challenge


def _audience(exchange: Exchange) -> str:
    manifest = exchange.served.files.manifest
    name = manifest.get("name_for_model") if isinstance(manifest, dict) else None
    if not isinstance(name, str):
        info = exchange.served.files.spec.get("info")
        name = info.get("title") if isinstance(info, dict) else None
    return f"plugin:{name or 'pluginlab'}"
