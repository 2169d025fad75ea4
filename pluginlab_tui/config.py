"""The project's configuration: pluginlab.toml, read into pydantic models.

Flags beat environment variables (`PLUGINLAB_PROXY__LISTEN=...`), which beat the file. Relative
paths in the file are taken from the file's folder.
"""

from __future__ import annotations

import ipaddress
import os
import re
import tomllib
from contextvars import ContextVar
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from pluginlab_tui.errors import UsageError
from pluginlab_tui.wire import PROXY_PREFIX

CONFIG_NAME = "pluginlab.toml"

_FILE_DATA: ContextVar[dict[str, Any] | None] = ContextVar("pluginlab_file_data", default=None)

#: The largest integer SQLite stores (counts and numbers that reach a query).
SQL_INT_MAX = 2**63 - 1
#: Upper bounds that keep timers and dates in range (socket timeouts, datetime arithmetic).
DAY_S = 86_400
TEN_YEARS_S = 3650 * DAY_S

#: A character limit: 1 or more (0 would mean "use the profile's default" in places).
CharLimit = Annotated[int, Field(ge=1)]
#: A lifetime in whole seconds: more than 0, at most ten years.
Lifetime = Annotated[int, Field(gt=0, le=TEN_YEARS_S)]
#: A count of requests: 0 (none allowed) or more.
RequestCount = Annotated[int, Field(ge=0, le=SQL_INT_MAX)]


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)


class Limits(Section):
    name_for_human: CharLimit = 20
    """Characters allowed in name_for_human (OpenAI documented 20; the store accepted 50)."""
    name_for_model: CharLimit = 50
    """Characters allowed in name_for_model."""
    description_for_human: CharLimit = 100
    """Characters allowed in description_for_human."""
    description_for_model: CharLimit = 8000
    """Characters allowed in description_for_model."""
    endpoint_description: CharLimit | None = None
    """Characters per operation summary/description (default: 200 plugin, 300 actions)."""
    parameter_description: CharLimit | None = None
    """Characters per parameter description (default: 200 plugin, 700 actions)."""
    response_chars: CharLimit = 100_000
    """Characters allowed in a response body, counted after decoding."""


class PluginSection(Section):
    manifest: Path = Path("ai-plugin.json")
    """The manifest file; optional in the actions profile."""
    spec: Path = Path("openapi.yaml")
    """The OpenAPI spec file (YAML or JSON)."""
    profile: Literal["plugin", "actions"] = "plugin"
    """Which rules and limits apply: ChatGPT plugins or GPT Actions."""
    logo: Path | None = None
    """A local logo file, served at /_pluginlab/logo.png."""
    pin: Annotated[int, Field(ge=1, le=SQL_INT_MAX)] | None = None
    """Serve this version instead of the newest."""
    limits: Limits = Field(default_factory=Limits)
    """Overrides of OpenAI's documented limits."""
    max_spec_bytes: int = Field(default=8 * 1024 * 1024, gt=0)
    """Largest manifest or spec accepted, in bytes, counted after YAML alias expansion."""


