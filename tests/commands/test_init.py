"""`pluginlab-tui init`: unattended and asked, against real backends; then `serve` on the files."""

from __future__ import annotations

import builtins
import importlib.util
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn
import yaml
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route

from pluginlab_tui.cli import main
from pluginlab_tui.examples import Backend, free_port
from pluginlab_tui.plugin.lint import lint_paths
from tests.harness import TODO, ProxyProcess

FLAGS = [
    "--name-for-human",
    "Todo Lab",
    "--name-for-model",
    "todolab",
    "--description-for-human",
    "Keep todo lists.",
    "--description-for-model",
    "Manage a user's todo list: add, list, update and delete todos.",
    "--contact-email",
    "dev@todolab.dev",
    "--legal-url",
    "https://todolab.dev/legal",
]


def _todo_app() -> Starlette:
    spec = importlib.util.spec_from_file_location("todo_app_for_init", TODO / "app.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    app: Starlette = module.app
    return app


class SpecServingBackend:
    """The example backend plus its own spec at /openapi.json, as FastAPI serves it."""

    def __init__(self) -> None:
        document = yaml.safe_load((TODO / "openapi.yaml").read_text())
        del document["servers"]
        del document["paths"]["/todos/{username}/{todo_id}"]["delete"]["operationId"]

        async def openapi(request: Request) -> Response:
            return JSONResponse(document)

        app = Starlette(routes=[Route("/openapi.json", openapi), Mount("/", app=_todo_app())])
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> SpecServingBackend:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started and time.monotonic() < deadline:
            time.sleep(0.02)
        assert self.server.started
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)


@pytest.fixture(scope="module")
def spec_backend() -> Iterator[SpecServingBackend]:
    with SpecServingBackend() as backend:
        yield backend


def _proxy_flags() -> list[str]:
    port = free_port()
    return ["--public-url", f"http://localhost:{port}", "--listen", f"127.0.0.1:{port}"]


