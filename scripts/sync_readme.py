"""Write the generated config reference into README.md between its markers."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pluginlab_tui.config import Config  # noqa: E402
from scripts.config_reference import rows  # noqa: E402

START, END = "<!-- config-reference:start -->", "<!-- config-reference:end -->"


def table() -> str:
    return "\n".join(["| key | default | meaning |", "|---|---|---|", *rows(Config)])


def synced(text: str) -> str:
    head, _, rest = text.partition(START)
    _, _, tail = rest.partition(END)
    return f"{head}{START}\n{table()}\n{END}{tail}"


if __name__ == "__main__":
    readme = Path(__file__).resolve().parents[1] / "README.md"
    readme.write_text(synced(readme.read_text(encoding="utf-8")), encoding="utf-8")