class ProxySection(Section):
    listen: str = "127.0.0.1:8787"
    """Where the proxy listens (HOST:PORT); a warning when not loopback."""
    backend: str | None = None
    """The backend's base URL; with none the proxy answers from the spec (mock)."""
    public_url: str = "http://localhost:8787"
    """What api.url and the spec's servers are rewritten to."""
    trusted_proxies: list[str] = Field(default_factory=list)
    """CIDRs whose X-Forwarded-For is believed (tunnels)."""
    strict: bool = False
    """Answer contract violations like Prism's --errors."""
    mock: bool = False
    """Answer from the spec's examples and schemas even when a backend is set."""
    timeout_s: Annotated[float, Field(gt=0, le=DAY_S, allow_inf_nan=False)] = 60.0
    """Backend timeout in seconds, then 504."""
    slow_ms: Annotated[float, Field(gt=0, le=DAY_S * 1000, allow_inf_nan=False)] = 45_000.0
    """Responses slower than this (milliseconds) are flagged slow_response."""
    max_body_bytes: int = Field(default=64 * 1024 * 1024, gt=0)
    """Largest body as sent, in bytes: a request over it is answered 413, a response 502."""
    max_inflight_bytes: int = Field(default=512 * 1024 * 1024, gt=0)
    """Bytes of bodies and request heads serve's front holds at once: past it, 503."""
    max_connections: int = Field(default=512, gt=0)
    """Caller connections serve's front keeps open at once: one more is answered 503, closed."""
    head_timeout_s: Annotated[float, Field(gt=0, le=DAY_S, allow_inf_nan=False)] = 60.0
    """Seconds a request head may take (from the connection, or its first byte): then 408."""
    engine: Literal["aiohttp", "mitmproxy"] = "aiohttp"
    """What takes serve's connections: aiohttp's server driving the addon, or mitmproxy's."""
    max_inflated_bytes: int = Field(default=16 * 1024 * 1024, gt=0)
    """Bodies are decoded and checked up to this size (bytes), then body_too_large_to_check."""
    cors_origins: list[str] = Field(
        default_factory=lambda: ["https://chat.openai.com", "https://chatgpt.com"]
    )
    """Browser origins allowed by CORS."""

    @field_validator("listen")
    @classmethod
    def _check_listen(cls, value: str) -> str:
        check_host(host_port(value)[0])
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _check_cidrs(cls, value: list[str]) -> list[str]:
        for cidr in value:
            ipaddress.ip_network(cidr, strict=False)
        return value

    @field_validator("backend", "public_url")
    @classmethod
    def _check_url(cls, value: str | None) -> str | None:
        return None if value is None else base_url(value)


class OAuthSection(Section):
    client_id: str = "pluginlab-dev-client"
    """The development OAuth client's id."""
    client_secret: str | None = None
    """The client's secret (generated per store when unset)."""
    scope: str = "todos"
    """Scopes granted by the development provider."""
    redirect_uris: list[str] = Field(default_factory=list)
    """Allowed redirect URIs (exact); empty means ChatGPT's callback patterns."""
    auto_approve: str | None = None
    """A development user approved without the consent page."""
    code_ttl_s: Lifetime = 300
    """Authorization code lifetime in seconds."""
    token_ttl_s: Lifetime = 3600
    """Access token lifetime in seconds."""
    refresh_ttl_s: Lifetime = 2_592_000
    """Refresh token lifetime in seconds (each refresh rotates it)."""
    authorization_content_type: Literal["application/json", "application/x-www-form-urlencoded"] = (
        "application/json"
    )
    """The manifest's authorization_content_type (the token endpoint accepts both)."""
    issuer: str | None = None
    """MCP: a real authorization server's issuer; the proxy issues nothing and checks its tokens."""
    introspection_url: str | None = None
    """MCP with an issuer: the RFC 7662 introspection endpoint for opaque tokens."""
    introspection_client_id: str | None = None
    """The client id the proxy introspects as (HTTP Basic)."""
    introspection_client_secret: str | None = None
    """Its secret (better given as PLUGINLAB_AUTH__OAUTH__INTROSPECTION_CLIENT_SECRET)."""

    @field_validator("issuer", "introspection_url")
    @classmethod
    def _check_url(cls, value: str | None) -> str | None:
        if value is not None:
            base_url(value)  # kept as written: issuers are compared as exact strings
        return value


class JwtSection(Section):
    enabled: bool = False
    """Replace the Authorization header sent to the backend with a signed JWT."""
    alg: Literal["RS256", "PS256"] = "RS256"
    """Signing algorithm; the public key is served at /_pluginlab/jwks.json."""
    audience: str | None = None
    """The token's aud claim (default: plugin:<name_for_model>)."""
    ttl_s: Lifetime = 3600
    """Lifetime of each JWT sent to the backend, in seconds."""


