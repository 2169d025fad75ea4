"""Lint every plugin of ../shared/corpus in one run: total time and the slowest ten.

    .venv/bin/python benchmarks/lint_corpus.py [--jobs N] [--corpus DIR]

The 87 plugin folders and the 300 store manifests with their specs (387 plugins) are linted
with `lint_paths`, spread over N worker processes (default 2, the target machine's cores).
Target: under 10 s. The reference, measured in the same run, is only parsing the same files
(json / libyaml), so the ratio shows what the rules and the OpenAPI validation cost on top.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from pluginlab_tui.plugin.lint import lint_paths, summarize  # noqa: E402

TARGET_S = 10.0


def plugins(corpus: Path) -> list[tuple[str, list[Path]]]:
    """(label, paths to lint) for each plugin: a folder, or a store manifest with its spec."""
    found: list[tuple[str, list[Path]]] = []
    for folder in sorted(p for p in corpus.iterdir() if p.is_dir() and p.name != "store"):
        found.append((folder.name, [folder]))
    store = corpus / "store"
    for manifest in sorted(store.glob("*.json")):
        specs = sorted((store / "specs").glob(f"{manifest.stem}.api.*"))
        found.append((f"store/{manifest.stem}", [manifest, *specs[:1]]))
    return found


def lint_one(item: tuple[str, list[Path]]) -> tuple[str, float, dict[str, int]]:
    label, paths = item
    start = time.perf_counter()
    findings = lint_paths(paths)
    return label, time.perf_counter() - start, summarize(findings)


def parse_one(item: tuple[str, list[Path]]) -> float:
    """The reference: read and parse the same files, nothing else."""
    _, paths = item
    start = time.perf_counter()
    files: list[Path] = []
    for path in paths:
        files.extend(
            sorted(f for f in path.iterdir() if f.suffix in (".json", ".yaml", ".yml"))
            if path.is_dir()
            else [path]
        )
    for file in files:
        text = file.read_text(encoding="utf-8", errors="replace")
        try:
            if text.lstrip().startswith(("{", "[")):
                json.loads(text)
            else:
                yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        except Exception:  # noqa: BLE001 - broken files are part of the corpus
            pass
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2, help="worker processes (default 2)")
    parser.add_argument("--corpus", type=Path, default=REPO.parent / "shared" / "corpus")
    args = parser.parse_args()
    if not args.corpus.is_dir():
        print(f"corpus not found at {args.corpus}", file=sys.stderr)
        return 2
    items = plugins(args.corpus)
    jobs = max(1, args.jobs)

    start = time.perf_counter()
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        parse_cpu = sum(pool.map(parse_one, items, chunksize=8))
    parse_wall = time.perf_counter() - start

    start = time.perf_counter()
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        results = list(pool.map(lint_one, items, chunksize=4))
    lint_wall = time.perf_counter() - start
    lint_cpu = sum(r[1] for r in results)

    totals = {"error": 0, "warning": 0, "info": 0}
    clean = 0
    for _, _, counts in results:
        for key, value in counts.items():
            totals[key] += value
        clean += counts["error"] == 0
    manifests = sum(
        1 for _, paths in items if (paths[0] / "ai-plugin.json").is_file() or paths[0].is_file()
    )
    specs = sum(1 for _, paths in items if len(paths) > 1) + sum(
        1 for _, paths in items if paths[0].is_dir() and any(paths[0].glob("openapi.*"))
    )

    print(
        f"lint_corpus: {len(items)} plugins ({manifests} manifests, {specs} with a spec), "
        f"{jobs} worker(s), "
        f"{os.cpu_count()} CPU(s)"
    )
    print()
    print(f"{'step':<28}{'wall s':>10}{'cpu s':>10}{'ratio':>8}")
    print(f"{'parse only (reference)':<28}{parse_wall:>10.2f}{parse_cpu:>10.2f}{1.0:>8.1f}")
    print(
        f"{'lint (all rules)':<28}{lint_wall:>10.2f}{lint_cpu:>10.2f}"
        f"{lint_cpu / parse_cpu if parse_cpu else 0:>8.1f}"
    )
    print()
    print(
        f"target: {len(items)} plugins under {TARGET_S:.0f} s: "
        f"{'met' if lint_wall < TARGET_S else 'MISSED'} ({lint_wall:.2f} s)"
    )
    print(
        f"findings: {totals['error']} errors, {totals['warning']} warnings, "
        f"{totals['info']} info; lint clean (no error): {clean}/{len(items)}"
    )
    print()
    print("slowest ten")
    print(f"{'plugin':<64}{'s':>8}{'errors':>8}{'warnings':>10}")
    for label, seconds, counts in sorted(results, key=lambda r: r[1], reverse=True)[:10]:
        print(f"{label[:63]:<64}{seconds:>8.3f}{counts['error']:>8}{counts['warning']:>10}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
