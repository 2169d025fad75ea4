"""The plugin in service: with plugin files, and in MCP mode without them."""

from __future__ import annotations

from pathlib import Path

from pluginlab_tui.config import load_config
from pluginlab_tui.contract.service import PluginService
from pluginlab_tui.store import versions
from pluginlab_tui.store.database import open_store
from tests.harness import TODO


def test_mcp_mode_without_a_plugin_table_loads_watches_and_numbers_nothing(
    tmp_path: Path,
) -> None:
    config = load_config(None, {"mcp.endpoint": "/mcp", "store.path": tmp_path / "s.db"})
    conn = open_store(config.store_path, create=True)
    try:
        service = PluginService(config, conn)
        assert service.start() is None
        assert service.current is None
        assert service.watched_files() == []
        assert service.reload() is None
        assert versions.all_versions(conn) == []
    finally:
        conn.close()


def test_mcp_mode_beside_a_plugin_table_serves_the_files(tmp_path: Path) -> None:
    config = load_config(
        None,
        {
            "mcp.endpoint": "/mcp",
            "plugin.manifest": TODO / "ai-plugin.json",
            "plugin.spec": TODO / "openapi.yaml",
            "store.path": tmp_path / "s.db",
        },
    )
    conn = open_store(config.store_path, create=True)
    try:
        service = PluginService(config, conn)
        served = service.start()
        assert served is not None and served.number == 1
        assert service.current is served
        assert TODO / "openapi.yaml" in service.watched_files()
        assert [v.number for v in versions.all_versions(conn)] == [1]
    finally:
        conn.close()
