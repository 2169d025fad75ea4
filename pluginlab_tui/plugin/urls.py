"""URLs and domains as the plugin rules see them: absolute or not, local or not, whose domain.

The public suffix list is tldextract's bundled snapshot: no network, no cache files.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import SplitResult, urlsplit

import tldextract

_EXTRACT = tldextract.TLDExtract(
    suffix_list_urls=(), cache_dir=None, include_psl_private_domains=True
)
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
_EMAIL = re.compile(rf"^[^@\s<>()\[\],;:\"]+@({_LABEL}(?:\.{_LABEL})+)$")
_HOST = re.compile(r"^[A-Za-z0-9._-]+$")


def split(url: str) -> SplitResult | None:
    """The URL's parts, or None when it cannot be split."""
    try:
        parts = urlsplit(url.strip())
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        return None
    return parts


def is_absolute_http(url: str) -> bool:
    """An http(s) URL with a host."""
    parts = split(url)
    return parts is not None and parts.scheme in ("http", "https") and bool(parts.hostname)


def host_of(url: str) -> str | None:
    """The lower-case host of an absolute URL (no port), or None."""
    parts = split(url)
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return parts.hostname.lower().rstrip(".")


def is_local_host(host: str) -> bool:
    """localhost, a loopback, unspecified or private address: unreachable from ChatGPT."""
    host = host.lower().strip("[]").rstrip(".")
    if host == "localhost" or host.endswith((".localhost", ".local")):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified or address.is_private


def is_local_url(url: str | None) -> bool:
    if not url:
        return False
    host = host_of(url)
    return host is not None and is_local_host(host)


def registered_domain(host: str) -> str | None:
    """The second-level (registrable) domain of a host: a.b.example.co.uk -> example.co.uk."""
    host = host.lower().rstrip(".")
    if not host or not _HOST.match(host) or is_local_host(host):
        return None
    result = _EXTRACT(host)
    if not result.suffix or not result.domain:
        return None
    return f"{result.domain}.{result.suffix}"


def root_domain(domain: str | None = None, public_url: str | None = None) -> str | None:
    """The manifest's root domain: `domain`, else public_url's host; leading www. stripped.

    None when neither is given, or when the host is local or not under a public suffix (the
    domain rules then do not apply).
    """
    host: str | None = None
    if domain:
        candidate = domain.strip()
        host = host_of(candidate) if "://" in candidate else candidate.split("/")[0]
        if host and ":" in host and not host.startswith("["):
            host = host.rsplit(":", 1)[0]
    elif public_url:
        host = host_of(public_url)
    if not host:
        return None
    host = host.lower().rstrip(".")
    if host.startswith("www."):
        host = host[4:]
    if registered_domain(host) is None:
        return None
    return host


def on_domain(host: str, root: str) -> bool:
    """The host is the root domain or one of its subdomains (www. counts as the root)."""
    host = host.lower().rstrip(".")
    return host == root or host.endswith("." + root)


def email_domain(email: str) -> str | None:
    """The domain of a well-formed email address, or None."""
    match = _EMAIL.match(email.strip())
    return match.group(1).lower() if match else None