class AuthSection(Section):
    mode: Literal["none", "service_http", "user_http", "oauth", "api_key"] = "none"
    """How callers authenticate."""
    authorization_type: Literal["bearer", "basic"] = "bearer"
    """Bearer or Basic, for service_http, user_http and api_key."""
    service_token: str | None = None
    """The service_http token (better given as PLUGINLAB_AUTH__SERVICE_TOKEN)."""
    verification_token: str | None = None
    """Put into the served manifest's auth.verification_tokens.openai."""
    api_key: str | None = None
    """The api_key mode's key."""
    api_key_header: str = "Authorization"
    """The header the api_key arrives in (a custom name sends the bare key)."""
    allow_ips: list[str] = Field(default_factory=list)
    """CIDR allow-list for callers (empty: everyone)."""
    default_plan: str | None = None
    """The plan of callers without one (users added without --plan, service and api keys)."""
    oauth: OAuthSection = Field(default_factory=OAuthSection)
    """The built-in development OAuth provider."""
    jwt: JwtSection = Field(default_factory=JwtSection)
    """Identity sent to the backend as a signed JWT."""

    @field_validator("allow_ips")
    @classmethod
    def _check_cidrs(cls, value: list[str]) -> list[str]:
        for cidr in value:
            try:
                ipaddress.ip_network(cidr, strict=False)
            except ValueError:
                raise ValueError(f"{cidr!r} is not an IP address or CIDR") from None
        return value


class PlanSection(Section):
    rate_per_minute: RequestCount | None = None
    """Requests per minute (token bucket)."""
    quota: RequestCount | None = None
    """Requests per quota period."""
    quota_period: Literal["day", "month"] = "day"
    """The quota's period."""
    operations: list[str] | None = None
    """The operationIds this plan may call (none: all)."""


class StoreSection(Section):
    path: Path = Path(".pluginlab/events.db")
    """The SQLite event store."""
    body_cap_bytes: Annotated[int, Field(gt=0)] = 1_048_576
    """Bodies are stored up to this size, then cut and flagged."""
    flush_ms: Annotated[int, Field(gt=0, le=60_000)] = 100
    """Writer batch interval: what a kill -9 can lose."""
    max_events: Annotated[int, Field(ge=1, le=SQL_INT_MAX)] | None = None
    """Prune the oldest events beyond this count."""
    queue_max: int = Field(default=10_000, ge=1)
    """Events waiting for the writer at most; past it an exchange waits (queue_wait_ms)."""
    queue_max_bytes: int = Field(default=256 * 1024 * 1024, ge=1)
    """Bytes the waiting events may hold (bodies + 1 KiB each); past it an exchange waits too."""
    queue_wait_ms: int = Field(default=1000, ge=0)
    """How long an exchange waits for room in a full queue before its event is not stored."""
    redact_headers: list[str] = Field(
        default_factory=lambda: ["Authorization", "Cookie", "Set-Cookie", "Proxy-Authorization"]
    )
    """Headers stored as [redacted] (the api-key header is added)."""


class McpSection(Section):
    endpoint: str | None = None
    """The path of the MCP endpoint (e.g. "/mcp"): requests to it, or below it, are MCP traffic."""
    sse_endpoint: str | None = None
    """HTTP+SSE's stream path (e.g. "/sse"): it and the message path it announces are MCP."""
    stream_idle_s: Annotated[float, Field(gt=0, le=DAY_S, allow_inf_nan=False)] = 300.0
    """An MCP event stream (SSE) ends after this many seconds without a chunk."""
    tool_scopes: dict[str, list[str] | Literal["noauth"]] = Field(default_factory=dict)
    """Per tool: the scopes its calls need, or "noauth"; overrides its securitySchemes."""

    @field_validator("tool_scopes")
    @classmethod
    def _check_scopes(
        cls, value: dict[str, list[str] | Literal["noauth"]]
    ) -> dict[str, list[str] | Literal["noauth"]]:
        for tool, scopes in value.items():
            bad = [s for s in scopes if not _SCOPE.match(s)] if isinstance(scopes, list) else []
            if bad:
                raise ValueError(f"{tool}: {bad[0]!r} is not an OAuth scope (RFC 6749 3.3)")
        return value

    @field_validator("endpoint", "sse_endpoint")
    @classmethod
    def _check_endpoint(cls, value: str | None) -> str | None:
        return None if value is None else mcp_endpoint(value)

    @property
    def enabled(self) -> bool:
        """MCP mode: an endpoint of either transport is set."""
        return self.endpoint is not None or self.sse_endpoint is not None

    def covers(self, path: str) -> bool:
        """Whether a request path (without its query) is MCP traffic: an endpoint or below it."""
        return at_or_below(path, self.endpoint) or at_or_below(path, self.sse_endpoint)


