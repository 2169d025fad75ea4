"""Who may reach the backend: the decisions of the auth gate, on plain values.

`Gate` checks the credentials of the configured mode (on the header fields as bytes), the
caller's plan (the operations it may call), then the plan's rate limit and quota. Each step
gives a Verdict: ok with a caller, or a refusal and how to answer it (`answer`). The mitmproxy
stages (proxy/gate.py) read the request and write the answer.

On an MCP endpoint with auth.mode oauth the challenges are the MCP authorization spec's: a 401
names the protected-resource metadata and the scope (`error="invalid_token"` when a token was
sent but is bad, including one issued for another resource: `wrong_audience`), and a token
without every scope the endpoint asks for is a 403 `insufficient_scope`. When some tool is
noauth (access/tool_scopes.py) a request without a token passes here as an anonymous caller, and
the scopes a token carries go on the verdict: each message's own needs are checked once it is
read (proxy/messages.py). With `auth.oauth.issuer` the token is the issuer's, judged first
(`external_check`, access/issuer.py).

Replay seam: a request that the replay grant (access/grant.py) stamped as a replay or a
simulation of a known user is taken as that user (`replayed`), without credentials and without
counting it against rate limits or quotas.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from pluginlab_tui.access.credentials import (
    Presented,
    header_values,
    one_value,
    parse_authorization,
    same_secret,
)
from pluginlab_tui.access.oauth import AccessCheck
from pluginlab_tui.access.resource import ProtectedResource
from pluginlab_tui.access.state import AuthState
from pluginlab_tui.access.users import get_user, user_by_key
from pluginlab_tui.config import Config
from pluginlab_tui.plugin.files import PluginFiles
from pluginlab_tui.wire import REPLAY, SIMULATE

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
    #: MCP endpoint: the access token's scopes (None: no token, an anonymous caller).
    scopes: tuple[str, ...] | None = None
    #: The OAuth client the presented access token was issued to (MCP endpoint), when known.
    client_id: str | None = None


def refuse(result: str, message: str, challenge: str | None, status: int = 401) -> Verdict:
    return Verdict(result, status=status, message=message, challenge=challenge)


def answer(verdict: Verdict, auth_mode: str | None) -> tuple[int, dict[str, Any], dict[str, str]]:
    """A refusal as the caller gets it: status, JSON body and headers."""
    body: dict[str, Any] = {
        "error": verdict.result,
        "message": verdict.message,
        "auth_mode": auth_mode,
        **verdict.extra,
    }
    headers: dict[str, str] = {}
    if verdict.challenge is not None:
        headers["WWW-Authenticate"] = verdict.challenge
    if verdict.retry_after is not None:
        headers["Retry-After"] = str(verdict.retry_after)
        body["retry_after"] = verdict.retry_after
    return verdict.status, body, headers


def ip_denied(state: AuthState, client_ip: str) -> Verdict | None:
    """The allow-list's refusal (`auth.allow_ips`), or None when the address may call."""
    if state.allow.allows(client_ip):
        return None
    return refuse(
        "ip_denied", f"{client_ip or 'this address'} is not in auth.allow_ips", None, status=403
    )


def audience(files: PluginFiles | None) -> str:
    """The JWT audience when auth.jwt.audience is not set: `plugin:<name_for_model>` (or the
    spec's title; `plugin:pluginlab` without plugin files)."""
    if files is None:
        return "plugin:pluginlab"
    manifest = files.manifest
    name = manifest.get("name_for_model") if isinstance(manifest, dict) else None
    if not isinstance(name, str):
        info = files.spec.get("info")
        name = info.get("title") if isinstance(info, dict) else None
    return f"plugin:{name or 'pluginlab'}"


