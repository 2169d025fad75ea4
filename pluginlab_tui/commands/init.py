"""`pluginlab-tui init [DIR]`: start a plugin in front of an existing backend.

Asks for what it needs (or takes flags, and with --yes asks nothing), then writes ai-plugin.json,
pluginlab.toml, openapi.yaml (imported from the backend when it serves one, else a skeleton) and
a placeholder logo.png. An existing file is replaced only when the user agrees (or --force),
after its diff is shown, and a backup is kept. Exit 0 when the files lint clean, 1 when not,
2 on bad input.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pluginlab_tui.commands.common import Subparsers, refuse_config, url_arg
from pluginlab_tui.config import base_url
from pluginlab_tui.errors import UsageError
from pluginlab_tui.plugin.fixes import fix_spec_data
from pluginlab_tui.plugin.lint import lint_paths, summarize
from pluginlab_tui.plugin.scaffold import (
    AUTH_MODES,
    Answers,
    Writer,
    add_security,
    adopt_spec,
    build_manifest,
    check_answers,
    config_text,
    fetch_spec,
    logo_png,
    manifest_text,
    skeleton_spec,
    spec_text,
)

Ask = Callable[[str], str]


def add_parser(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        "init",
        help="write a new plugin's manifest, config and spec (asks, or takes flags)",
        description=(
            "Write ai-plugin.json, pluginlab.toml and openapi.yaml for a plugin in front of an "
            "existing backend. The spec is imported from the backend when it serves one "
            "(/openapi.json, /openapi.yaml, /.well-known/openapi.yaml or --spec-url), else a "
            "skeleton is written. Missing values are asked for; with --yes nothing is asked. "
            "Existing files are replaced only when you agree or with --force (a backup is kept)."
        ),
    )
    parser.add_argument("dir", nargs="?", type=Path, default=Path("."), metavar="DIR")
    parser.add_argument("--backend", type=url_arg, metavar="URL", help="the backend's base URL")
    parser.add_argument(
        "--spec-url",
        type=_spec_url,
        metavar="URL",
        help="where the backend serves its spec (a URL, or a path on the backend)",
    )
    parser.add_argument("--name-for-human", metavar="TEXT", help="the name users see (<= 20)")
    parser.add_argument(
        "--name-for-model", metavar="NAME", help="the name the model uses (letters, digits)"
    )
    parser.add_argument("--description-for-human", metavar="TEXT", help="for users (<= 100)")
    parser.add_argument("--description-for-model", metavar="TEXT", help="for the model")
    parser.add_argument("--contact-email", metavar="EMAIL", help="contact for users and OpenAI")
    parser.add_argument("--legal-url", metavar="URL", help="legal_info_url")
    parser.add_argument("--auth", choices=AUTH_MODES, help="auth mode (default none)")
    parser.add_argument(
        "--authorization-type", choices=("bearer", "basic"), help="for http auth modes"
    )
    parser.add_argument(
        "--verification-token", metavar="TOKEN", help="the token ChatGPT's UI gives you"
    )
    parser.add_argument(
        "--public-url", metavar="URL", help="where ChatGPT reaches the proxy (default localhost)"
    )
    parser.add_argument("--listen", metavar="HOST:PORT", help="where the proxy listens")
    parser.add_argument("--yes", "-y", action="store_true", help="ask nothing; use defaults")
    parser.add_argument(
        "--force", action="store_true", help="replace existing files (diff shown, backup kept)"
    )
    parser.set_defaults(run=run)


def _spec_url(text: str) -> str:
    if "://" not in text:
        return text  # a path on the backend
    try:
        return base_url(text, query=True)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r}: {exc}") from None


def _default_name(folder: Path) -> str:
    words = re.findall(r"[A-Za-z0-9]+", folder.resolve().name) or ["My", "Plugin"]
    return " ".join(w[:1].upper() + w[1:] for w in words)[:20].strip()


def _model_name(human: str) -> str:
    return re.sub(r"[^A-Za-z0-9]", "", human).lower()[:50] or "plugin"


def gather(args: argparse.Namespace, ask: Ask | None) -> Answers:
    """Flags first; what is missing is asked (or defaulted with --yes, or refused)."""

    def value(flag: str, question: str, default: str | None) -> str:
        given = getattr(args, flag.replace("-", "_"))
        if given is not None:
            return str(given)
        if ask is None:
            if default is None:
                raise UsageError(f"--{flag} is needed with --yes (or when nobody can be asked)")
            return default
        while True:
            hint = f" [{default}]" if default else ""
            answer = ask(f"{question}{hint}: ").strip()
            if answer:
                return answer
            if default is not None:
                return default

    def optional(flag: str, question: str, default: str | None) -> str | None:
        given = getattr(args, flag.replace("-", "_"))
        if given is not None:
            return str(given)
        if ask is None:
            return default
        hint = f" [{default}]" if default else " (empty: none)"
        answer = ask(f"{question}{hint}: ").strip()
        return answer or default

    backend = optional("backend", "Backend URL", None)
    human = value("name-for-human", "Name for humans (<= 20 characters)", _default_name(args.dir))
    model = value("name-for-model", "Name for the model (letters and digits)", _model_name(human))
    desc_human = value(
        "description-for-human", "Description for humans (<= 100)", f"{human} for ChatGPT."
    )
    desc_model = value(
        "description-for-model",
        "Description for the model (when to use the plugin)",
        desc_human,
    )
    email = value("contact-email", "Contact email", None)
    legal = value("legal-url", "Legal info URL", None)
    auth = value("auth", f"Auth mode ({', '.join(AUTH_MODES)})", "none")
    auth_type = "bearer"
    token = args.verification_token
    if auth in ("service_http", "user_http", "api_key"):
        auth_type = value("authorization-type", "Authorization type (bearer, basic)", "bearer")
    public_url = value("public-url", "Public URL of the proxy", "http://localhost:8787")
    if auth in ("service_http", "oauth", "api_key") and token is None:
        token = optional("verification-token", "Verification token from ChatGPT", None)
        if token is None:
            import secrets

            token = secrets.token_hex(16)
    listen = args.listen or "127.0.0.1:8787"
    return Answers(
        name_for_human=human,
        name_for_model=model,
        description_for_human=desc_human,
        description_for_model=desc_model,
        contact_email=email,
        legal_url=legal,
        backend=backend,
        auth=auth,
        authorization_type=auth_type,
        public_url=public_url.rstrip("/"),
        listen=listen,
        verification_token=token,
    )


def _console_ask(question: str) -> str:
    try:
        return input(question)
    except EOFError:
        raise UsageError("init: no answer (stdin closed); pass flags and --yes") from None


def run(args: argparse.Namespace) -> int:
    refuse_config(args, "init")
    folder: Path = args.dir
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"{folder} is not a folder")
    ask: Ask | None = None if args.yes else _console_ask
    answers = gather(args, ask)
    check_answers(answers)
    out = sys.stdout
    confirm: Callable[[str], bool] | None = None
    if ask is not None:

        def confirm(question: str) -> bool:
            return _console_ask(f"{question} [y/N] ").strip().lower() in ("y", "yes")

    spec, how = _spec(answers, args, out)
    writer = Writer(out, force=args.force, ask=confirm)
    folder.mkdir(parents=True, exist_ok=True)
    writer.write_bytes(folder / "logo.png", logo_png())
    writer.write(folder / "ai-plugin.json", manifest_text(build_manifest(answers)))
    writer.write(folder / "openapi.yaml", spec_text(spec), spec=True)
    writer.write(folder / "pluginlab.toml", config_text(answers))
    out.write(f"spec: {how}\n")
    if any(r.written and not r.created for r in writer.results):
        out.write(
            "each write is a new version: a proxy running on these files with hot reload picks "
            "the change up as the next plugin version\n"
        )
    findings = lint_paths([folder], public_url=answers.public_url)
    counts = summarize(findings)
    for finding in findings:
        if finding.severity != "info":
            out.write(f"  {finding.file} {finding.severity} {finding.rule} {finding.message}\n")
    verdict = "lint clean" if not counts["error"] else "lint failed"
    out.write(f"{verdict}: {counts['error']} errors, {counts['warning']} warnings\n")
    config = folder / "pluginlab.toml"
    out.write(f"next: pluginlab-tui serve --config {config}\n")
    return 1 if counts["error"] else 0


def _spec(answers: Answers, args: argparse.Namespace, out: Any) -> tuple[dict[str, Any], str]:
    if answers.backend:
        imported, notes = fetch_spec(answers.backend, args.spec_url)
        if imported is not None:
            spec = adopt_spec(imported.spec, answers)
            for fix in fix_spec_data(spec):
                out.write(f"  fixed in the imported spec: {fix}\n")
            add_security(spec, answers)
            return spec, f"imported from {imported.url}"
        if args.spec_url:
            raise UsageError(f"--spec-url: no OpenAPI 3 document there ({'; '.join(notes)})")
        return skeleton_spec(answers), "skeleton (the backend serves no spec: " + (
            "; ".join(notes) or "not tried"
        ) + "); edit it, or record traffic and run `pluginlab-tui spec draft`"
    return skeleton_spec(answers), "skeleton (no backend); edit it"
