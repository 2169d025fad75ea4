"""Writing the plugin's files: init's manifest, config, spec skeleton and logo, and the one way
every command writes a file (diff shown, backup kept, nothing overwritten without consent).
"""

from __future__ import annotations

import difflib
import json
import re
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import urljoin, urlsplit

import yaml

from pluginlab_tui.config import base_url
from pluginlab_tui.errors import UsageError
from pluginlab_tui.plugin.diff import Change, diff_specs
from pluginlab_tui.plugin.files import PluginFileError, parse_spec_text
from pluginlab_tui.wire import AUTHORIZE_ROUTE, LOGO_ROUTE, TOKEN_ROUTE

AUTH_MODES = ("none", "service_http", "user_http", "oauth", "api_key")
SPEC_ROUTES = ("/openapi.json", "/openapi.yaml", "/.well-known/openapi.yaml")
MAX_DIFF_LINES = 400
_NAME_FOR_MODEL = re.compile(r"^[A-Za-z0-9_]{1,50}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")

# -- writing any file: diff, backup, version note ---------------------------------------------


def backup_path(path: Path) -> Path:
    """FILE.bak when free, else the first free FILE.~N~."""
    first = path.with_name(path.name + ".bak")
    if not first.exists():
        return first
    n = 1
    while path.with_name(f"{path.name}.~{n}~").exists():
        n += 1
    return path.with_name(f"{path.name}.~{n}~")


def text_diff(old: str, new: str, name: str) -> str:
    """A unified diff of two texts ('' when they are equal), at most MAX_DIFF_LINES lines."""
    lines = list(
        difflib.unified_diff(
            old.splitlines(keepends=True),
            new.splitlines(keepends=True),
            fromfile=f"{name} (before)",
            tofile=f"{name} (after)",
        )
    )
    if len(lines) > MAX_DIFF_LINES:
        cut = len(lines) - MAX_DIFF_LINES
        lines = [*lines[:MAX_DIFF_LINES], f"... ({cut} more diff lines)\n"]
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


def spec_changes(old_text: str, new_text: str, name: str) -> list[Change] | None:
    """The spec diff (plugin.diff) between two spec texts; None when either is not a spec."""
    try:
        old = parse_spec_text(old_text, name)
        new = parse_spec_text(new_text, name)
    except PluginFileError:
        return None
    return diff_specs(old, new)


def describe_change(path: Path, old_text: str | None, new_text: str, *, spec: bool) -> str:
    """What writing `new_text` over `old_text` changes: the spec diff and the text diff."""
    if old_text is None:
        return f"new file {path} ({len(new_text.splitlines())} lines)\n"
    out: list[str] = []
    if spec:
        changes = spec_changes(old_text, new_text, str(path))
        if changes:
            out.append(f"spec changes in {path}:\n")
            for change in changes:
                mark = "BREAKING " if change.breaking else ""
                out.append(f"  {mark}{change.kind}: {change.message} ({change.where})\n")
    diff = text_diff(old_text, new_text, str(path))
    out.append(diff if diff else f"{path}: no change\n")
    return "".join(out)


@dataclass
class WriteResult:
    path: Path
    written: bool
    backup: Path | None = None
    created: bool = False


