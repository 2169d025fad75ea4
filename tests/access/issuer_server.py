"""A real authorization server on loopback, for the external-issuer tests: RFC 8414 metadata,
a JWKS of keys made here, RFC 7662 introspection (HTTP Basic client credentials), and JWTs
signed with those keys. A uvicorn server in a thread; every request is counted by path."""

from __future__ import annotations

import base64
import threading
import time
from collections import Counter
from typing import Any

import jwt
import uvicorn
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from pluginlab_tui.examples import free_port

CLIENT_ID = "pluginlab-proxy"
CLIENT_SECRET = "introspection-secret-0123456789"


class Key:
    def __init__(self, kid: str) -> None:
        self.kid = kid
        self.private = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def jwk(self) -> dict[str, Any]:
        found: dict[str, Any] = RSAAlgorithm.to_jwk(self.private.public_key(), as_dict=True)
        return {**found, "kid": self.kid, "alg": "RS256", "use": "sig"}


class IssuerServer:
    """`with IssuerServer() as issuer:` then `issuer.url`, `issuer.token(...)`, `issuer.hits`."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.keys = [Key("k1")]
        self.hits: Counter[str] = Counter()
        #: opaque token -> its introspection answer
        self.opaque: dict[str, dict[str, Any]] = {}
        self.seen_auth: list[str] = []
        app = Starlette(
            routes=[
                Route("/.well-known/oauth-authorization-server", self._metadata),
                Route("/jwks.json", self._jwks),
                Route("/introspect", self._introspect, methods=["POST"]),
            ]
        )
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    async def _metadata(self, request: Request) -> Response:
        self.hits["metadata"] += 1
        return JSONResponse(
            {
                "issuer": self.url,
                "authorization_endpoint": self.url + "/authorize",
                "token_endpoint": self.url + "/token",
                "jwks_uri": self.url + "/jwks.json",
                "introspection_endpoint": self.url + "/introspect",
                "response_types_supported": ["code"],
                "code_challenge_methods_supported": ["S256"],
            }
        )

    async def _jwks(self, request: Request) -> Response:
        self.hits["jwks"] += 1
        return JSONResponse({"keys": [k.jwk() for k in self.keys]})

    async def _introspect(self, request: Request) -> Response:
        self.hits["introspect"] += 1
        auth = request.headers.get("authorization", "")
        self.seen_auth.append(auth)
        expected = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        if auth != f"Basic {expected}":
            return JSONResponse({"error": "invalid_client"}, status_code=401)
        form = await request.form()
        token = str(form.get("token", ""))
        return JSONResponse(self.opaque.get(token, {"active": False}))

    def token(self, resource: str, key: Key | None = None, **claims: Any) -> str:
        """A JWT of this issuer for `resource`, signed with `key` (the first by default); claims
        given replace the defaults (a value None removes it)."""
        key = key or self.keys[0]
        now = int(time.time())
        body: dict[str, Any] = {
            "iss": self.url,
            "sub": "bob",
            "aud": resource,
            "exp": now + 600,
            "iat": now,
            "scope": "cards",
        }
        body.update(claims)
        body = {k: v for k, v in body.items() if v is not None}
        return jwt.encode(body, key.private, algorithm="RS256", headers={"kid": key.kid})

    def __enter__(self) -> IssuerServer:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started and time.monotonic() < deadline:
            time.sleep(0.02)
        assert self.server.started, "the issuer did not start"
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)
