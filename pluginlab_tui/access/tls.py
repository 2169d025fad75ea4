"""The trust of the proxy's own https fetches (a client's metadata document, an external issuer's
metadata, keys and introspection): the public CAs (certifi's bundle, as httpx has by default)
and, besides them, the CA file named in SSL_CERT_FILE (a company's own CA, or a test's)."""

from __future__ import annotations

import os
import ssl
from functools import cache

import certifi


@cache
def client_context() -> ssl.SSLContext:
    """The TLS context for outbound https (made once: loading the CAs takes milliseconds)."""
    context = ssl.create_default_context(cafile=certifi.where())
    extra = os.environ.get("SSL_CERT_FILE")
    if extra:
        context.load_verify_locations(cafile=extra)
    return context
