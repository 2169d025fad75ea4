"""`lint --fix`: mechanical fixes made in place, on corpus plugins and on small documents."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from pluginlab_tui.cli import main
from pluginlab_tui.contract.document import operations
from pluginlab_tui.plugin.documents import load_document, read_document
from pluginlab_tui.plugin.fixes import FixOptions, fix_document, fix_spec_data
from pluginlab_tui.plugin.lint import lint_paths

CORPUS_PLUGINS = (
    "currency-conversion",
    "store-clinical-trial-radar-v3",
    "osint",
    "store-uk-politics",
    "store-xpapers-arxiv",
)
#: Errors --fix removes.
FIXABLE = {
    "openapi-not-string",
    "openapi-stray-quotes",
    "operation-id-missing",
    "operation-id-duplicate",
    "operation-id-spaces",
    "api-url-relative",
}
#: The float version hid the spec's schema check: once fixed, that check runs and finds a
#: components section OpenAPI does not allow (not a mechanical fix), so the count stays at 1.
UNLOCKS_DEEPER_CHECKS = {"store-clinical-trial-radar-v3"}


def errors(folder: Path) -> list[str]:
    return [f"{f.rule}: {f.message}" for f in lint_paths([folder]) if f.severity == "error"]


def ops(folder: Path) -> set[tuple[str, str]]:
    spec = read_document(folder / "openapi.yaml").data
    return {(op.method, op.path) for op in operations(spec)}


@pytest.mark.corpus
@pytest.mark.parametrize("name", CORPUS_PLUGINS)
def test_fixed_corpus_plugins_lint_with_fewer_errors_and_keep_every_operation(
    corpus_dir: Path,
    tmp_path: Path,
    name: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    folder = tmp_path / name
    shutil.copytree(corpus_dir / name, folder)
    monkeypatch.chdir(tmp_path)  # no pluginlab.toml: only placeholders get the default URL
    before_errors, before_ops = errors(folder), ops(folder)
    before_spec = (folder / "openapi.yaml").read_text()
    main(["lint", "--fix", str(folder)])
    out = capsys.readouterr().out
    after_errors = errors(folder)
    print(f"{name}: {len(before_errors)} -> {len(after_errors)} errors", *after_errors, sep="\n  ")
    assert not [e for e in after_errors if e.split(":")[0] in FIXABLE]
    if name in UNLOCKS_DEEPER_CHECKS:
        assert len(after_errors) <= len(before_errors)
        assert all(e.startswith("openapi-schema") for e in after_errors)
    else:
        assert len(after_errors) < len(before_errors)
    assert ops(folder) == before_ops
    assert "--- " in out and "+++ " in out  # the diff was shown
    if (folder / "openapi.yaml.bak").exists():
        assert (folder / "openapi.yaml.bak").read_text() == before_spec


def test_a_missing_operation_id_is_inserted_and_comments_stay() -> None:
    text = (
        "openapi: 3.0.1  # the version\n"
        "info: {title: t, version: '1'}\n"
        "paths:\n"
        "  /todos/{id}:\n"
        "    get:\n"
        "      # look one up\n"
        "      summary: Get one.\n"
        "      responses: {'200': {description: ok}}\n"
        "    delete:\n"
        "      operationId: getTodo\n"
        "      responses: {'204': {description: gone}}\n"
        "  /todos:\n"
        "    get:\n"
        "      operationId: list todos\n"
        "      responses: {'200': {description: ok}}\n"
    )
    result = fix_document(load_document(text, "spec.yaml"), "spec", FixOptions())
    assert not result.rewritten
    new = result.new_text
    assert "# the version" in new and "# look one up" in new
    data = yaml.safe_load(new)
    assert data["paths"]["/todos/{id}"]["get"]["operationId"] == "getTodo2"
    assert data["paths"]["/todos/{id}"]["delete"]["operationId"] == "getTodo"
    assert data["paths"]["/todos"]["get"]["operationId"] == "listTodos"
    assert [f.message for f in result.fixes] == [
        "GET /todos/{id}: operationId 'getTodo2' added",
        "GET /todos: operationId 'list todos' has whitespace; now 'listTodos'",
    ]


def test_duplicates_get_derived_ids_and_float_versions_become_strings() -> None:
    text = (
        "openapi: 3.1\ninfo: {title: t, version: '1'}\npaths:\n"
        "  /a:\n    get:\n      operationId: same\n      responses: {}\n"
        "  /b/{id}:\n    patch:\n      operationId: same\n      responses: {}\n"
    )
    result = fix_document(load_document(text, "s.yaml"), "spec", FixOptions())
    data = yaml.safe_load(result.new_text)
    assert data["openapi"] == "3.1.0"
    assert data["paths"]["/b/{id}"]["patch"]["operationId"] == "updateB"
    assert data["paths"]["/a"]["get"]["operationId"] == "same"


def test_json_spec_edits_keep_the_layout() -> None:
    text = (
        '{\n  "openapi": 3.0,\n  "info": {"title": "t", "version": "1"},\n  "paths": {\n'
        '    "/x": {\n      "get": {\n        "responses": {}\n      }\n    }\n  }\n}\n'
    )
    result = fix_document(load_document(text, "s.json"), "spec", FixOptions())
    assert not result.rewritten
    assert '"openapi": "3.0.0"' in result.new_text
    assert (
        '      "get": {\n        "operationId": "getX",\n        "responses": {}' in result.new_text
    )


def test_long_descriptions_are_flagged_and_cut_only_with_truncate() -> None:
    long = "word " * 60
    text = (
        "openapi: 3.0.1\ninfo: {title: t, version: '1'}\nservers: [{url: 'https://a.dev'}]\n"
        "paths:\n  /x:\n    get:\n      operationId: getX\n"
        f"      description: {long.strip()}\n      responses: {{}}\n"
    )
    doc = load_document(text, "s.yaml")
    flagged = fix_document(doc, "spec", FixOptions())
    assert not flagged.changed
    assert [f.applied for f in flagged.fixes] == [False]
    assert "use --truncate" in flagged.fixes[0].message
    cut = fix_document(doc, "spec", FixOptions(truncate=True))
    description = yaml.safe_load(cut.new_text)["paths"]["/x"]["get"]["description"]
    assert len(description) <= 200 and description.endswith("…")


def test_servers_and_api_url_follow_a_configured_public_url() -> None:
    spec = (
        "openapi: 3.0.1\ninfo: {title: t, version: '1'}\n"
        "servers:\n  - url: https://old.dev/v1\npaths: {}\n"
    )
    options = FixOptions(public_url="https://tunnel.dev", explicit_url=True)
    result = fix_document(load_document(spec, "s.yaml"), "spec", options)
    assert yaml.safe_load(result.new_text)["servers"] == [{"url": "https://tunnel.dev/v1"}]
    assert not fix_document(load_document(spec, "s.yaml"), "spec", FixOptions()).changed
    manifest = (
        '{\n  "api": {"type": "openapi", "url": "https://old.dev/openapi.yaml"},\n'
        '  "auth": {"type": "service_http", "authorization_type": "bearer",\n'
        '           "verification_tokens": {"openai": "<token>"}}\n}\n'
    )
    options = FixOptions(
        public_url="https://tunnel.dev", explicit_url=True, verification_token="abc123"
    )
    result = fix_document(load_document(manifest, "ai-plugin.json"), "manifest", options)
    assert '"url": "https://tunnel.dev/openapi.yaml"' in result.new_text
    assert '"openai": "abc123"' in result.new_text


def test_fix_spec_data_fixes_in_memory() -> None:
    spec: dict[str, Any] = {
        "openapi": 3.1,
        "info": {},
        "paths": {"/things": {"get": {"responses": {}}}},
    }
    done = fix_spec_data(spec)
    assert spec["openapi"] == "3.1.0"
    assert spec["paths"]["/things"]["get"]["operationId"] == "listThings"
    assert len(done) == 2


def test_truncate_needs_fix(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "openapi.yaml").write_text(
        "openapi: 3.0.1\ninfo: {title: t, version: '1'}\npaths: {}\n"
    )
    assert main(["lint", "--truncate", str(tmp_path / "openapi.yaml")]) == 2
    assert "--truncate works with --fix" in capsys.readouterr().err
