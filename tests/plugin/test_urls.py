"""Hosts and domains, with the public suffix list read offline."""

from __future__ import annotations

import importlib
import socket

import pytest

from pluginlab_tui.plugin import urls


@pytest.mark.parametrize(
    ("host", "local"),
    [
        ("localhost", True),
        ("api.localhost", True),
        ("127.0.0.1", True),
        ("::1", True),
        ("0.0.0.0", True),
        ("192.168.1.20", True),
        ("example.com", False),
        ("8.8.8.8", False),
    ],
)
def test_is_local_host(host: str, local: bool) -> None:
    assert urls.is_local_host(host) is local


@pytest.mark.parametrize(
    ("domain", "public_url", "root"),
    [
        ("www.example.com", None, "example.com"),
        ("https://www.example.com/x", None, "example.com"),
        ("plugin.example.com:8443", None, "plugin.example.com"),
        (None, "https://www.todo.example.co.uk", "todo.example.co.uk"),
        ("example.com", "https://other.dev", "example.com"),
        (None, "http://localhost:8787", None),
        (None, None, None),
        ("not a domain", None, None),
        ("intranet", None, None),
    ],
)
def test_root_domain(domain: str | None, public_url: str | None, root: str | None) -> None:
    assert urls.root_domain(domain, public_url) == root


def test_registered_domain_uses_private_suffixes_offline(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_network(*args: object, **kwargs: object) -> None:
        raise AssertionError("the public suffix list must not be fetched")

    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "getaddrinfo", no_network)
    importlib.reload(urls)  # a fresh extractor: its first use loads the bundled list
    assert urls.registered_domain("a.b.example.co.uk") == "example.co.uk"
    assert urls.registered_domain("myplugin.herokuapp.com") == "myplugin.herokuapp.com"
    assert urls.registered_domain("me.github.io") == "me.github.io"
    assert urls.registered_domain("localhost") is None


def test_on_domain_and_email() -> None:
    assert urls.on_domain("api.example.com", "example.com")
    assert not urls.on_domain("badexample.com", "example.com")
    assert urls.email_domain("me@Mail.Example.com") == "mail.example.com"
    assert urls.email_domain("me at example.com") is None
    assert urls.host_of("https://EXAMPLE.com:8080/x") == "example.com"
    assert urls.host_of("/relative") is None
    assert urls.host_of("http://[bad") is None
    assert not urls.is_absolute_http("ftp://example.com/x")
