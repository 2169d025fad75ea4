"""The ChatGPT simulator: plays ChatGPT's part against a running proxy (or any plugin URL).

1. fetches the manifest (plugin profile) and then the spec it names, the way ChatGPT did;
2. signs in: the OAuth dance for oauth (authorize, the development sign-in page or its
   auto-approve, the code exchanged at the token URL), configured credentials otherwise;
3. calls each operation with arguments from the spec's examples, else generated from its
   schemas, with ChatGPT's headers (openai-conversation-id stable within the run,
   openai-ephemeral-user-id, openai-subdivision-1-iso-code, the ChatGPT-User user agent;
   openai-gpt-id in the actions profile);
4. checks every answer against the spec it fetched and reports what broke the contract.

Through a local proxy whose store it can read, every request carries a replay grant with
source=simulate, so the events it causes are recorded as such. Where that store is, a local
proxy's health route tells a loopback caller (proxy_store); the one probe that asks it comes
before the secret is known and is recorded as source=live.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx
import yaml

from pluginlab_tui.contract.document import Operation, operations
from pluginlab_tui.contract.factory import Limits, compile_validator
from pluginlab_tui.contract.verdict import verdict
from pluginlab_tui.generate import generate, media_example, parameter_value, resolve
from pluginlab_tui.proxy.grant import GRANT_HEADER, Grant, is_loopback, sign
from pluginlab_tui.validation.validator import ContractValidator, HttpRequest, HttpResponse
from pluginlab_tui.validation.violations import Violation

MANIFEST_PATH = "/.well-known/ai-plugin.json"
HEALTH_PATH = "/_pluginlab/health"
#: How long the health probe may take (it is answered by the proxy itself).
HEALTH_TIMEOUT_S = 5.0
USER_AGENT = (
    "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko); compatible; ChatGPT-User/1.0; "
    "+https://openai.com/bot"
)
#: Operations in the order a conversation tends to use them: create, read, change, delete.
_METHOD_ORDER = {"post": 0, "put": 1, "get": 2, "patch": 3, "delete": 4}


class SimulationError(Exception):
    """The simulator cannot go on (no manifest, no spec, sign-in refused)."""


@dataclass(frozen=True)
class AuthSetup:
    """What the simulator signs in with, from the config and flags."""

    mode: str = "none"
    authorization_type: str = "bearer"
    token: str | None = None
    header: str = "Authorization"
    client_id: str = "pluginlab-dev-client"
    client_secret: str | None = None
    #: The user to sign in as on the development sign-in page (when not auto-approved).
    user: str = "simulated-user"
    redirect_uri: str | None = None

    def header_value(self) -> str:
        assert self.token is not None
        if self.header.lower() != "authorization":
            return self.token
        return f"{self.authorization_type.capitalize()} {self.token}"


@dataclass
class Call:
    """One request the simulator made, and its verdict."""

    step: str
    method: str
    url: str
    operation_id: str | None = None
    status: int | None = None
    duration_ms: float = 0.0
    event_id: str | None = None
    violations: list[Violation] = field(default_factory=list)
    error: str | None = None
    fault: str | None = None

    @property
    def broke_contract(self) -> bool:
        return bool(self.violations) or self.error is not None

    def line(self) -> str:
        status = "---" if self.status is None else str(self.status)
        if self.error:
            verdict = f"FAILED: {self.error}"
        elif self.violations:
            codes = ", ".join(sorted({v.code for v in self.violations}))
            verdict = f"{len(self.violations)} violation(s): {codes}"
        else:
            verdict = "ok"
        fault = f"  [fault {self.fault}]" if self.fault else ""
        path = urlsplit(self.url).path
        return f"{self.step:<14} {self.method:<6} {path} {status} {verdict}{fault}"

    def to_json(self) -> dict[str, Any]:
        return {
            "step": self.step,
            "operation_id": self.operation_id,
            "method": self.method,
            "url": self.url,
            "status": self.status,
            "duration_ms": round(self.duration_ms, 3),
            "event_id": self.event_id,
            "violations": [v.to_dict() for v in self.violations],
            "error": self.error,
            "fault": self.fault,
        }


@dataclass
class Session:
    """What the simulator learned: the files as served, and the signed-in credentials."""

    manifest: dict[str, Any] | None = None
    spec: dict[str, Any] = field(default_factory=dict)
    validator: ContractValidator | None = None
    authorization: tuple[str, str] | None = None
    calls: list[Call] = field(default_factory=list)


#: Extra headers for a call (the demo's out-of-contract switch), by operation.
FaultHook = Callable[[Operation], dict[str, str]]


class Simulator:
    def __init__(
        self,
        base_url: str,
        *,
        profile: str = "plugin",
        auth: AuthSetup | None = None,
        grant_secret: bytes | None = None,
        timeout_s: float = 60.0,
        gpt_id: str | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.profile = profile
        self.auth = auth or AuthSetup()
        self.grant_secret = grant_secret
        self.client = httpx.Client(trust_env=False, timeout=timeout_s, follow_redirects=False)
        self.conversation_id = str(uuid.uuid4())
        day = datetime.now(UTC).strftime("%Y-%m-%d")
        # Ephemeral user ids reset every day at midnight UTC: stable within a day and a base.
        seed = hashlib.sha256(f"{day}|{self.base_url}".encode()).hexdigest()
        self.ephemeral_user_id = str(uuid.UUID(seed[:32]))
        self.gpt_id = gpt_id or "g-" + hashlib.md5(self.base_url.encode()).hexdigest()  # noqa: S324
        self.session = Session()
        #: Values learned from answers (ids of things just made), by parameter name.
        self.learned: dict[str, Any] = {}

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> Simulator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the proxy's store -------------------------------------------------------------------

    def proxy_store(self) -> tuple[Path | None, str | None]:
        """The store of the local proxy at the base URL, from its health route; else None and
        why (None when the proxy cannot be reached: the run itself will say so).

        Only a loopback base URL is asked: the proxy tells only loopback callers, and a grant
        is only worth signing for a proxy on this machine.
        """
        host = urlsplit(self.base_url).hostname or ""
        if host.lower().rstrip(".") != "localhost" and not is_loopback(host):
            return None, f"{self.base_url} is not a local proxy"
        url = self.base_url + HEALTH_PATH
        try:
            answer = self.client.get(url, timeout=HEALTH_TIMEOUT_S)
        except httpx.HTTPError:
            return None, None
        try:
            found = answer.json() if answer.status_code == 200 else None
        except ValueError:
            found = None
        store = found.get("store") if isinstance(found, dict) else None
        if not isinstance(store, str) or not Path(store).is_absolute():
            return None, f"{url} names no event store (not a pluginlab-tui proxy?)"
        return Path(store), None

    # -- requests ---------------------------------------------------------------------------

    def chatgpt_headers(self) -> dict[str, str]:
        headers = {
            "User-Agent": USER_AGENT,
            "Accept": "*/*",
            "openai-conversation-id": self.conversation_id,
            "openai-ephemeral-user-id": self.ephemeral_user_id,
        }
        if self.profile == "actions":
            headers["openai-gpt-id"] = self.gpt_id
        else:
            headers["openai-subdivision-1-iso-code"] = "US-CA"
        return headers

    def _send(
        self,
        step: str,
        method: str,
        url: str,
        *,
        headers: dict[str, str] | None = None,
        content: bytes | None = None,
        operation_id: str | None = None,
    ) -> tuple[Call, httpx.Response | None]:
        sent = dict(headers or {})
        if self.grant_secret is not None:
            sent[GRANT_HEADER] = sign(Grant(source="simulate"), self.grant_secret)
        call = Call(step, method, url, operation_id)
        started = time.perf_counter()
        try:
            answer = self.client.request(method, url, headers=sent, content=content)
        except httpx.HTTPError as exc:
            call.duration_ms = (time.perf_counter() - started) * 1000
            call.error = f"{type(exc).__name__}: {exc}"
            self.session.calls.append(call)
            return call, None
        call.duration_ms = (time.perf_counter() - started) * 1000
        call.status = answer.status_code
        call.event_id = answer.headers.get("x-pluginlab-event-id")
        self.session.calls.append(call)
        return call, answer

    def _local(self, url: str) -> str:
        """A URL the manifest names, moved onto the base URL when it points at the proxy."""
        parts = urlsplit(url)
        if not parts.scheme:
            return self.base_url + (url if url.startswith("/") else "/" + url)
        api = (self.session.manifest or {}).get("api")
        api_url = api.get("url") if isinstance(api, dict) else None
        origin = urlsplit(str(api_url or "")).netloc
        if parts.netloc in (origin, urlsplit(self.base_url).netloc) or parts.hostname in (
            "localhost",
            "127.0.0.1",
        ):
            return self.base_url + parts.path + ("?" + parts.query if parts.query else "")
        return url

    # -- 1. the files -----------------------------------------------------------------------

    def fetch_files(self) -> Session:
        spec_url = self.base_url + "/openapi.yaml"
        if self.profile == "plugin":
            call, answer = self._send("manifest", "GET", self.base_url + MANIFEST_PATH)
            if answer is None or answer.status_code != 200:
                call.error = call.error or f"the manifest answered {call.status}"
                raise SimulationError(f"cannot fetch the manifest: {call.error}")
            try:
                manifest = answer.json()
            except ValueError:
                call.error = "the manifest is not JSON"
                raise SimulationError("the manifest is not JSON") from None
            if not isinstance(manifest, dict):
                call.error = "the manifest is not a JSON object"
                raise SimulationError(call.error)
            self.session.manifest = manifest
            api = manifest.get("api")
            if isinstance(api, dict) and isinstance(api.get("url"), str):
                spec_url = self._local(api["url"])
        call, answer = self._send("spec", "GET", spec_url)
        if answer is None or answer.status_code != 200:
            call.error = call.error or f"the spec answered {call.status}"
            raise SimulationError(f"cannot fetch the spec at {spec_url}: {call.error}")
        try:
            spec = yaml.safe_load(answer.text)
        except yaml.YAMLError as exc:
            call.error = f"the spec is not YAML or JSON: {exc}"
            raise SimulationError(call.error) from None
        if not isinstance(spec, dict):
            call.error = "the spec is not a mapping"
            raise SimulationError(call.error)
        self.session.spec = spec
        try:
            self.session.validator = compile_validator(spec, Limits(profile=self.profile))
        except ValueError as exc:
            call.error = str(exc)
            raise SimulationError(f"the spec cannot be used: {exc}") from None
        return self.session

    # -- 2. sign in -------------------------------------------------------------------------

    def sign_in(self) -> None:
        auth = self.auth
        manifest_auth = (self.session.manifest or {}).get("auth")
        mode = auth.mode
        if isinstance(manifest_auth, dict) and isinstance(manifest_auth.get("type"), str):
            mode = str(manifest_auth["type"]) if self.profile == "plugin" else mode
        if mode == "none":
            return
        if mode == "oauth":
            token = self._oauth(manifest_auth if isinstance(manifest_auth, dict) else {})
            self.session.authorization = ("Authorization", f"Bearer {token}")
            return
        if auth.token is None:
            raise SimulationError(
                f"auth mode {mode} needs credentials: --token or $PLUGINLAB_TOKEN"
                + (" (or auth.service_token)" if mode == "service_http" else "")
                + (" (or auth.api_key)" if mode == "api_key" else "")
            )
        self.session.authorization = (auth.header, auth.header_value())

    def _oauth(self, manifest_auth: dict[str, Any]) -> str:
        auth = self.auth
        if self.profile == "plugin":
            client_url = manifest_auth.get("client_url")
            token_url = manifest_auth.get("authorization_url")
            content_type = manifest_auth.get("authorization_content_type", "application/json")
            scope = str(manifest_auth.get("scope") or "")
        else:
            client_url = token_url = None
            content_type, scope = "application/json", ""
        authorize = self._local(str(client_url or "/_pluginlab/oauth/authorize"))
        token_endpoint = self._local(str(token_url or "/_pluginlab/oauth/token"))
        plugin_id = str(uuid.uuid4())
        redirect_uri = auth.redirect_uri or (
            f"https://chat.openai.com/aip/plugin-{plugin_id}/oauth/callback"
            if self.profile == "plugin"
            else f"https://chatgpt.com/aip/{self.gpt_id}/oauth/callback"
        )
        state = secrets.token_urlsafe(16)
        params = {
            "response_type": "code",
            "client_id": auth.client_id,
            "redirect_uri": redirect_uri,
            "scope": scope,
            "state": state,
        }
        call, answer = self._send("oauth:authorize", "GET", authorize + "?" + urlencode(params))
        if answer is not None and answer.status_code == 200:
            # The development sign-in page: sign in as the configured user and allow.
            form = {**params, "user_name": auth.user, "decision": "allow"}
            call, answer = self._send(
                "oauth:sign-in",
                "POST",
                authorize.split("?", 1)[0],
                headers={"Content-Type": "application/x-www-form-urlencoded"},
                content=urlencode(form).encode("ascii"),
            )
        if answer is None or answer.status_code not in (302, 303, 307):
            call.error = call.error or f"authorize answered {call.status}, not a redirect"
            raise SimulationError(f"OAuth sign-in failed: {call.error}: {_brief(answer)}")
        location = answer.headers.get("location", "")
        if not location.startswith(redirect_uri):
            call.error = f"redirected to {location!r}, not to the redirect_uri"
            raise SimulationError(f"OAuth sign-in failed: {call.error}")
        back = dict(parse_qsl(urlsplit(location).query))
        if back.get("state") != state:
            call.error = "the state came back changed"
            raise SimulationError(f"OAuth sign-in failed: {call.error}")
        if "code" not in back:
            call.error = f"no code: {back.get('error')}: {back.get('error_description', '')}"
            raise SimulationError(f"OAuth sign-in failed: {call.error}")
        if auth.client_secret is None:
            raise SimulationError(
                "OAuth: the token endpoint needs the client secret: set auth.oauth.client_secret"
                " (or PLUGINLAB_AUTH__OAUTH__CLIENT_SECRET), or pass --client-secret"
            )
        body = {
            "grant_type": "authorization_code",
            "client_id": auth.client_id,
            "client_secret": auth.client_secret,
            "code": back["code"],
            "redirect_uri": redirect_uri,
        }
        if str(content_type).startswith("application/x-www-form-urlencoded"):
            content = urlencode(body).encode("ascii")
            kind = "application/x-www-form-urlencoded"
        else:
            content = json.dumps(body).encode("utf-8")
            kind = "application/json"
        call, answer = self._send(
            "oauth:token", "POST", token_endpoint, headers={"Content-Type": kind}, content=content
        )
        if answer is None or answer.status_code != 200:
            call.error = call.error or f"the token endpoint answered {call.status}"
            raise SimulationError(f"OAuth code exchange failed: {call.error}: {_brief(answer)}")
        try:
            tokens = answer.json()
            access = tokens["access_token"]
        except (ValueError, KeyError, TypeError):
            call.error = "the token answer has no access_token"
            raise SimulationError(f"OAuth code exchange failed: {call.error}") from None
        return str(access)

    # -- 3. the operations ------------------------------------------------------------------

    def plan(self) -> list[Operation]:
        found = operations(self.session.spec)
        return sorted(found, key=lambda op: _METHOD_ORDER.get(op.method, 5))

    def call(self, operation: Operation, extra_headers: dict[str, str] | None = None) -> Call:
        request = self.arguments(operation)
        headers = self.chatgpt_headers()
        headers.update(request.headers)
        if self.session.authorization is not None:
            name, value = self.session.authorization
            headers[name] = value
        headers.update(extra_headers or {})
        url = self.base_url + self._base_path() + request.path
        if request.query:
            url += "?" + request.query
        call, answer = self._send(
            operation.label,
            operation.method.upper(),
            url,
            headers=headers,
            content=request.body,
            operation_id=str(operation.data.get("operationId") or "") or None,
        )
        call.fault = (extra_headers or {}).get("X-Todo-Fault")
        validator = self.session.validator
        if answer is not None and validator is not None:
            call.violations = verdict(
                validator,
                HttpRequest(
                    call.method,
                    urlsplit(url).path,
                    request.query,
                    list(headers.items()),
                    request.body,
                ),
                HttpResponse(
                    answer.status_code, list(answer.headers.multi_items()), answer.content
                ),
                call.duration_ms,
            ).violations
            self._learn(answer)
        return call

    def _base_path(self) -> str:
        servers = self.session.spec.get("servers")
        if isinstance(servers, list) and servers and isinstance(servers[0], dict):
            path = urlsplit(str(servers[0].get("url") or "")).path.rstrip("/")
            if "{" not in path:
                return path
        return ""

    def _learn(self, answer: httpx.Response) -> None:
        if not 200 <= answer.status_code < 300:
            return
        try:
            data = answer.json()
        except ValueError:
            return
        if isinstance(data, dict) and "id" in data and not isinstance(data["id"], dict | list):
            self.learned["id"] = data["id"]

    def arguments(self, operation: Operation) -> _Arguments:
        spec = self.session.spec
        params: dict[tuple[str, str], dict[str, Any]] = {}
        for source in (operation.path_item.get("parameters"), operation.data.get("parameters")):
            for raw in source if isinstance(source, list) else []:
                param = resolve(spec, raw)
                if isinstance(param, dict) and "name" in param and "in" in param:
                    params[(str(param["in"]), str(param["name"]))] = param
        path = operation.path
        query: list[tuple[str, str]] = []
        headers: dict[str, str] = {}
        for (where, name), param in params.items():
            value = self._learned_value(name, param) if where == "path" else None
            if value is None:
                value = parameter_value(param, spec)
            text = _as_text(value)
            if where == "path":
                path = path.replace("{" + name + "}", _quote(text))
            elif where == "query":
                if isinstance(value, list):
                    query += [(name, _as_text(v)) for v in value]
                else:
                    query.append((name, text))
            elif where == "header":
                headers[name] = text
        body: bytes | None = None
        request_body = resolve(spec, operation.data.get("requestBody"))
        if isinstance(request_body, dict) and isinstance(request_body.get("content"), dict):
            content = request_body["content"]
            media_type = next(
                (m for m in content if "json" in str(m).lower()), next(iter(content), None)
            )
            if media_type is not None:
                media = resolve(spec, content[media_type])
                headers["Content-Type"] = str(media_type)
                bodies = self._bodies(str(media_type), media if isinstance(media, dict) else {})
                body = self._first_valid(operation, path, urlencode(query), headers, bodies)
        return _Arguments(path, urlencode(query), headers, body)

    def _first_valid(
        self,
        operation: Operation,
        path: str,
        query: str,
        headers: dict[str, str],
        bodies: list[bytes],
    ) -> bytes:
        """The first body the spec accepts (a spec example can be wrong), else the first."""
        validator = self.session.validator
        if validator is None:
            return bodies[0]
        for body in bodies:
            check = verdict(
                validator,
                HttpRequest(
                    operation.method.upper(),
                    self._base_path() + path,
                    query,
                    list(headers.items()),
                    body,
                ),
                None,
                0.0,
            )
            if not any(v.code in ("invalid_body", "missing_body") for v in check.violations):
                return body
        return bodies[0]

    def _learned_value(self, name: str, param: dict[str, Any]) -> Any:
        lowered = name.lower()
        if "id" in self.learned and (
            lowered == "id" or lowered.endswith("_id") or name.endswith("Id")
        ):
            return self.learned["id"]
        return None

    def _bodies(self, media_type: str, media: dict[str, Any]) -> list[bytes]:
        """Candidate bodies, best first: the documented example, then generated values."""
        spec = self.session.spec
        found, value = media_example(media, spec)
        candidates = [value] if found else []
        schema = media.get("schema", {})
        candidates.append(generate(schema, spec, direction="request"))
        candidates.append(generate(schema, spec, direction="request", use_examples=False))
        return [_encode_body(media_type, c) for c in candidates]

    # -- the whole run ----------------------------------------------------------------------

    def run(self, *, rounds: int = 1, fault: FaultHook | None = None) -> Session:
        """Files, sign-in, then every operation `rounds` times."""
        self.fetch_files()
        self.sign_in()
        for _ in range(max(rounds, 1)):
            for operation in self.plan():
                self.call(operation, fault(operation) if fault is not None else None)
        return self.session

    @property
    def failures(self) -> list[Call]:
        return [c for c in self.session.calls if c.broke_contract]


@dataclass(frozen=True)
class _Arguments:
    path: str
    query: str
    headers: dict[str, str]
    body: bytes | None


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return json.dumps(value)
    return str(value)


def _quote(text: str) -> str:
    from urllib.parse import quote

    return quote(text, safe="-_.~")


def _encode_body(media_type: str, value: Any) -> bytes:
    if "json" in media_type.lower():
        return json.dumps(value, ensure_ascii=False).encode("utf-8")
    if media_type.startswith("application/x-www-form-urlencoded") and isinstance(value, dict):
        return urlencode({k: _as_text(v) for k, v in value.items()}).encode("ascii")
    if isinstance(value, str):
        return value.encode("utf-8")
    return json.dumps(value).encode("utf-8")


def _brief(answer: httpx.Response | None) -> str:
    if answer is None:
        return "no answer"
    text = answer.text.strip().replace("\n", " ")
    return text[:200]


def summary(calls: Sequence[Call]) -> str:
    broke = [c for c in calls if c.broke_contract]
    return f"{len(calls)} request(s), {len(broke)} broke the contract or failed"
