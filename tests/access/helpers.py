"""Helpers for the auth tests: a header-echo backend, CLI calls, the secrets search, a server
of client metadata documents (over http, or https with a loopback CA of the test's own)."""

from __future__ import annotations

import contextlib
import datetime
import io
import ipaddress
import json
import ssl
import threading
import time
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from pluginlab_tui.cli import main
from pluginlab_tui.examples import Backend, free_port
from pluginlab_tui.store.event import Event
from tests.conftest import stored_events
from tests.harness import ProxyProcess, wait_for


async def _echo(request: Request) -> JSONResponse:
    return JSONResponse(
        {"headers": [[k, v] for k, v in request.headers.items()], "path": request.url.path},
        status_code=201 if request.method == "POST" else 200,
    )


@contextlib.contextmanager
def echo_backend() -> Iterator[str]:
    """A tiny backend on a free loopback port that answers every request with its headers."""
    app = Starlette(routes=[Route("/{path:path}", _echo, methods=["GET", "POST", "PATCH"])])
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    try:
        yield url
    finally:
        server.should_exit = True
        thread.join(10)


def cli(*argv: str) -> tuple[int, str, str]:
    """Run `pluginlab-tui ARGV` in this process: (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


def add_user(proxy: ProxyProcess, name: str, plan: str | None = None) -> str:
    """`users add NAME [--plan P]` against the proxy's store; returns the key it printed."""
    args = ["users", "add", name, "--config", str(proxy.config)]
    if plan:
        args += ["--plan", plan]
    code, out, err = cli(*args)
    assert code == 0, err
    return out.strip().splitlines()[-1]


def unique(prefix: str = "u") -> str:
    return f"{prefix}{uuid.uuid4().hex[:10]}"


def todo_count(backend: Backend, username: str) -> int:
    """How many todos the real backend holds for a user: what reached it."""
    answer = httpx.get(f"{backend.url}/todos/{username}", trust_env=False, timeout=10)
    return int(answer.json()["count"])


def events_when(proxy: ProxyProcess, count: int) -> list[Event]:
    """The proxy's events once at least `count` are stored."""
    found = wait_for(lambda: (e := stored_events(proxy.db)) and len(e) >= count and e)
    assert found, f"fewer than {count} events were stored"
    return list(found)


def by_id(events: list[Event]) -> dict[str, Event]:
    return {e.event_id: e for e in events}


def assert_no_secrets(proxy: ProxyProcess, secrets: list[str]) -> None:
    """Neither the store (file, -wal) nor `events --format json` holds any of the secrets."""
    secrets = [s for s in secrets if s]
    assert secrets
    code, exported, _ = cli(
        "events", "--db", str(proxy.db), "--format", "json", "--limit", "100000"
    )
    assert code == 0
    places: dict[str, bytes] = {"events --format json": exported.encode("utf-8")}
    for suffix in ("", "-wal", "-shm"):
        path = Path(str(proxy.db) + suffix)
        if path.exists():
            places[path.name] = path.read_bytes()
    for secret in secrets:
        needle = secret.encode("utf-8")
        hits = [name for name, data in places.items() if needle in data]
        assert not hits, f"secret {secret[:6]}... found in {hits}"


def body(event: Event) -> Any:
    return json.loads(event.response_body or "null")


_KEY_USAGES = (
    "digital_signature",
    "content_commitment",
    "key_encipherment",
    "data_encipherment",
    "key_agreement",
    "key_cert_sign",
    "crl_sign",
    "encipher_only",
    "decipher_only",
)


def loopback_tls(folder: Path) -> tuple[ssl.SSLContext, Path]:
    """A CA of the test's own and a certificate it signed for 127.0.0.1: the server's TLS
    context, and the CA's PEM file (for SSL_CERT_FILE)."""
    now = datetime.datetime.now(datetime.UTC)

    def certificate(
        name: str,
        key: ec.EllipticCurvePrivateKey,
        issuer: x509.Name,
        signer: ec.EllipticCurvePrivateKey,
        ca: bool,
    ) -> x509.Certificate:
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
        builder = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(issuer if not ca else subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(hours=1))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(signer.public_key()), False
            )
        )
        if ca:  # what Python 3.13's strict verification asks of a CA and of a server
            usage = dict.fromkeys(_KEY_USAGES, False) | {"key_cert_sign": True, "crl_sign": True}
            builder = builder.add_extension(x509.KeyUsage(**usage), critical=True)
        else:
            ip = x509.IPAddress(ipaddress.ip_address("127.0.0.1"))
            builder = builder.add_extension(x509.SubjectAlternativeName([ip]), critical=False)
            server = x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH])
            builder = builder.add_extension(server, critical=False)
        return builder.sign(signer, hashes.SHA256())

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = certificate("pluginlab test CA", ca_key, x509.Name([]), ca_key, ca=True)
    leaf_key = ec.generate_private_key(ec.SECP256R1())
    leaf = certificate("127.0.0.1", leaf_key, ca.subject, ca_key, ca=False)
    ca_file, chain = folder / "ca.pem", folder / "server.pem"
    ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    key_pem = leaf_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    chain.write_bytes(leaf.public_bytes(serialization.Encoding.PEM) + key_pem)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(chain)
    return context, ca_file


class DocumentServer:
    """A loopback HTTP server (HTTPS with `tls`) answering GET /PATH with the documents set in
    `.documents` (path -> (status, body, headers)); `.hits` counts requests by path."""

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self.documents: dict[str, tuple[int, bytes, dict[str, str]]] = {}
        self.hits: dict[str, int] = {}
        served = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                served.hits[self.path] = served.hits.get(self.path, 0) + 1
                status, content, headers = served.documents.get(self.path, (404, b"{}", {}))
                self.send_response(status)
                for name, value in {"Content-Type": "application/json", **headers}.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(content)))
                self.end_headers()
                self.wfile.write(content)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        if tls is not None:
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        scheme = "https" if tls is not None else "http"
        self.url = f"{scheme}://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def serve(
        self, path: str, document: Any, status: int = 200, headers: dict[str, str] | None = None
    ) -> str:
        """Serve `document` (JSON, or bytes as they are) at `path`; returns its URL."""
        content = document if isinstance(document, bytes) else json.dumps(document).encode()
        self.documents[path] = (status, content, headers or {})
        return self.url + path

    def __enter__(self) -> DocumentServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(10)
