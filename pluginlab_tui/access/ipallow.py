"""The IP allow-list (`auth.allow_ips`): CIDRs a caller must come from, in any auth mode."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable


class IpAllowList:
    """Empty: everyone is allowed. The address is the caller's as the Runtime found it
    (X-Forwarded-For is believed only from `proxy.trusted_proxies`)."""

    def __init__(self, cidrs: Iterable[str]) -> None:
        self.networks = [ipaddress.ip_network(c, strict=False) for c in cidrs]

    @property
    def active(self) -> bool:
        return bool(self.networks)

    def allows(self, address: str) -> bool:
        if not self.networks:
            return True
        try:
            ip = ipaddress.ip_address(address.strip().removeprefix("::ffff:"))
        except ValueError:
            return False
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        return any(ip.version == net.version and ip in net for net in self.networks)