def at_or_below(path: str, endpoint: str | None) -> bool:
    """Whether a request path is the endpoint or below it (False for no endpoint)."""
    if endpoint is None:
        return False
    return path == endpoint or path.startswith(endpoint.rstrip("/") + "/")


class _FileSource(PydanticBaseSettingsSource):
    """The TOML file's data, placed below the environment."""

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        return dict(_FILE_DATA.get() or {})


class Config(BaseSettings):
    """The whole of pluginlab.toml."""

    model_config = SettingsConfigDict(
        env_prefix="PLUGINLAB_",
        env_nested_delimiter="__",
        extra="forbid",
        use_attribute_docstrings=True,
    )

    plugin: PluginSection = Field(default_factory=PluginSection)
    """The plugin's files and the rules they follow."""
    proxy: ProxySection = Field(default_factory=ProxySection)
    """The proxy."""
    auth: AuthSection = Field(default_factory=AuthSection)
    """Auth mode and credentials."""
    plans: dict[str, PlanSection] = Field(default_factory=dict)
    """Plans with their rate limits, quotas and allowed operations."""
    store: StoreSection = Field(default_factory=StoreSection)
    """The event store."""
    mcp: McpSection = Field(default_factory=McpSection)
    """MCP mode: the endpoint whose traffic is MCP (ChatGPT apps)."""

    #: The folder relative paths are taken from (the config file's folder).
    base_dir: Path = Field(default_factory=Path.cwd, exclude=True)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, _FileSource(settings_cls))

    def path(self, value: Path) -> Path:
        """A configured path made absolute against the config file's folder."""
        return value if value.is_absolute() else (self.base_dir / value)

    @property
    def has_plugin_files(self) -> bool:
        """Whether the proxy serves a manifest and a spec: always, except in MCP mode when no
        `[plugin]` table (nor a plugin flag or variable) is given."""
        return not self.mcp.enabled or "plugin" in self.model_fields_set

    @property
    def manifest_path(self) -> Path:
        return self.path(self.plugin.manifest)

    @property
    def spec_path(self) -> Path:
        return self.path(self.plugin.spec)

    @property
    def store_path(self) -> Path:
        return self.path(self.store.path)

    @property
    def redacted_headers(self) -> list[str]:
        names = list(self.store.redact_headers)
        if self.auth.api_key_header.lower() not in {n.lower() for n in names}:
            names.append(self.auth.api_key_header)
        return names


def host_port(listen: str) -> tuple[str, int]:
    """Split HOST:PORT (IPv6 in brackets), or raise ValueError."""
    host, sep, port = listen.rpartition(":")
    if not sep or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError(f"{listen!r} is not HOST:PORT")
    return host.strip("[]") or "127.0.0.1", int(port)


def is_loopback_host(host: str) -> bool:
    """Whether a listen address's host is this machine only (localhost or a loopback IP)."""
    try:
        return host == "localhost" or ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


_LABEL = r"[A-Za-z0-9_](?:[A-Za-z0-9_-]*[A-Za-z0-9_])?"
_HOSTNAME = re.compile(rf"^{_LABEL}(?:\.{_LABEL})*\.?$")


def check_host(host: str) -> str:
    """A host name or an IP address (IPv6 with or without brackets), or ValueError."""
    bare = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    try:
        ipaddress.ip_address(bare)
        return host
    except ValueError:
        pass
    try:
        ascii_host = bare.encode("idna").decode("ascii")
    except UnicodeError:
        ascii_host = ""
    if bare != host or not _HOSTNAME.match(ascii_host) or len(ascii_host) > 253:
        raise ValueError("not a host name or IP address")
    return host