class Gate:
    """The decisions for one config and one proxy's auth state."""

    def __init__(self, config: Config, state: AuthState) -> None:
        self.config = config
        self.state = state

    # -- who is calling -------------------------------------------------------------------

    def replayed(self, user_id: str, plan: str | None) -> Verdict:
        """A replayed caller: the plan the grant named, else the user's."""
        if plan is None:
            user = get_user(self.state.conn, user_id)
            plan = self._plan_of(user.plan if user else None)
        resource = self.state.resource  # MCP: every scope, as the original caller had
        return Verdict("ok", user_id, plan, scopes=None if resource is None else resource.supported)

    def _plan_of(self, plan: str | None) -> str | None:
        return plan if plan is not None else self.config.auth.default_plan

    def authenticate(
        self,
        fields: Iterable[tuple[bytes, bytes]],
        mcp: bool = False,
        checked: AccessCheck | None = None,
    ) -> Verdict:
        """The credentials of the mode, read from the request's header fields (raw bytes);
        `mcp`: the request is to the MCP endpoint; `checked`: its token as the external issuer
        judged it (`external_check`)."""
        auth = self.config.auth
        mode = auth.mode
        if mode == "none":
            return Verdict("ok", None, self._plan_of(None))
        fields = list(fields)
        resource = self.state.resource
        if mcp and resource is not None:
            return self._mcp(fields, resource, checked)
        if mode == "api_key" and auth.api_key_header.lower() != "authorization":
            name = auth.api_key_header
            value, problem = one_value(header_values(fields, name), name)
            if problem is not None:
                return refuse("invalid", problem, None)
            if value is None or not value.strip():
                return refuse("missing", f"send the API key in the {name} header", None)
            assert auth.api_key is not None
            if not same_secret(value.strip(), auth.api_key):
                return refuse("invalid", f"the {name} key is wrong", None)
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
            return refuse("invalid", problem, _bearer_error(challenge, mode, "invalid_request"))
        presented = parse_authorization(header, expected)
        if presented is None:
            return refuse(
                "missing",
                f"this plugin uses {mode} auth: send Authorization: {expected.title()} <{what}>",
                challenge,
            )
        if not presented.candidates:
            return refuse(
                "invalid",
                f"malformed Authorization header: {presented.problem}",
                _bearer_error(challenge, mode, "invalid_request"),
            )
        if mode in ("service_http", "api_key"):
            secret = auth.service_token if mode == "service_http" else auth.api_key
            assert secret is not None
            if not _any_same(presented, secret):
                return refuse("invalid", f"{what} is wrong", challenge)
            return Verdict("ok", None, self._plan_of(None))
        if mode == "user_http":
            user = user_by_key(self.state.conn, presented.candidates)
            if user is None:
                return refuse("invalid", "no user has this key", challenge)
            if not user.active:
                return refuse("revoked", f"the key of user {user.name!r} is revoked", challenge)
            return Verdict("ok", user.name, self._plan_of(user.plan))
        return self._oauth(presented, challenge)

    def _oauth(self, presented: Presented, challenge: str) -> Verdict:
        """A plugin's bearer token from the dev provider; the verdict names its client."""
        check = self.state.oauth.verify_access(presented.candidates[0])
        verdict = self._oauth_token(check, challenge)
        return dataclasses.replace(verdict, client_id=check.client_id)

    def _oauth_token(self, check: AccessCheck, challenge: str) -> Verdict:
        bad = f'{challenge}, error="invalid_token"'
        if check.result == "invalid":
            return refuse("invalid", "the access token is not known", bad)
        if check.result == "expired":
            return refuse("expired", "the access token has expired: refresh it", bad)
        if check.result == "revoked":
            return refuse("revoked", "the access token is revoked", bad)
        assert check.user_name is not None
        user = get_user(self.state.conn, check.user_name)
        if user is not None and not user.active:
            return refuse("revoked", f"user {user.name!r} is revoked", bad)
        return Verdict("ok", check.user_name, self._plan_of(user.plan if user else None))

    async def external_check(self, fields: Iterable[tuple[bytes, bytes]]) -> AccessCheck | None:
        """With auth.oauth.issuer: what the issuer's keys or introspection say of the bearer
        token sent (None: no issuer, or no token to ask about)."""
        issuer = self.state.issuer
        if issuer is None:
            return None
        header, problem = one_value(header_values(list(fields), "Authorization"), "Authorization")
        presented = None if problem is not None else parse_authorization(header, "bearer")
        if presented is None or not presented.candidates:
            return None
        token = presented.candidates[0]
        return await issuer.check(token if isinstance(token, str) else token.decode("latin-1"))

    def _mcp(
        self,
        fields: list[tuple[bytes, bytes]],
        resource: ProtectedResource,
        checked: AccessCheck | None,
    ) -> Verdict:
        """An MCP request's bearer token: valid, for this resource, with the endpoint's scopes
        (none is needed without a token when some tool is noauth: access/tool_scopes.py)."""
        header, problem = one_value(header_values(fields, "Authorization"), "Authorization")
        presented = None if problem is not None else parse_authorization(header, "bearer")
        mixed = resource.tools is not None and resource.tools.mixed
        if problem is None and presented is None and mixed:
            return Verdict("ok", None, self._plan_of(None))
        if problem is None and presented is None:
            message = (
                "this MCP endpoint needs an OAuth access token: sign in (see resource_metadata)"
            )
            return self._mcp_refusal("missing", message, resource.challenge(), resource)
        if presented is None or not presented.candidates:
            why = problem or (presented.problem if presented else None) or "malformed"
            return self._mcp_refusal(
                "invalid",
                f"malformed Authorization header: {why}",
                resource.challenge("invalid_request", why),
                resource,
            )
        if self.state.issuer is not None:
            check = checked or AccessCheck("invalid", message="the issuer was not asked")
        else:
            check = self.state.oauth.verify_access(presented.candidates[0])
        verdict = self._mcp_token(check, resource, mixed)
        return dataclasses.replace(verdict, client_id=check.client_id)

    def _mcp_token(self, check: AccessCheck, resource: ProtectedResource, mixed: bool) -> Verdict:
        """The verdict on a known access token: for this resource, its user, its scopes (the
        endpoint's are not asked for on a mixed endpoint: each message's needs are checked)."""
        messages = {
            "invalid": "the access token is not known",
            "expired": "the access token has expired: refresh it",
            "revoked": "the access token is revoked",
        }
        if check.result in messages:
            message = check.message or messages[check.result]
            challenge = resource.challenge("invalid_token", message)
            return self._mcp_refusal(check.result, message, challenge, resource)
        if check.resource != resource.resource:
            issued = repr(check.resource) if check.resource else "no resource"
            message = f"the access token was issued for {issued}, not {resource.resource!r}"
            challenge = resource.challenge("invalid_token", message)
            return self._mcp_refusal("wrong_audience", message, challenge, resource)
        assert check.user_name is not None
        user = get_user(self.state.conn, check.user_name)
        if user is not None and not user.active:
            message = f"user {user.name!r} is revoked"
            challenge = resource.challenge("invalid_token", message)
            return self._mcp_refusal("revoked", message, challenge, resource)
        granted = tuple(check.scope.split())
        missing = [] if mixed else [s for s in resource.scopes if s not in granted]
        if missing:
            message = f"the access token lacks the scope {' '.join(missing)!r}"
            challenge = resource.challenge("insufficient_scope", message)
            return self._mcp_refusal("insufficient_scope", message, challenge, resource, status=403)
        plan = self._plan_of(user.plan if user else None)
        return Verdict("ok", check.user_name, plan, scopes=granted)

    @staticmethod
    def _mcp_refusal(
        result: str, message: str, challenge: str, resource: ProtectedResource, status: int = 401
    ) -> Verdict:
        return Verdict(
            result,
            status=status,
            message=message,
            challenge=challenge,
            extra={"resource_metadata": resource.metadata_url},
        )

    # -- what the plan allows -------------------------------------------------------------

    def gates_operations(self, verdict: Verdict) -> bool:
        """Whether the caller's plan lists the operations it may call (then `allow` needs one)."""
        section = self.config.plans.get(verdict.plan) if verdict.plan is not None else None
        return section is not None and section.operations is not None

    def allow(self, verdict: Verdict, operation: str | None) -> Verdict:
        """The verdict when the plan may call `operation` (None: no operation matched), else
        forbidden_plan naming the plans that may."""
        section = self.config.plans.get(verdict.plan) if verdict.plan is not None else None
        if section is None or section.operations is None:
            return verdict
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

    def limit(self, verdict: Verdict) -> Verdict:
        """The plan's rate limit and quota, counted for this caller."""
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

    # -- what the backend is told ---------------------------------------------------------

    def backend_token(self, verdict: Verdict, files: PluginFiles | None) -> str | None:
        """With auth.jwt: the JWT standing for the caller (None: no caller, no Authorization)."""
        assert self.state.signer is not None
        if verdict.user_id is None:
            return None
        aud = self.config.auth.jwt.audience or audience(files)
        return self.state.signer.sign(verdict.user_id, verdict.plan, aud)


def _any_same(presented: Presented, secret: str) -> bool:
    found = False
    for candidate in presented.candidates:  # every candidate is compared: constant work
        found = same_secret(candidate, secret) or found
    return found


def _bearer_error(challenge: str, mode: str, error: str) -> str:
    return f'{challenge}, error="{error}"' if mode == "oauth" else challenge
