"""Security requirements: any one alternative met is enough; `[]` and `{}` need nothing."""

from __future__ import annotations

from typing import Any

from pluginlab_tui.validation.security import compile_security, unmet

SPEC: dict[str, Any] = {
    "components": {
        "securitySchemes": {
            "key": {"type": "apiKey", "in": "query", "name": "api_key"},
            "basic": {"type": "http", "scheme": "basic"},
            "oauth": {"type": "oauth2", "flows": {}},
            "odd": {"type": "mutualTLS"},
        }
    }
}


def test_none_needed() -> None:
    assert compile_security(SPEC, []) is None
    assert compile_security(SPEC, [{"key": []}, {}]) is None
    assert compile_security(SPEC, [{"odd": []}]) is None


def test_alternatives() -> None:
    req = compile_security(SPEC, [{"key": [], "basic": []}, {"oauth": []}])
    assert req is not None
    assert unmet(req, {"authorization": "Bearer abc"}, [], {}) == []
    both = unmet(req, {"authorization": "Basic eDp5"}, [("api_key", "k")], {})
    assert both == []
    missing = unmet(req, {"authorization": "Basic eDp5"}, [], {})
    assert [s.where for s in missing] == ["query.api_key"]
    assert [s.name for s in unmet(req, {"authorization": "Bearer "}, [], {})] == ["key", "basic"]