def base_url(value: str, *, query: bool = False) -> str:
    """An absolute http(s) URL with a valid host (and port), without query or fragment (unless
    `query`), and without its trailing slash; ValueError saying what is wrong otherwise."""
    if not value.startswith(("http://", "https://")):
        raise ValueError("must start with http:// or https://")
    if any(c.isspace() or ord(c) < 0x20 or ord(c) == 0x7F for c in value):
        raise ValueError("contains a space or a control character")
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError as exc:
        raise ValueError(f"not a valid URL ({exc})") from None
    host = parts.netloc.rpartition("@")[2]
    if host.startswith("["):
        host = host[: host.find("]") + 1]
    else:
        host = host.rpartition(":")[0] if ":" in host else host
    if not host:
        raise ValueError("has no host")
    try:
        check_host(host)
    except ValueError:
        raise ValueError(f"{host!r} is not a valid host") from None
    if not query and (parts.query or parts.fragment or value.endswith(("?", "#"))):
        raise ValueError("must not have a query or fragment")
    return value.rstrip("/")


_SEGMENT = re.compile(r"^[A-Za-z0-9._~!$&'()*+,;=:@-]+$")
#: A scope token (RFC 6749 section 3.3): printable ASCII but space, quote and backslash.
_SCOPE = re.compile(r"^[\x21\x23-\x5B\x5D-\x7E]+$")


def mcp_endpoint(value: str) -> str:
    """A request path such as "/mcp", as the proxy's canonical paths spell it (plain segments,
    no query; a trailing slash is dropped), or ValueError saying what is wrong."""
    if not value.startswith("/"):
        raise ValueError(f"{value!r} is not a path: it must start with /")
    segments = value[1:].removesuffix("/").split("/") if value != "/" else []
    for segment in segments:
        if not _SEGMENT.match(segment) or segment in (".", ".."):
            raise ValueError(
                f"{value!r} is not a plain request path (no query, %, space, //, . or ..)"
            )
    path = "/" + "/".join(segments)
    if (path + "/").startswith(PROXY_PREFIX):
        raise ValueError(f"{value!r} is the proxy's own namespace ({PROXY_PREFIX})")
    return path


def _set_nested(target: dict[str, Any], dotted: str, value: Any) -> None:
    keys = dotted.split(".")
    for key in keys[:-1]:
        target = target.setdefault(key, {})
    target[keys[-1]] = value


def _describe(error: ValidationError, source: str, init: dict[str, Any]) -> str:
    """The first error as one line naming where the value came from: a flag, an environment
    variable, or the file."""
    first = error.errors()[0]
    loc = [str(p) for p in first["loc"]]
    key = ".".join(loc) or "(top level)"
    env_name = "PLUGINLAB_" + "__".join(loc).upper()
    given: Any = init
    for part in loc:
        given = given.get(part) if isinstance(given, dict) else None
    if given is not None:
        source = "command line"
    elif loc and any(name.upper() == env_name for name in os.environ):
        source = env_name
    message = " ".join(str(first["msg"]).split())
    if first["type"] == "extra_forbidden":
        return f"{source}: unknown key {key!r}"
    return f"{source}: {key}: {message}"


def load_config(path: Path | None = None, overrides: dict[str, Any] | None = None) -> Config:
    """Read the config file (if any), the environment and the overrides (dotted keys).

    Raises UsageError with one line naming the file or key when anything is wrong.
    """
    data: dict[str, Any] = {}
    source = "environment"
    base_dir = Path.cwd()
    if path is not None:
        source = str(path)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise UsageError(f"config file not found: {path}") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(f"cannot read config file {path}: {exc}") from None
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise UsageError(f"{path}: not valid TOML: {exc}") from None
        base_dir = path.resolve().parent
    init: dict[str, Any] = {}
    for dotted, value in (overrides or {}).items():
        if value is not None:
            _set_nested(init, dotted, value)
    token = _FILE_DATA.set(data)
    try:
        config = Config(**init, base_dir=base_dir)
    except ValidationError as exc:
        raise UsageError(_describe(exc, source, init)) from None
    finally:
        _FILE_DATA.reset(token)
    return config


def find_config(start: Path | None = None) -> Path | None:
    """pluginlab.toml in the given folder, or None."""
    candidate = (start or Path.cwd()) / CONFIG_NAME
    return candidate if candidate.is_file() else None