@dataclass
class Writer:
    """Writes files the house way: asks (or needs force) before replacing, shows the diff,
    keeps a backup of what it replaces.

    `ask(question) -> bool` is None when nobody can be asked (then only `force` replaces).
    """

    out: TextIO
    force: bool = False
    ask: Callable[[str], bool] | None = None
    results: list[WriteResult] = field(default_factory=list)

    def write(self, path: Path, text: str, *, spec: bool = False) -> WriteResult:
        old: str | None = None
        if path.exists():
            try:
                old = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise UsageError(f"cannot read {path}: {exc}") from None
            if old == text:
                self.out.write(f"{path}: unchanged\n")
                result = WriteResult(path, False)
                self.results.append(result)
                return result
        if old is not None:
            self.out.write(describe_change(path, old, text, spec=spec))
            if not self.force:
                if self.ask is None or not self.ask(f"replace {path} (a backup is kept)?"):
                    self.out.write(f"{path}: kept as it is (use --force to replace it)\n")
                    result = WriteResult(path, False)
                    self.results.append(result)
                    return result
        result = write_with_backup(path, text)
        if result.backup is not None:
            self.out.write(f"{path}: written (backup: {result.backup.name})\n")
        else:
            self.out.write(f"{path}: written\n")
        self.results.append(result)
        return result

    def write_bytes(self, path: Path, data: bytes) -> WriteResult:
        """A binary file (the logo): written only when absent."""
        if path.exists():
            self.out.write(f"{path}: kept as it is\n")
            result = WriteResult(path, False)
        else:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(data)
            except OSError as exc:
                raise UsageError(f"cannot write {path}: {exc}") from None
            self.out.write(f"{path}: written\n")
            result = WriteResult(path, True, created=True)
        self.results.append(result)
        return result


def write_with_backup(path: Path, text: str) -> WriteResult:
    """Write `text` to `path`; an existing file is first copied to FILE.bak (or FILE.~N~)."""
    backup: Path | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists():
            backup = backup_path(path)
            backup.write_bytes(path.read_bytes())
        tmp = path.with_name(path.name + ".pluginlab-tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc}") from None
    return WriteResult(path, True, backup, created=backup is None)


# -- init's answers and files -----------------------------------------------------------------


@dataclass
class Answers:
    """What init asks for."""

    name_for_human: str
    name_for_model: str
    description_for_human: str
    description_for_model: str
    contact_email: str
    legal_url: str
    backend: str | None = None
    auth: str = "none"
    authorization_type: str = "bearer"
    public_url: str = "http://localhost:8787"
    listen: str = "127.0.0.1:8787"
    verification_token: str | None = None
    api_key_header: str = "Authorization"


def check_answers(a: Answers) -> None:
    """Raise UsageError (one line naming the flag) for a value that cannot work."""
    if not a.name_for_human.strip():
        raise UsageError("--name-for-human: must not be empty")
    if len(a.name_for_human) > 50:
        raise UsageError("--name-for-human: at most 50 characters (20 recommended)")
    if not _NAME_FOR_MODEL.match(a.name_for_model):
        raise UsageError(
            f"--name-for-model: {a.name_for_model!r} must be 1-50 letters and digits (no spaces)"
        )
    for flag, value, limit in (
        ("--description-for-human", a.description_for_human, 100),
        ("--description-for-model", a.description_for_model, 8000),
    ):
        if not value.strip():
            raise UsageError(f"{flag}: must not be empty")
        if len(value) > limit:
            raise UsageError(f"{flag}: {len(value)} characters; the limit is {limit}")
    if not _EMAIL.match(a.contact_email):
        raise UsageError(f"--contact-email: {a.contact_email!r} is not an email address")
    for flag, url in (("--legal-url", a.legal_url), ("--public-url", a.public_url)):
        if not _is_http_url(url):
            raise UsageError(f"{flag}: {url!r} must be an absolute http(s) URL")
    if a.backend is not None and not _is_http_url(a.backend):
        raise UsageError(f"--backend: {a.backend!r} must be an absolute http(s) URL")
    if a.auth not in AUTH_MODES:
        raise UsageError(f"--auth: {a.auth!r} is not one of {', '.join(AUTH_MODES)}")
    if a.authorization_type not in ("bearer", "basic"):
        raise UsageError("--authorization-type: bearer or basic")
    if a.auth == "oauth" and _is_local(a.public_url):
        raise UsageError(
            "--auth oauth: OAuth plugins cannot use localhost; give an https --public-url "
            "(a tunnel's URL)"
        )
    if a.verification_token is not None and not re.fullmatch(r"[A-Za-z0-9]+", a.verification_token):
        raise UsageError("--verification-token: letters and digits only")
    from pluginlab_tui.config import host_port

    try:
        host_port(a.listen)
    except ValueError as exc:
        raise UsageError(f"--listen: {exc}") from None


