"""Fixtures of the auth unit tests: a Runtime on the example plugin, flows of raw bytes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from mitmproxy import http
from mitmproxy.test import tflow, tutils

from pluginlab_tui.config import load_config
from pluginlab_tui.proxy.runtime import Runtime
from tests.harness import TODO


@pytest.fixture
def make_runtime(tmp_path: Path) -> Iterator[Any]:
    made: list[Runtime] = []

    def make(**overrides: Any) -> Runtime:
        config = load_config(
            None,
            {
                "plugin.manifest": TODO / "ai-plugin.json",
                "plugin.spec": TODO / "openapi.yaml",
                "store.path": tmp_path / f"s{len(made)}.db",
                **overrides,
            },
        )
        runtime = Runtime(config)
        runtime.service.start()
        made.append(runtime)
        return runtime

    yield make
    for runtime in made:
        runtime.conn.close()


def raw_flow(
    method: str, path: bytes, headers: list[tuple[bytes, bytes]], content: bytes = b""
) -> http.HTTPFlow:
    """A flow with the request exactly as these bytes (headers repeated as given)."""
    request = tutils.treq(method=method.encode(), path=path, headers=headers, content=content)
    return tflow.tflow(req=request)
