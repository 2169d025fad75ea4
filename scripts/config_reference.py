"""Print the config reference table of README.md from the pydantic model (keys, defaults, docs)."""

from __future__ import annotations

from pathlib import PurePath
from typing import Any

from pydantic import BaseModel

from pluginlab_tui.config import Config, PlanSection


def rows(model: type[BaseModel], prefix: str = "") -> list[str]:
    out: list[str] = []
    for name, field in model.model_fields.items():
        if name == "base_dir":
            continue
        key = prefix + name
        annotation: Any = field.annotation
        if name == "plans" and not prefix:
            out += rows(PlanSection, "plans.<name>.")
            continue
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            out += rows(annotation, key + ".")
            continue
        default = field.default_factory() if field.default_factory else field.default  # type: ignore[call-arg]
        if isinstance(default, PurePath):
            default = default.as_posix()
        shown = "none" if default is None else f"`{default!r}`"
        doc = (field.description or "").replace("|", "\\|")
        out.append(f"| `{key}` | {shown} | {doc} |")
    return out


if __name__ == "__main__":
    print("| key | default | meaning |\n|---|---|---|")
    print("\n".join(rows(Config)))