def _is_http_url(url: str) -> bool:
    try:
        base_url(url, query=True)
    except ValueError:
        return False
    return True


def _is_local(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    return host in ("localhost", "::1", "0.0.0.0") or host.startswith("127.")


def manifest_auth(a: Answers) -> dict[str, Any]:
    """The manifest's auth object for the chosen mode (what the proxy serves for it too)."""
    token = a.verification_token or ""
    public = a.public_url.rstrip("/")
    if a.auth in ("service_http", "api_key"):
        return {
            "type": "service_http",
            "authorization_type": a.authorization_type,
            "verification_tokens": {"openai": token},
        }
    if a.auth == "user_http":
        return {"type": "user_http", "authorization_type": a.authorization_type}
    if a.auth == "oauth":
        return {
            "type": "oauth",
            "client_url": public + AUTHORIZE_ROUTE,
            "scope": "todos",
            "authorization_url": public + TOKEN_ROUTE,
            "authorization_content_type": "application/json",
            "verification_tokens": {"openai": token},
        }
    return {"type": "none"}


def build_manifest(a: Answers, spec_route: str = "/openapi.yaml") -> dict[str, Any]:
    public = a.public_url.rstrip("/")
    return {
        "schema_version": "v1",
        "name_for_human": a.name_for_human,
        "name_for_model": a.name_for_model,
        "description_for_human": a.description_for_human,
        "description_for_model": a.description_for_model,
        "auth": manifest_auth(a),
        "api": {"type": "openapi", "url": public + spec_route},
        "logo_url": public + LOGO_ROUTE,
        "contact_email": a.contact_email,
        "legal_info_url": a.legal_url,
    }


def manifest_text(manifest: dict[str, Any]) -> str:
    return json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return json.dumps(str(value), ensure_ascii=False)


def config_text(a: Answers, *, logo: str | None = "logo.png") -> str:
    """pluginlab.toml for the answers (only keys that differ from what a reader must know)."""
    lines = [
        "# Written by `pluginlab-tui init`. Every key is described in the README (Config).",
        "",
        "[plugin]",
        'manifest = "ai-plugin.json"',
        'spec = "openapi.yaml"',
        f"profile = {_toml('actions' if a.auth == 'api_key' else 'plugin')}",
    ]
    if logo:
        lines.append(f"logo = {_toml(logo)}")
    lines += ["", "[proxy]", f"listen = {_toml(a.listen)}"]
    if a.backend:
        lines.append(f"backend = {_toml(a.backend.rstrip('/'))}")
    else:
        lines.append("# no backend: the proxy answers from the spec (mock)")
    lines += [f"public_url = {_toml(a.public_url.rstrip('/'))}", "", "[auth]"]
    lines.append(f"mode = {_toml(a.auth)}")
    if a.auth in ("service_http", "user_http", "api_key"):
        lines.append(f"authorization_type = {_toml(a.authorization_type)}")
    if a.verification_token and a.auth in ("service_http", "oauth", "api_key"):
        lines.append(f"verification_token = {_toml(a.verification_token)}")
    if a.auth == "service_http":
        lines.append("# set the service token in the environment: PLUGINLAB_AUTH__SERVICE_TOKEN")
    if a.auth == "api_key":
        lines.append(f"api_key_header = {_toml(a.api_key_header)}")
        lines.append("# set the key in the environment: PLUGINLAB_AUTH__API_KEY")
    lines += ["", "[store]", 'path = ".pluginlab/events.db"', ""]
    return "\n".join(lines)


def security_schemes(a: Answers) -> dict[str, Any]:
    """components.securitySchemes and the top-level security matching the auth mode."""
    public = a.public_url.rstrip("/")
    if a.auth in ("service_http", "user_http"):
        scheme: dict[str, Any] = {"type": "http", "scheme": a.authorization_type}
    elif a.auth == "api_key":
        if a.api_key_header.lower() == "authorization":
            scheme = {"type": "http", "scheme": a.authorization_type}
        else:
            scheme = {"type": "apiKey", "in": "header", "name": a.api_key_header}
    elif a.auth == "oauth":
        scheme = {
            "type": "oauth2",
            "flows": {
                "authorizationCode": {
                    "authorizationUrl": public + AUTHORIZE_ROUTE,
                    "tokenUrl": public + TOKEN_ROUTE,
                    "scopes": {"todos": "Use the plugin"},
                }
            },
        }
    else:
        return {}
    return {"auth": scheme}


def skeleton_spec(a: Answers) -> dict[str, Any]:
    """A minimal spec that lints clean: one documented operation to replace with yours."""
    spec: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {
            "title": a.name_for_human,
            "description": a.description_for_human,
            "version": "0.1.0",
        },
        "servers": [{"url": a.public_url.rstrip("/")}],
        "paths": {
            "/health": {
                "get": {
                    "operationId": "getHealth",
                    "summary": "Check that the service is up.",
                    "responses": {
                        "200": {
                            "description": "The service is up.",
                            "content": {
                                "application/json": {
                                    "schema": {
                                        "type": "object",
                                        "properties": {"status": {"type": "string"}},
                                    }
                                }
                            },
                        }
                    },
                }
            }
        },
    }
    add_security(spec, a)
    return spec


