"""`pluginlab-tui prompt`: the plugin as the model sees it, with its size and warnings.

Exit 0 (warnings are printed), 2 when the files cannot be read.
"""

from __future__ import annotations

import argparse
import json
import sys

from pluginlab_tui.commands.common import Subparsers, add_config_flag, config_from
from pluginlab_tui.plugin.files import load_plugin_files
from pluginlab_tui.plugin.prompt import PromptView, render_prompt


def add_parser(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        "prompt",
        help="show the plugin as ChatGPT presented it to the model, with its size",
        description=(
            "Render the plugin the way ChatGPT presented it to the model: a TypeScript-like "
            "namespace built from description_for_model and each operation's description and "
            "parameters. The size is given in characters and tokens (cl100k_base when tiktoken "
            "and its data are installed, else an estimate)."
        ),
    )
    add_config_flag(parser)
    parser.add_argument(
        "--format", choices=("text", "json"), default="text", help="json: {text, chars, ...}"
    )
    parser.set_defaults(run=run)


def view_for(args: argparse.Namespace) -> PromptView:
    config = config_from(args)
    profile = config.plugin.profile
    manifest_path = config.manifest_path
    if profile == "actions" and not manifest_path.is_file():
        files = load_plugin_files(None, config.spec_path, config.plugin.max_spec_bytes)
    else:
        files = load_plugin_files(manifest_path, config.spec_path, config.plugin.max_spec_bytes)
    limits = config.plugin.limits
    return render_prompt(
        files.manifest,
        files.spec,
        profile=profile,
        endpoint_limit=limits.endpoint_description,
        parameter_limit=limits.parameter_description,
    )


def run(args: argparse.Namespace) -> int:
    view = view_for(args)
    out = sys.stdout
    if args.format == "json":
        data = {
            "text": view.text,
            "chars": view.chars,
            "tokens": view.tokens,
            "tokens_exact": view.tokens_exact,
            "encoding": view.encoding_name,
            "warnings": view.warnings,
        }
        out.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
    else:
        out.write(view.text)
        out.write("\n" + view.size_line + "\n")
        for warning in view.warnings:
            out.write(f"warning: {warning}\n")
    return 0
