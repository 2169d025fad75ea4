"""`pluginlab-tui lint` through run(): output formats, exit codes, and the whole shared corpus."""

from __future__ import annotations

import argparse
import csv
import io
import json
import re
import socket
from collections import Counter
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from typing import Any

import pytest

from pluginlab_tui.commands import lint as lint_command
from pluginlab_tui.examples import Backend
from tests.mcp.servers import http_app, serving, widget_server

TODO = Path(__file__).resolve().parents[1] / "plugin" / "fixtures" / "todo"


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="pluginlab-tui")
    lint_command.add_parser(top.add_subparsers())
    return top


def run(*argv: str) -> tuple[int, str, str]:
    args = parser().parse_args(["lint", *argv])
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = args.run(args)
    return code, out.getvalue(), err.getvalue()


def run_json(*argv: str) -> tuple[int, list[dict[str, Any]]]:
    code, out, err = run("--format", "json", *argv)
    assert err == ""
    return code, json.loads(out)


@pytest.fixture(autouse=True)
def _no_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run from an empty folder (no pluginlab.toml), without colour settings."""
    monkeypatch.chdir(tmp_path)
    for name in ("FORCE_COLOR", "NO_COLOR", "PLUGINLAB_PROXY__PUBLIC_URL"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def broken(tmp_path: Path) -> Path:
    folder = tmp_path / "broken"
    folder.mkdir()
    manifest = json.loads((TODO / "ai-plugin.json").read_text())
    manifest["name_for_model"] = "todo lab"
    manifest["name_for_human"] = "A TODO list with a long name"
    (folder / "ai-plugin.json").write_text(json.dumps(manifest, indent=2))
    (folder / "openapi.yaml").write_text((TODO / "openapi.yaml").read_text())
    return folder


def test_a_clean_plugin_exits_0() -> None:
    code, out, err = run(str(TODO))
    assert (code, err) == (0, "")
    assert out.strip() == "lint clean: no findings"


def test_text_output_is_grouped_by_file(broken: Path) -> None:
    code, out, _ = run(str(broken))
    assert code == 1
    manifest = str(broken / "ai-plugin.json")
    lines = out.splitlines()
    assert lines[0] == f"{manifest}  (1 error, 1 warning, 0 info)"
    assert lines[1] == (
        f"  {manifest}:3:3 warning name-for-human-length name_for_human is 28 characters; "
        "the limit is 20"
    )
    assert lines[2].startswith(f"  {manifest}:4:3 error name-for-model-chars ")
    assert lines[-1] == "lint failed: 1 error, 1 warning, 0 info in 1 file"
    assert "\x1b[" not in out


def test_colour_only_when_asked(broken: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FORCE_COLOR", "1")
    code, out, _ = run(str(broken))
    assert code == 1 and "\x1b[" in out and "name-for-model-chars" in out


def test_json_output(broken: Path) -> None:
    code, findings = run_json(str(broken))
    assert code == 1
    assert findings[0] == {
        "rule": "name-for-human-length",
        "severity": "warning",
        "file": str(broken / "ai-plugin.json"),
        "line": 3,
        "column": 3,
        "pointer": "/name_for_human",
        "message": "name_for_human is 28 characters; the limit is 20",
    }
    assert [f["rule"] for f in findings] == ["name-for-human-length", "name-for-model-chars"]


def test_a_missing_path_exits_2_with_one_line() -> None:
    code, out, err = run("nope/ai-plugin.json")
    assert (code, out) == (2, "")
    assert err == "pluginlab-tui: no such file or folder: nope/ai-plugin.json\n"


def test_a_bad_config_exits_2(tmp_path: Path) -> None:
    (tmp_path / "bad.toml").write_text("[plugin]\nprofile = 'gpts'\n")
    code, _, err = run("--config", str(tmp_path / "bad.toml"), str(TODO))
    assert code == 2 and err.count("\n") == 1 and "plugin.profile" in err


def test_profile_domain_and_config(tmp_path: Path, broken: Path) -> None:
    code, findings = run_json("--domain", "other.dev", str(TODO))
    assert code == 0 and {f["rule"] for f in findings} == {
        "domain-api-url",
        "domain-legal-info-url",
        "domain-contact-email",
    }
    (tmp_path / "pluginlab.toml").write_text(
        "[plugin]\nprofile = 'actions'\n[plugin.limits]\nname_for_human = 40\n"
    )
    code, findings = run_json(str(broken))  # ./pluginlab.toml is read
    assert [f["rule"] for f in findings] == ["name-for-model-chars"]
    code, findings = run_json("--profile", "plugin", str(broken))
    assert [f["rule"] for f in findings] == ["name-for-model-chars"]


def test_localhost_is_advice_with_a_local_public_url(tmp_path: Path) -> None:
    folder = tmp_path / "local"
    folder.mkdir()
    manifest = json.loads((TODO / "ai-plugin.json").read_text())
    manifest["api"]["url"] = "http://localhost:8787/openapi.yaml"
    (folder / "ai-plugin.json").write_text(json.dumps(manifest))
    _, findings = run_json(str(folder / "ai-plugin.json"))
    assert [f["severity"] for f in findings if f["rule"] == "localhost-url"] == ["warning"]
    (tmp_path / "pluginlab.toml").write_text("[proxy]\npublic_url = 'http://localhost:8787'\n")
    _, findings = run_json(str(folder / "ai-plugin.json"))
    assert [f["severity"] for f in findings if f["rule"] == "localhost-url"] == ["info"]


def test_never_a_traceback_on_odd_files(tmp_path: Path) -> None:
    odd = {
        "empty.yaml": b"",
        "page.yaml": b"<!DOCTYPE html><html><head><title>Just a moment</title></head></html>",
        "body.json": b'{"error": "Unauthorized"}',
        "binary.json": bytes(range(256)),
        "deep.json": b"[" * 200_000,
        "latin1.yaml": "openapi: '3.0.1'\ninfo: {title: caf\xe9}\n".encode("latin-1"),
        "list.json": b"[1, 2, 3]",
        "ai-plugin.json": b'{"api": {"url": 5}, "auth": [], "name_for_model": null}',
    }
    for name, raw in odd.items():
        (tmp_path / name).write_bytes(raw)
    for name in odd:
        code, out, err = run(str(tmp_path / name))
        assert code in (0, 1) and err == "", name
        code, findings = run_json(str(tmp_path / name))
        assert code == 1, name
        assert all(f["rule"] != "lint-crashed" for f in findings), findings


# The shared corpus: folders with the defects INDEX.md names ("automatic checks" and hand notes).
# file: m = manifest, s = spec; pointer: a prefix the finding's pointer starts with.
EXPECTED: dict[str, list[tuple[str, str, str]]] = {
    "arknights-gacha": [("m", "auth-missing-key", "/auth/verification_tokens")],
    "arxiv-paper-search": [
        ("m", "name-for-human-length", "/name_for_human"),
        ("m", "localhost-url", "/api/url"),
        ("m", "localhost-url", "/logo_url"),
        ("s", "localhost-url", "/servers/0/url"),
    ],
    "author-copilot": [("m", "localhost-url", "/api/url"), ("m", "localhost-url", "/logo_url")],
    "auto-pm": [("m", "api-url-relative", "/api/url")],
    "avrae-interface": [
        ("m", "localhost-url", "/api/url"),
        ("s", "server-placeholder", "/servers/0"),
    ],
    "azure-contoso-products": [
        ("m", "name-for-human-length", "/name_for_human"),
        ("m", "placeholder", "/api/url"),
    ],
    "babyagi-chatgpt": [
        ("m", "localhost-url", "/api/url"),
        ("m", "localhost-url", "/logo_url"),
        ("s", "servers-missing", ""),
    ],
    "baidu-mbti-test": [("m", "plain-http-url", "/api/url"), ("s", "plain-http-url", "/servers/0")],
    "bear-drive": [("s", "parse-error", "")],
    "bookclub": [
        ("m", "name-for-human-length", "/name_for_human"),
        ("m", "localhost-url", "/api/url"),
        ("s", "localhost-url", "/servers/0/url"),
    ],
    "bungie-destiny": [
        ("m", "auth-missing-key", "/auth/verification_tokens"),
        ("s", "servers-missing", ""),
    ],
    "chuck-norris-jokes": [
        ("m", "name-for-human-length", "/name_for_human"),
        ("m", "plain-http-url", "/api/url"),
    ],
    "ck3-gaming-info": [("m", "localhost-url", "/api/url"), ("s", "localhost-url", "/servers/0")],
    "code-interpreter-hromakov": [("m", "name-for-human-length", "/name_for_human")],
    "codexo-seo-manifest": [("m", "api-type", "/api/type"), ("m", "required-field", "/api/url")],
    "currency-conversion": [("s", "operation-id-missing", "/paths/")],
    "etherscan-block-explorer": [
        ("m", "localhost-url", "/api/url"),
        ("s", "localhost-url", "/servers/0"),
    ],
    "forex-gpt": [
        ("m", "description-for-human-length", "/description_for_human"),
        ("m", "auth-unknown-key", "/auth/permissions"),
    ],
    "gmail-draft": [("m", "placeholder", "/auth/verification_tokens/openai")],
    "gpt-time": [("m", "localhost-url", "/api/url"), ("s", "localhost-url", "/servers/0")],
    "gptweather-skirano": [("s", "openapi-missing", ""), ("s", "server-placeholder", "/servers/0")],
    "mlpplugin": [("m", "localhost-url", "/api/url"), ("s", "localhost-url", "/servers/0")],
    "msgraph-assistant": [
        ("m", "name-for-human-length", "/name_for_human"),
        ("m", "auth-missing-key", "/auth/authorization_content_type"),
        ("m", "auth-missing-key", "/auth/verification_tokens"),
        ("m", "auth-unknown-key", "/auth/client_id"),
        ("m", "auth-unknown-key", "/auth/client_secret"),
        ("m", "auth-unknown-key", "/auth/token_url"),
        ("s", "servers-api-url-mismatch", "/servers/0"),
    ],
    "odds-api": [("s", "servers-missing", "")],
    "openai-plugins-quickstart": [
        ("m", "localhost-url", "/api/url"),
        ("m", "localhost-url", "/logo_url"),
        ("s", "localhost-url", "/servers/0"),
    ],
    "openai-retrieval": [
        ("m", "placeholder", "/api/url"),
        ("s", "endpoint-description-length", "/paths/"),
    ],
    "openai-retrieval-local": [
        ("m", "localhost-url", "/api/url"),
        ("s", "localhost-url", "/servers/0"),
        ("s", "endpoint-description-length", "/paths/"),
    ],
    "openai-retrieval-memory": [("s", "endpoint-description-length", "/paths/")],
    "openai-retrieval-oauth-example": [
        ("m", "placeholder", "/auth/client_url"),
        ("m", "placeholder", "/auth/authorization_url"),
        ("m", "placeholder", "/auth/verification_tokens/openai"),
    ],
    "openai-retrieval-service-http-example": [
        ("m", "placeholder", "/auth/verification_tokens/openai")
    ],
    "osint": [("m", "placeholder", "/api/url"), ("s", "servers-missing", "")],
    "outlook-exchange": [
        ("m", "name-for-human-length", "/name_for_human"),
        ("m", "description-for-human-length", "/description_for_human"),
        ("m", "localhost-url", "/api/url"),
        ("s", "localhost-url", "/servers/0"),
    ],
    "rc-car": [("m", "localhost-url", "/api/url"), ("s", "localhost-url", "/servers/0")],
    "reinsurance-pricing": [
        ("m", "name-for-human-length", "/name_for_human"),
        ("m", "localhost-url", "/api/url"),
        ("s", "localhost-url", "/servers/0"),
    ],
    "replicant-gha": [
        ("m", "name-for-human-length", "/name_for_human"),
        ("m", "localhost-url", "/api/url"),
        ("s", "localhost-url", "/servers/0"),
    ],
    "store-aiquest": [
        ("m", "description-for-human-length", "/description_for_human"),
        ("s", "openapi-stray-quotes", "/openapi"),
    ],
    "store-bitcoin-sentiment": [
        ("m", "description-for-human-length", "/description_for_human"),
        ("s", "openapi-missing", ""),
    ],
    "store-canva-html-instead-of-spec": [("s", "parse-error", "")],
    "store-career-copilot": [
        ("m", "description-for-human-length", "/description_for_human"),
        ("s", "localhost-url", "/servers/"),
        ("s", "servers-multiple", "/servers"),
    ],
    "store-clinical-trial-radar-v2": [
        ("m", "description-for-human-length", "/description_for_human")
    ],
    "store-clinical-trial-radar-v3": [
        ("s", "openapi-not-string", "/openapi"),
        ("s", "endpoint-description-length", "/paths/"),
    ],
    "store-companiesintheuk-spec-unauthorized": [("s", "openapi-missing", "")],
    "store-cryptocompare": [
        ("s", "endpoint-description-length", "/paths/"),
        ("s", "ref-unresolved", "/paths/"),
    ],
    "store-everyprint3d": [("s", "endpoint-description-length", "/paths/")],
    "store-gamebox": [
        ("m", "description-for-human-length", "/description_for_human"),
        ("s", "servers-missing", ""),
    ],
    "store-idomoo-lucas": [("s", "openapi-version", "/openapi")],
    "store-kakaku-travel": [
        ("m", "description-for-human-length", "/description_for_human"),
        ("s", "ref-unresolved", ""),
    ],
    "store-kayak": [("s", "endpoint-description-length", "/paths/")],
    "store-owler": [
        ("s", "localhost-url", "/servers/"),
        ("s", "servers-multiple", "/servers"),
        ("s", "endpoint-description-length", "/paths/"),
    ],
    "store-ping-task-relative-url": [("m", "api-url-relative", "/api/url")],
    "store-polygon": [("s", "endpoint-description-length", "/paths/")],
    "store-quickcreator-ads": [("m", "name-for-human-length", "/name_for_human")],
    "store-show-me-diagrams": [("s", "servers-missing", "")],
    "store-telescopelabs": [
        ("m", "description-for-human-length", "/description_for_human"),
        ("s", "endpoint-description-length", "/paths/"),
    ],
    "store-uk-politics": [
        ("m", "description-for-human-length", "/description_for_human"),
        ("s", "servers-missing", ""),
        ("s", "operation-id-missing", "/paths/"),
        ("s", "endpoint-description-length", "/paths/"),
    ],
    "store-vbout": [
        ("m", "description-for-human-length", "/description_for_human"),
        ("s", "endpoint-description-length", "/paths/"),
    ],
    "store-wolfram": [("m", "description-for-human-length", "/description_for_human")],
    "store-worldrecords-relative-url": [("m", "api-url-relative", "/api/url")],
    "store-xpapers-arxiv": [
        ("m", "description-for-human-length", "/description_for_human"),
        ("s", "operation-id-missing", "/paths/"),
    ],
    "store-zapier": [("s", "endpoint-description-length", "/paths/")],
    "todo-cakecrusher": [
        ("m", "placeholder", "/api/url"),
        ("s", "server-placeholder", "/servers/0"),
    ],
    "todo-nodejs-asjordi": [("m", "localhost-url", "/api/url"), ("s", "servers-missing", "")],
    "todo-service-http-heroku": [("m", "name-for-human-length", "/name_for_human")],
    "todos-nextjs": [
        ("m", "name-for-human-length", "/name_for_human"),
        ("m", "localhost-url", "/api/url"),
    ],
    "weathergpt": [("s", "servers-missing", "")],
    "wellknown-buildtai": [
        ("m", "schema-version", "/schema_version"),
        ("m", "localhost-url", "/api/url"),
    ],
    "wellknown-schooldigger": [("m", "name-for-human-length", "/name_for_human")],
    "wellknown-wolframalpha": [("m", "description-for-human-length", "/description_for_human")],
    "wordpress-editor": [
        ("m", "auth-missing-key", "/auth/authorization_type"),
        ("m", "auth-unknown-key", "/auth/params"),
    ],
}
# Counted defects: (rule, how many) per folder, from INDEX.md's numbers.
COUNTS: dict[str, dict[str, int]] = {
    "store-uk-politics": {"operation-id-missing": 4},
    "store-xpapers-arxiv": {"operation-id-missing": 1},
    "currency-conversion": {"operation-id-missing": 1},
    "store-cryptocompare": {"ref-unresolved": 5},
    "store-kakaku-travel": {"ref-unresolved": 3},
}
# Plugins INDEX.md calls clean: no error.
CLEAN = (
    "apis-guru",
    "ukr-books",
    "webrewind",
    "store-klarna",
    "store-emotimg-pluginlab",
)


@pytest.fixture(scope="module")
def corpus_results(corpus_dir: Path) -> dict[str, tuple[int, list[dict[str, Any]]]]:
    folders = sorted(p for p in corpus_dir.iterdir() if p.is_dir() and p.name != "store")
    assert len(folders) == 87
    results = {}
    for folder in folders:
        args = parser().parse_args(["lint", "--format", "json", str(folder)])
        out, err = io.StringIO(), io.StringIO()
        with redirect_stdout(out), redirect_stderr(err):
            code = args.run(args)
        assert err.getvalue() == "", folder.name
        results[folder.name] = (code, json.loads(out.getvalue()))
    return results


@pytest.mark.corpus
def test_every_corpus_folder_lints_with_exit_0_or_1(
    corpus_results: dict[str, tuple[int, list[dict[str, Any]]]],
) -> None:
    for name, (code, findings) in corpus_results.items():
        assert code == (1 if any(f["severity"] == "error" for f in findings) else 0), name
        assert not any(f["rule"] == "lint-crashed" for f in findings), (name, findings)
        assert all(f["line"] is not None for f in findings if f["rule"] != "spec-not-found"), name


@pytest.mark.corpus
@pytest.mark.parametrize("folder", sorted(EXPECTED))
def test_corpus_defects_are_found(
    corpus_results: dict[str, tuple[int, list[dict[str, Any]]]], folder: str
) -> None:
    _, findings = corpus_results[folder]
    for kind, rule, prefix in EXPECTED[folder]:
        matching = [
            f
            for f in findings
            if f["rule"] == rule
            and f["pointer"].startswith(prefix)
            and (Path(f["file"]).name == "ai-plugin.json") == (kind == "m")
        ]
        assert matching, f"{folder}: {rule} at {prefix or '(document)'} in {kind} not found"
    for rule, count in COUNTS.get(folder, {}).items():
        # INDEX.md counts operations and distinct $ref targets; a target can be used twice
        assert len({f["message"] for f in findings if f["rule"] == rule}) == count, (folder, rule)


@pytest.mark.corpus
def test_a_good_share_of_the_indexed_folders_is_covered(corpus_dir: Path) -> None:
    text = (corpus_dir / "INDEX.md").read_text()
    flagged = re.findall(r"^\| ([a-z0-9-]+) \|.*\| ([^|]+) \|$", text, re.M)
    with_checks = {name for name, checks in flagged if checks.strip() and name != "dir"}
    assert len(with_checks) >= 55
    assert len(with_checks - set(EXPECTED)) == 0


@pytest.mark.corpus
@pytest.mark.parametrize("folder", CLEAN)
def test_clean_corpus_plugins_have_no_error(
    corpus_results: dict[str, tuple[int, list[dict[str, Any]]]], folder: str
) -> None:
    code, findings = corpus_results[folder]
    assert code == 0, [f for f in findings if f["severity"] == "error"]


#: INDEX.csv issue -> the rules that report it.
STORE_ISSUES: list[tuple[str, tuple[str, ...]]] = [
    ("description_for_human", ("description-for-human-length",)),
    ("name_for_human", ("name-for-human-length",)),
    # an error body saved as the spec has no servers either: it is reported as not a spec
    ("no servers", ("servers-missing", "openapi-missing", "parse-error", "spec-not-object")),
    ("missing operationId", ("operation-id-missing",)),
    ("summary/description >200", ("endpoint-description-length",)),
    ("not OpenAPI", ("parse-error", "spec-not-object")),
    ("api.url not absolute", ("api-url-relative", "placeholder")),
    ("unresolved $ref", ("ref-unresolved",)),
    ("no paths", ("openapi-missing", "no-operations")),
    ("localhost server url", ("localhost-url",)),
    ("servers", ("servers-multiple",)),
]


@pytest.mark.corpus
def test_the_store_lints_with_its_indexed_defects(corpus_dir: Path) -> None:
    store = corpus_dir / "store"
    rows = list(csv.DictReader((store / "INDEX.csv").open(encoding="utf-8")))
    assert len(rows) == 300
    missed: Counter[str] = Counter()
    expected: Counter[str] = Counter()
    for row in rows:
        paths = [str(store / f"{row['slug']}.json")]
        if row["spec_file"]:
            paths.append(str(store / row["spec_file"]))
        args = parser().parse_args(["lint", "--format", "json", *paths])
        out, err = io.StringIO(), io.StringIO()
        with redirect_stdout(out), redirect_stderr(err):
            code = args.run(args)
        assert err.getvalue() == "", row["slug"]
        findings = json.loads(out.getvalue())
        assert code == (1 if any(f["severity"] == "error" for f in findings) else 0)
        assert not any(f["rule"] == "lint-crashed" for f in findings), (row["slug"], findings)
        found = {f["rule"] for f in findings}
        issues = [i.strip() for i in f"{row['manifest_issues']};{row['spec_issues']}".split(";")]
        for issue in filter(None, issues):
            for words, rules in STORE_ISSUES:
                if words in issue:
                    if words == "servers" and not re.fullmatch(r"\d+ servers", issue):
                        continue
                    expected[words] += 1
                    if not found & set(rules):
                        missed[f"{words}: {row['slug']}"] += 1
                    break
    assert sum(expected.values()) > 250
    assert not missed, missed


# -- lint --mcp URL -----------------------------------------------------------------------


def _faulty(method: str, result: dict[str, Any]) -> dict[str, Any]:
    if method == "tools/list":
        result["tools"][0]["name"] = "get weather"
        del result["tools"][1]["annotations"]
    return result


def test_mcp_the_example_app_is_clean_exit_0(app_backend: Backend) -> None:
    code, out, err = run("--mcp", app_backend.url + "/mcp")
    assert (code, err) == (0, "")
    assert out.strip() == "lint clean: no findings"


def test_mcp_a_faulty_server_exits_1_in_text_and_json() -> None:
    with serving(http_app(widget_server(_faulty))) as base:
        url = base + "/mcp"
        code, out, err = run("--mcp", url)
        assert (code, err) == (1, "")
        assert out.startswith(f"{url}  (1 error, 1 warning, 0 info)\n")
        assert f"  {url} error mcp-tool-name tool 'get weather':" in out
        assert "mcp-annotations-missing tool 'echo'" in out
        assert out.rstrip().endswith("lint failed: 1 error, 1 warning, 0 info in 1 file")
        code, findings = run_json("--mcp", url)
    assert code == 1
    assert [(f["rule"], f["severity"]) for f in findings] == [
        ("mcp-tool-name", "error"),
        ("mcp-annotations-missing", "warning"),
    ]
    assert set(findings[0]) == {"rule", "severity", "file", "line", "column", "pointer", "message"}
    assert findings[0]["file"] == url and findings[0]["line"] is None
    assert findings[0]["pointer"] == "/tools/0/name"


def test_mcp_the_token_reaches_the_server() -> None:
    seen: list[str | None] = []

    server = widget_server()

    async def auth(ctx: Any, call_next: Any) -> Any:
        seen.append(getattr(ctx.request, "headers", {}).get("authorization"))
        return await call_next(ctx)

    server.middleware.append(auth)
    with serving(http_app(server)) as base:
        code, _, _ = run("--mcp", base + "/mcp", "--token", "s3cret")
    assert code == 0
    # first the unauthenticated probe of the auth discovery, then the listing with the token
    assert seen[0] is None and set(seen[1:]) == {"Bearer s3cret"}


def test_mcp_an_unreachable_server_exits_2_with_one_line() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    code, out, err = run("--mcp", f"http://127.0.0.1:{port}/mcp", "--timeout", "5")
    assert (code, out) == (2, "")
    assert err.startswith(f"pluginlab-tui: cannot connect to http://127.0.0.1:{port}/mcp: ")
    assert err.count("\n") == 1


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--mcp", "http://127.0.0.1:9/mcp", "ai-plugin.json"], "give no PATH with it"),
        (["--mcp", "http://127.0.0.1:9/mcp", "--fix"], "--fix does not apply to --mcp"),
        (["--mcp", "http://127.0.0.1:9/mcp", "--profile", "actions"], "--profile does not apply"),
        (["ai-plugin.json", "--token", "t"], "--token works with --mcp"),
        ([], "give a PATH to lint"),
    ],
)
def test_mcp_usage_mistakes_exit_2(argv: list[str], message: str) -> None:
    code, out, err = run(*argv)
    assert (code, out) == (2, "")
    assert message in err and err.count("\n") == 1
