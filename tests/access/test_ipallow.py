from __future__ import annotations

from pluginlab_tui.access.ipallow import IpAllowList


def test_empty_list_allows_everyone() -> None:
    assert IpAllowList([]).allows("203.0.113.9") and not IpAllowList([]).active


def test_cidrs_v4_v6_and_mapped_addresses() -> None:
    allow = IpAllowList(["23.102.140.112/28", "2001:db8::/32", "127.0.0.1"])
    assert allow.allows("23.102.140.113") and allow.allows("127.0.0.1")
    assert allow.allows("::ffff:23.102.140.120") and allow.allows("2001:db8::1")
    assert not allow.allows("23.102.140.128") and not allow.allows("10.0.0.1")
    assert not allow.allows("") and not allow.allows("not-an-ip")
