"""Identity for the backend as a signed JWT (RS256 or PS256), verifiable with the served JWKS.

The signing key is made once per store and kept beside it (`<store>.signing-key.pem`, mode
0600), so a backend's cached JWKS stays good across restarts of the proxy.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import time
from pathlib import Path
from typing import Any

import jwt as pyjwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm


def key_path(store_path: Path) -> Path:
    return store_path.with_name(store_path.name + ".signing-key.pem")


def _load_or_make(path: Path) -> rsa.RSAPrivateKey:
    if path.exists():
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(key, rsa.RSAPrivateKey):
            raise ValueError(f"{path} does not hold an RSA private key")
        return key
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(pem)
    return key


class Signer:
    """Signs the caller's identity; `jwks()` is what /_pluginlab/jwks.json serves."""

    def __init__(self, store_path: Path, *, alg: str, issuer: str, ttl_s: int) -> None:
        self.alg = alg
        self.issuer = issuer
        self.ttl_s = ttl_s
        self._key = _load_or_make(key_path(store_path))
        public = json.loads(RSAAlgorithm.to_jwk(self._key.public_key()))
        public.pop("key_ops", None)
        self.kid = _thumbprint(public)
        self._jwk: dict[str, Any] = {**public, "kid": self.kid, "use": "sig", "alg": alg}

    def jwks(self) -> dict[str, Any]:
        return {"keys": [self._jwk]}

    def sign(self, uid: str, plan: str | None, audience: str, now: float | None = None) -> str:
        issued = int(now if now is not None else time.time())
        claims = {
            "uid": uid,
            "sub": uid,
            "plan": plan,
            "aud": audience,
            "iss": self.issuer,
            "iat": issued,
            "exp": issued + self.ttl_s,
        }
        return pyjwt.encode(claims, self._key, algorithm=self.alg, headers={"kid": self.kid})


def _thumbprint(jwk: dict[str, Any]) -> str:
    """RFC 7638 thumbprint of an RSA JWK."""
    canonical = json.dumps({"e": jwk["e"], "kty": "RSA", "n": jwk["n"]}, separators=(",", ":"))
    digest = hashlib.sha256(canonical.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
