"""The contract of a recorded version, from a real store; the files on disk when it is absent."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pluginlab_tui.config import Config, load_config
from pluginlab_tui.contract.recorded import Contracts
from pluginlab_tui.store import versions
from pluginlab_tui.store.database import open_store
from pluginlab_tui.validation.validator import ContractValidator, HttpRequest
from tests.harness import TODO, write_config

V1 = (TODO / "openapi.yaml").read_text(encoding="utf-8")
#: The same spec without the operation that GET /todos/a/1 reaches.
V2 = V1.replace("    get:\n      operationId: getTodo", "    x-get:\n      operationId: getTodo")


def _config(folder: Path, spec_text: str, **proxy: object) -> Config:
    (folder / "openapi.yaml").write_text(spec_text, encoding="utf-8")
    sections: dict[str, dict[str, Any]] = {
        "plugin": {"spec": "openapi.yaml", "profile": "actions"},
        "proxy": dict(proxy),
        "store": {"path": "events.db"},
    }
    return load_config(write_config(folder, sections))


def _codes(validator: ContractValidator | None) -> list[str]:
    assert validator is not None
    check = validator.check_request(HttpRequest("GET", "/todos/a/1", "", [], None))
    return [v.code for v in check.violations]


def test_a_recorded_version_is_checked_as_recorded_and_built_once(tmp_path: Path) -> None:
    assert V2 != V1
    config = _config(tmp_path, V2, slow_ms=250)
    conn = open_store(config.store_path, create=True)
    try:
        number = versions.register(
            conn, manifest_hash=None, spec_hash="v1", manifest_text=None, spec_text=V1
        )
        contracts = Contracts(config, conn)
        recorded = contracts.of(number)
        assert _codes(recorded) == []  # version 1 has getTodo; the files on disk do not
        assert recorded is contracts.of(number)
        assert recorded is not None and recorded.slow_ms == 250
        assert _codes(contracts.of(number + 1)) == ["method_not_allowed"]  # not recorded: files
        assert _codes(contracts.of(None)) == ["method_not_allowed"]
    finally:
        conn.close()


def test_without_a_store_the_files_in_service_stand_in(tmp_path: Path) -> None:
    config = _config(tmp_path, V2)
    assert _codes(Contracts(config).of(1)) == ["method_not_allowed"]
    (tmp_path / "openapi.yaml").write_text("not: [a spec", encoding="utf-8")
    assert Contracts(config).of(1) is None
