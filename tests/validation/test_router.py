"""Routing: literal segments first, server base paths stripped or absent."""

from __future__ import annotations

from pluginlab_tui.validation.router import Router, base_paths


def make() -> Router[str]:
    routes = [
        ("/items/{id}", {"get": "getItem", "delete": "deleteItem"}),
        ("/items/mine", {"get": "mine"}),
        ("/files/{name}.{ext}", {"get": "file"}),
        ("/", {"get": "root"}),
    ]
    return Router(routes, base_paths([{"url": "https://x.example/api/v1/"}, {"url": "/v2"}]))


def test_base_paths_absolute_relative_and_templated() -> None:
    servers = [
        {"url": "https://a.example/v1"},
        {"url": "/v2"},
        {"url": "{scheme}://b.example/{base}", "variables": {"base": {"default": "v3"}}},
        {"url": "https://c.example"},
    ]
    assert base_paths(servers) == ["/v1", "/v2", "/v3"]
    assert base_paths({"url": "https://a.example/x"}) == ["/x"]
    assert base_paths("junk") == []


def test_literal_beats_template() -> None:
    router = make()
    match = router.match("/api/v1/items/mine", "GET")
    assert match is not None and match.operation == "mine"
    match = router.match("/items/42", "get")
    assert match is not None and (match.operation, match.path_params) == ("getItem", {"id": "42"})


def test_method_falls_back_to_a_template_that_has_it() -> None:
    match = make().match("/v2/items/mine", "DELETE")
    assert match is not None and match.operation == "deleteItem"


def test_method_not_allowed_and_unknown() -> None:
    router = make()
    match = router.match("/items/7", "PUT")
    assert match is not None and match.operation is None and match.allowed == ("get", "delete")
    assert router.match("/items", "GET") is None
    assert router.match("/items/7/extra", "GET") is None
    assert router.match("/items/", "GET") is None


def test_partial_segments_and_percent_decoding() -> None:
    router = make()
    match = router.match("/files/report.pdf", "GET")
    assert match is not None and match.path_params == {"name": "report", "ext": "pdf"}
    match = router.match("/items/a%20b", "GET")
    assert match is not None and match.path_params == {"id": "a b"}
    root = router.match("/api/v1", "GET")
    assert root is not None and root.operation == "root"
