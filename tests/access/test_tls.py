"""The trust of the proxy's own https fetches: the public CAs, and the CA in SSL_CERT_FILE."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from pluginlab_tui.access import tls
from tests.access.helpers import DocumentServer, loopback_tls


@pytest.fixture
def fresh_context() -> Iterator[None]:
    """The context is made once a process: made again for each test (and after it)."""
    tls.client_context.cache_clear()
    yield
    tls.client_context.cache_clear()


def _fetch(url: str) -> httpx.Response:
    return httpx.get(url, verify=tls.client_context(), trust_env=False)


@pytest.mark.usefixtures("fresh_context")
def test_a_certificate_of_the_ca_in_ssl_cert_file_is_trusted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server_tls, ca_file = loopback_tls(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(ca_file))
    with DocumentServer(server_tls) as docs:
        assert _fetch(docs.serve("/doc", {"ok": True})).json() == {"ok": True}


@pytest.mark.usefixtures("fresh_context")
def test_without_it_an_unknown_ca_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server_tls, _ = loopback_tls(tmp_path)
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    with DocumentServer(server_tls) as docs, pytest.raises(httpx.ConnectError, match="verify"):
        _fetch(docs.serve("/doc", {"ok": True}))


@pytest.mark.usefixtures("fresh_context")
def test_the_public_cas_are_trusted_and_names_are_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    context = tls.client_context()
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    assert context.cert_store_stats()["x509_ca"] > 50  # certifi's bundle