def add_security(spec: dict[str, Any], a: Answers) -> None:
    schemes = security_schemes(a)
    if not schemes:
        return
    components = spec.setdefault("components", {})
    if isinstance(components, dict) and not components.get("securitySchemes"):
        components["securitySchemes"] = schemes
        spec.setdefault("security", [{"auth": []}])


def spec_text(spec: dict[str, Any]) -> str:
    return yaml.safe_dump(spec, sort_keys=False, allow_unicode=True, width=100)


@dataclass
class ImportedSpec:
    spec: dict[str, Any]
    url: str


def fetch_spec(
    backend: str, spec_url: str | None = None, timeout: float = 5.0
) -> tuple[ImportedSpec | None, list[str]]:
    """The backend's own spec, tried at --spec-url or the usual routes; and notes on each try."""
    import httpx

    base = backend.rstrip("/") + "/"
    urls = (
        [urljoin(base, spec_url.lstrip("/")) if "://" not in spec_url else spec_url]
        if (spec_url)
        else [urljoin(base, route.lstrip("/")) for route in SPEC_ROUTES]
    )
    notes: list[str] = []
    with httpx.Client(timeout=timeout, trust_env=False, follow_redirects=True) as client:
        for url in urls:
            try:
                response = client.get(url)
            except httpx.HTTPError as exc:
                notes.append(f"{url}: {type(exc).__name__}")
                continue
            if response.status_code != 200:
                notes.append(f"{url}: HTTP {response.status_code}")
                continue
            try:
                spec = parse_spec_text(response.text, url)
            except PluginFileError as exc:
                notes.append(str(exc))
                continue
            version = str(spec.get("openapi", ""))
            if not version.startswith("3"):
                notes.append(f"{url}: not OpenAPI 3 (openapi: {spec.get('openapi', 'missing')})")
                continue
            return ImportedSpec(spec, url), notes
    return None, notes


def adopt_spec(spec: dict[str, Any], a: Answers) -> dict[str, Any]:
    """An imported spec made ready to serve: servers at the public URL (base path kept)."""
    servers = spec.get("servers")
    base = ""
    if isinstance(servers, list) and servers and isinstance(servers[0], dict):
        url = str(servers[0].get("url") or "")
        path = urlsplit(url).path if "://" in url else url
        if "{" not in path:
            base = path.rstrip("/")
    spec["servers"] = [{"url": a.public_url.rstrip("/") + base}]
    if not isinstance(spec.get("info"), dict):
        spec["info"] = {"title": a.name_for_human, "version": "0.1.0"}
    return spec


def logo_png(size: int = 512, rgb: tuple[int, int, int] = (47, 111, 235)) -> bytes:
    """A plain square PNG (a logo to replace with yours)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    row = b"\x00" + bytes(rgb) * size
    raw = zlib.compress(row * size, 9)
    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")