def test_unattended_init_imports_the_backend_spec_lints_clean_and_serves(
    spec_backend: SpecServingBackend, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "plugin"
    args = ["init", str(folder), "--yes", "--backend", spec_backend.url, *FLAGS, *_proxy_flags()]
    assert main(args) == 0, capsys.readouterr()
    out = capsys.readouterr().out
    assert f"spec: imported from {spec_backend.url}/openapi.json" in out
    assert "operationId 'deleteTodo' added" in out
    assert "lint clean" in out
    for name in ("ai-plugin.json", "openapi.yaml", "pluginlab.toml", "logo.png"):
        assert (folder / name).is_file()
    assert [f for f in lint_paths([folder]) if f.severity == "error"] == []
    spec = yaml.safe_load((folder / "openapi.yaml").read_text())
    ops = {m for item in spec["paths"].values() for m in item if m != "parameters"}
    assert ops == {"get", "post", "patch", "delete"}
    manifest = json.loads((folder / "ai-plugin.json").read_text())
    assert manifest["name_for_model"] == "todolab"

    with ProxyProcess(folder / "pluginlab.toml") as proxy, proxy.client() as client:
        served = client.get("/.well-known/ai-plugin.json")
        assert served.status_code == 200
        assert served.json()["name_for_model"] == "todolab"
        assert client.get("/openapi.yaml").status_code == 200
        added = client.post("/todos/alice", json={"title": "Buy milk"})
        assert added.status_code == 201
        assert added.headers["X-PluginLab-Violations"] == "0"


def test_init_without_a_served_spec_writes_a_skeleton_that_lints_clean(
    todo_backend: Backend, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["init", str(tmp_path), "--yes", "--backend", todo_backend.url, *FLAGS]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "spec: skeleton (the backend serves no spec" in out
    assert "HTTP 404" in out
    assert [f for f in lint_paths([tmp_path]) if f.severity == "error"] == []


def test_init_never_overwrites_without_force_and_keeps_a_backup(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["init", str(tmp_path), "--yes", *FLAGS]) == 0
    manifest = tmp_path / "ai-plugin.json"
    before = manifest.read_text()
    changed = [*FLAGS[:-6], "--description-for-model", "Something else entirely.", *FLAGS[-4:]]
    capsys.readouterr()
    assert main(["init", str(tmp_path), "--yes", *changed]) == 0
    out = capsys.readouterr().out
    assert "kept as it is (use --force to replace it)" in out
    assert manifest.read_text() == before
    assert not (tmp_path / "ai-plugin.json.bak").exists()
    assert main(["init", str(tmp_path), "--yes", "--force", *changed]) == 0
    out = capsys.readouterr().out
    assert '-  "description_for_model": "Manage a user' in out  # the diff was shown
    assert (tmp_path / "ai-plugin.json.bak").read_text() == before
    assert "Something else entirely." in manifest.read_text()
    assert "each write is a new version" in out
    assert main(["init", str(tmp_path), "--yes", "--force", *FLAGS]) == 0
    assert (tmp_path / "ai-plugin.json.~1~").is_file()


@pytest.mark.parametrize(
    ("flag", "value", "message"),
    [
        ("--name-for-model", "todo lab", "--name-for-model"),
        ("--contact-email", "nobody", "--contact-email"),
        ("--legal-url", "legal.html", "--legal-url"),
        ("--backend", "localhost:8000", "--backend"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], flag: str, value: str, message: str
) -> None:
    assert main(["init", str(tmp_path), "--yes", *FLAGS, flag, value]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err
    assert list(tmp_path.iterdir()) == []


def test_missing_required_values_with_yes_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["init", str(tmp_path), "--yes", "--name-for-human", "Todo"]) == 2
    assert "--contact-email is needed with --yes" in capsys.readouterr().err


def test_oauth_on_localhost_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["init", str(tmp_path), "--yes", *FLAGS, "--auth", "oauth"]) == 2
    assert "cannot use localhost" in capsys.readouterr().err


def test_init_asks_for_what_the_flags_do_not_give(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    answers = iter(
        [
            "",  # backend: none
            "Weather Now",
            "",  # name for model: the default, weathernow
            "Weather for any city.",
            "Use it for current weather and forecasts for a city.",
            "help@weather.dev",
            "https://weather.dev/legal",
            "service_http",
            "",  # authorization type: bearer
            "",  # public URL: default
            "abc123def456",  # verification token
        ]
    )
    questions: list[str] = []

    def fake_input(question: str) -> str:
        questions.append(question)
        return next(answers)

    monkeypatch.setattr(builtins, "input", fake_input)
    assert main(["init", str(tmp_path)]) == 0, capsys.readouterr()
    assert len(questions) == 11
    manifest = json.loads((tmp_path / "ai-plugin.json").read_text())
    assert manifest["name_for_model"] == "weathernow"
    assert manifest["auth"] == {
        "type": "service_http",
        "authorization_type": "bearer",
        "verification_tokens": {"openai": "abc123def456"},
    }
    config = (tmp_path / "pluginlab.toml").read_text()
    assert 'mode = "service_http"' in config and 'verification_token = "abc123def456"' in config
    spec = yaml.safe_load((tmp_path / "openapi.yaml").read_text())
    assert spec["components"]["securitySchemes"]["auth"] == {"type": "http", "scheme": "bearer"}
    assert [f for f in lint_paths([tmp_path]) if f.severity == "error"] == []


def test_interactive_overwrite_asks_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["init", str(tmp_path), "--yes", *FLAGS]) == 0
    (tmp_path / "openapi.yaml").write_text("# mine\n" + (tmp_path / "openapi.yaml").read_text())
    mine = (tmp_path / "openapi.yaml").read_text()
    asked: list[str] = []

    def reply(question: str) -> str:
        asked.append(question)
        return "" if question.startswith("Backend URL") else "n"

    monkeypatch.setattr(builtins, "input", reply)
    args = ["init", str(tmp_path), *FLAGS, "--auth", "none", "--public-url", "http://localhost:9"]
    assert main(args) == 0
    assert any("replace" in q and "openapi.yaml" in q for q in asked)
    assert (tmp_path / "openapi.yaml").read_text() == mine
    assert not (tmp_path / "openapi.yaml.bak").exists()


def test_the_backend_flag_reaches_the_config(
    spec_backend: SpecServingBackend, tmp_path: Path
) -> None:
    assert main(["init", str(tmp_path), "--yes", "--backend", spec_backend.url, *FLAGS]) == 0
    from pluginlab_tui.config import load_config

    config = load_config(tmp_path / "pluginlab.toml")
    assert config.proxy.backend == spec_backend.url
    assert config.plugin.logo is not None and config.path(config.plugin.logo).is_file()
    assert httpx.get(spec_backend.url + "/health", trust_env=False).status_code == 200
