from __future__ import annotations

import os
from pathlib import Path

import jwt
import pytest

from pluginlab_tui.access.jwt import Signer, key_path


@pytest.mark.parametrize("alg", ["RS256", "PS256"])
def test_tokens_verify_with_the_jwks_and_the_key_is_kept(tmp_path: Path, alg: str) -> None:
    store = tmp_path / "events.db"
    signer = Signer(store, alg=alg, issuer="http://localhost:8787", ttl_s=60)
    token = signer.sign("alice", "pro", "plugin:todolab")
    key = jwt.PyJWKSet.from_dict(signer.jwks()).keys[0]
    assert jwt.get_unverified_header(token)["kid"] == key.key_id == signer.kid
    claims = jwt.decode(
        token, key.key, algorithms=[alg], audience="plugin:todolab", issuer="http://localhost:8787"
    )
    assert claims["uid"] == "alice" and claims["plan"] == "pro"
    assert claims["exp"] - claims["iat"] == 60
    assert os.stat(key_path(store)).st_mode & 0o777 == 0o600
    again = Signer(store, alg=alg, issuer="http://localhost:8787", ttl_s=60)
    assert again.kid == signer.kid  # the same key after a restart
    assert "d" not in signer.jwks()["keys"][0]  # never the private part
