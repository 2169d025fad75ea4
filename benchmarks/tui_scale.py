"""How the TUI copes with big stores: first screen, filters, jumps, memory.

    .venv/bin/python benchmarks/tui_scale.py                      # 10k, 100k and 1M events
    .venv/bin/python benchmarks/tui_scale.py --sizes 10000 100000
    .venv/bin/python benchmarks/tui_scale.py --keep /tmp/tui-scale  # keep the stores for next time

Stores are made by benchmarks/filter_scale.py's generator (bounded, batched inserts). For each
store a child process runs the app headless (Textual's run_test, 120x40) and measures: the time
from start to the first screen with rows, the time to apply each filter of the issue (typed into
the filter prompt, Enter, until the list is drawn again), the time to jump to the oldest and to
the newest row and into the middle of the list, and the child's peak resident memory. A
filter's store-side figure is its first page (the count and the jump sample follow in a worker
and are shown on lines of their own). Each figure is also given as a ratio to
the smallest store of the same run. Targets at 1M: first screen < 1 s, each filter < 300 ms,
memory < 250 MB.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from filter_scale import FILTERS as ALL_FILTERS  # noqa: E402
from filter_scale import MAX_EVENTS, _state, generate  # noqa: E402

#: The issue's seven filters: the first seven of filter_scale's list.
FILTERS = ALL_FILTERS[:7]
TARGETS = {"first": 1000.0, "filter": 300.0, "memory": 250.0}
SIZES = (10_000, 100_000, 1_000_000)


async def _measure(db: Path) -> dict[str, Any]:
    from pluginlab_tui.tui.app import PluginLabApp
    from pluginlab_tui.tui.screens.main import MainScreen
    from pluginlab_tui.tui.widgets.filter_bar import FilterInput

    started = time.perf_counter()
    app = PluginLabApp(db, cursor_blink=False, poll_interval=0.25)
    out: dict[str, Any] = {}
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        out["first"] = (time.perf_counter() - started) * 1000
        main = app.screen
        assert isinstance(main, MainScreen)
        assert main.rows.total > 0
        field = main.query_one(FilterInput)
        out["filters"] = {}
        from pluginlab_tui.store.filter import compile_filter
        from pluginlab_tui.tui.paging import PagedRows

        probe = PagedRows(main.data.conn)
        for expr in FILTERS:
            compiled = compile_filter(expr)
            began = time.perf_counter()
            probe.requery(compiled)
            for index in range(max(probe.total - 40, 0), probe.total):
                probe.row(index)
            store_ms = (time.perf_counter() - began) * 1000
            began = time.perf_counter()
            probe.count_now()
            count_ms = (time.perf_counter() - began) * 1000
            began = time.perf_counter()
            probe.sample_now()
            sample_ms = (time.perf_counter() - began) * 1000
            began = time.perf_counter()
            for fraction in (0.5, 0.31, 0.77):
                probe.row(int(probe.total * fraction))
            jump_ms = (time.perf_counter() - began) * 1000 / 3
            field.focus()
            field.value = expr
            await pilot.pause()
            began = time.perf_counter()
            await pilot.press("enter")
            await pilot.pause()
            screen_ms = (time.perf_counter() - began) * 1000
            out["filters"][expr] = (
                store_ms,
                probe.total,
                screen_ms,
                count_ms,
                sample_ms,
                jump_ms,
            )
        field.focus()
        field.value = ""
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        began = time.perf_counter()
        await pilot.press("g")
        await pilot.pause()
        out["oldest"] = (time.perf_counter() - began) * 1000
        began = time.perf_counter()
        await pilot.press("G")
        await pilot.pause()
        out["newest"] = (time.perf_counter() - began) * 1000
        events = main.events
        began = time.perf_counter()
        for fraction in (0.5, 0.31, 0.77):
            events.move_to(int(main.rows.total * fraction))  # what a scrollbar drag does
            await pilot.pause()
        out["middle"] = (time.perf_counter() - began) * 1000 / 3
        for _ in range(30):
            await pilot.press("pageup")
        out["memory"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        app.exit()
    return out


async def _reference() -> dict[str, float]:
    """A bare Textual app (a Static, a Footer) in the same child: what Textual itself costs."""
    from textual.app import App, ComposeResult
    from textual.widgets import Footer, Input, Static

    class Bare(App[None]):
        def compose(self) -> ComposeResult:
            yield Input()
            yield Static("x" * 100)
            yield Footer()

    started = time.perf_counter()
    async with Bare().run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        first = (time.perf_counter() - started) * 1000
        began = time.perf_counter()
        await pilot.press("a", "enter")
        await pilot.pause()
        enter = (time.perf_counter() - began) * 1000
    return {"first": first, "enter": enter}


def _child(db: Path) -> int:
    reference = asyncio.run(_reference())
    result = asyncio.run(_measure(db))
    result["reference"] = reference
    print(json.dumps(result))
    return 0


def _run_child(db: Path) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, __file__, "--child", str(db)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"the measuring child failed:\n{done.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _store(folder: Path, size: int) -> Path:
    path = folder / f"tui-scale-{size}.db"
    state = _state(path, size)
    if state == "foreign":
        raise SystemExit(f"{path} exists and was not made by this benchmark")
    if state == "stale":
        for stale in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
            stale.unlink(missing_ok=True)
    if state != "ready":
        generate(path, size)
    return path


def _table(results: dict[int, dict[str, Any]]) -> bool:
    sizes = sorted(results)
    biggest = sizes[-1]
    ref = results[biggest]["reference"]
    head = f"{'measure (ms; memory MB)':<34}" + "".join(f"{f'{s:,} ev':>12}" for s in sizes)
    head += f"{'x bare app':>12}{'target':>10}  ok"
    print(head)
    print("-" * len(head))
    ok = True

    def line(name: str, values: list[float], base: float | None, target: float) -> None:
        nonlocal ok
        good = target == 0.0 or biggest < 1_000_000 or values[-1] < target
        ok = ok and good
        cells = "".join(f"{v:>12.1f}" for v in values)
        ratio = f"{values[-1] / max(base, 1e-6):>12.1f}" if base else f"{'-':>12}"
        shown = f"< {target:.0f}" if target else "-"
        print(f"{name:<34}{cells}{ratio}{shown:>10}  {'ok' if good else 'SLOW'}")

    line("first screen", [results[s]["first"] for s in sizes], ref["first"], TARGETS["first"])
    for expr in FILTERS:
        line(
            f"filter {expr} (store)",
            [results[s]["filters"][expr][0] for s in sizes],
            None,
            TARGETS["filter"],
        )
        line(
            "  ... typed + Enter, redrawn",
            [results[s]["filters"][expr][2] for s in sizes],
            ref["enter"],
            0.0,
        )
        for n, label in ((3, "count (worker)"), (4, "jump sample (worker)"), (5, "jump to middle")):
            line(f"  ... {label}", [results[s]["filters"][expr][n] for s in sizes], None, 0.0)
    line("jump to oldest (g)", [results[s]["oldest"] for s in sizes], None, 0.0)
    line("jump to newest (G)", [results[s]["newest"] for s in sizes], None, 0.0)
    line("jump to the middle, no filter", [results[s]["middle"] for s in sizes], None, 0.0)
    line("peak memory (MB)", [results[s]["memory"] for s in sizes], None, TARGETS["memory"])
    print(
        f"\nbare Textual app in the same child: first screen {ref['first']:.0f} ms,"
        f" a key + Enter in an Input {ref['enter']:.0f} ms"
    )
    matches = "  ".join(f"{e}: {results[biggest]['filters'][e][1]:,}" for e in FILTERS)
    print(f"matches at {biggest:,}: {matches}")
    print(
        "store: the newest rows of the filter from SQLite, what the list shows first (what grows"
        " with the store); count and jump sample: what a worker computes next, off the screen's"
        " way; jump to middle: a row in the middle of the filter once the sample is there;"
        " typed + Enter: the whole round trip through Textual (focus moves to the list, the"
        " footer changes, the screen is drawn)."
    )
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES), metavar="N")
    parser.add_argument("--keep", type=Path, metavar="DIR", help="make/reuse the stores here")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return _child(args.child)
    if any(not 1 <= n <= MAX_EVENTS for n in args.sizes):
        parser.error(f"--sizes must be between 1 and {MAX_EVENTS:,}")
    with tempfile.TemporaryDirectory(prefix="tui-scale-") as scratch:
        folder = args.keep or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        results = {size: _run_child(_store(folder, size)) for size in sorted(args.sizes)}
        print(
            f"\nTUI on stores of {', '.join(f'{s:,}' for s in sorted(results))} events "
            "(headless, 120x40; one child process per store)"
        )
        ok = _table(results)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
