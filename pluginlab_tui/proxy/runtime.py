"""What the proxy's addons share: the config, the plugin in service, the store writer."""

from __future__ import annotations

import ipaddress
import sqlite3
from collections.abc import Callable, Mapping

from mitmproxy import http

from pluginlab_tui.access.jwt import key_path
from pluginlab_tui.access.manifest import manifest_auth
from pluginlab_tui.access.redaction import Redactor
from pluginlab_tui.access.state import AuthState
from pluginlab_tui.config import Config
from pluginlab_tui.contract.service import PluginService
from pluginlab_tui.contract.watch import FileWatcher
from pluginlab_tui.proxy.budget import Budget
from pluginlab_tui.proxy.exchange import Exchange
from pluginlab_tui.proxy.mcp_paths import McpPaths
from pluginlab_tui.store.database import connect, open_store
from pluginlab_tui.store.writer import EventWriter
from pluginlab_tui.wire import EVENT_HEADER, PLAN_HEADER, USER_HEADER


def signing_key_lines(config: Config) -> list[str]:
    """The JWT signing key's PEM lines (a secret, should it ever show up in a message)."""
    if not config.auth.jwt.enabled:
        return []
    try:
        pem = key_path(config.store_path).read_text(encoding="ascii")
    except (OSError, ValueError):
        return []
    return [line for line in pem.splitlines() if len(line) >= 16 and not line.startswith("-")]


class Runtime:
    """Built once per proxy from the config; started when the proxy runs, closed when it stops."""

    def __init__(self, config: Config) -> None:
        self.config = config
        #: What takes the connections: "mitmproxy" (its proxy server, stock mitmdump too) or
        #: "aiohttp" (serve's front, proxy/front.py, which sets it); health reports it.
        self.engine = "mitmproxy"
        self.conn: sqlite3.Connection = open_store(config.store_path, create=True)
        #: Auth and access: users, the dev OAuth provider, limits, allow-list, JWT signer.
        self.auth = AuthState(config, self.conn)
        #: Cuts secrets out of every event, notice and log line (built once).
        self.redactor = Redactor.from_config(config, signing_key_lines(config))
        self.redactor.install_in_logging()
        #: The plugin in service; reloads run in the watcher thread, on a connection of their own.
        self.service = PluginService(
            config,
            connect(config.store_path),
            manifest_auth=manifest_auth(config),
            redactor=self.redactor,
        )
        self.watcher = FileWatcher(self.service.watched_files(), self.service.reload)
        self.writer = EventWriter(
            config.store_path,
            flush_ms=config.store.flush_ms,
            max_events=config.store.max_events,
            queue_max=config.store.queue_max,
            queue_max_bytes=config.store.queue_max_bytes,
        )
        #: The paths whose traffic is MCP (the message paths of HTTP+SSE streams are learned).
        self.mcp_paths = McpPaths(config.mcp)
        #: The sizes of the MCP stage's tables, for the health route (set by that stage).
        self.mcp_tables: Callable[[], dict[str, int]] = dict
        #: The bodies serve's front holds over every exchange (proxy/budget.py).
        self.bodies = Budget(config.proxy.max_inflight_bytes)
        #: The caller connections serve's front has open (it counts them; health reports it).
        self.connections = 0
        #: Flows that have arrived and are not recorded yet, by id(flow).
        self.inflight: dict[int, http.HTTPFlow] = {}
        self._closed = False
        self._trusted = [
            ipaddress.ip_network(c, strict=False) for c in config.proxy.trusted_proxies
        ]

    def start(self) -> None:
        self.service.start()
        self.writer.start()
        self.watcher.start()

    def close(self) -> None:
        """Write every pending event and close the store (once)."""
        if self._closed:
            return
        self._closed = True
        self.watcher.stop()
        self.writer.close()
        self.service.conn.close()
        self.conn.close()

    def identity_headers(self, exchange: Exchange) -> list[tuple[str, str]]:
        """What the backend is told about the exchange and its caller."""
        headers = [(EVENT_HEADER, exchange.event_id)]
        if exchange.user_id is not None:
            headers.append((USER_HEADER, exchange.user_id))
        if exchange.plan is not None:
            headers.append((PLAN_HEADER, exchange.plan))
        return headers

    def client_ip(self, peer: str, headers: Mapping[str, str]) -> str:
        """The caller's address: X-Forwarded-For's last untrusted hop when the peer is trusted."""
        if not self._trusted or not self._is_trusted(peer):
            return peer
        forwarded = [h.strip() for h in headers.get("X-Forwarded-For", "").split(",") if h.strip()]
        for hop in reversed(forwarded):
            if not self._is_trusted(hop):
                return hop
        return forwarded[0] if forwarded else peer

    def _is_trusted(self, address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address.removeprefix("::ffff:"))
        except ValueError:
            return False
        return any(ip in net for net in self._trusted)
