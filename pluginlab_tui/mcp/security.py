"""A tool's auth policy as the Apps SDK declares it: `securitySchemes` in its descriptor.

A list of `{"type": "noauth"}` (callable without a token) and `{"type": "oauth2", "scopes":
[...]}` (a token with those scopes), at the top level of the tool and mirrored in
`_meta["securitySchemes"]` for clients that only read `_meta` (apps-facts.md 5.1). The top
level wins when both are there; `problems` says when they disagree or either is malformed.
Pure: used by the proxy's scope checks (access/tool_scopes.py) and by `lint --mcp`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

KEY = "securitySchemes"
TYPES = ("noauth", "oauth2")


@dataclass(frozen=True, slots=True)
class Schemes:
    """What a tool declares: callable without a token (`open`), and the scopes its oauth2
    scheme lists (`oauth2` False: it declares no oauth2 scheme)."""

    open: bool
    oauth2: bool
    scopes: tuple[str, ...] = ()


def _raw(tool: Mapping[str, Any]) -> tuple[Any, str] | None:
    """The declared list and where it was found (`securitySchemes`, `_meta.securitySchemes`)."""
    if KEY in tool:
        return tool[KEY], KEY
    meta = tool.get("_meta")
    if isinstance(meta, Mapping) and KEY in meta:
        return meta[KEY], f"_meta.{KEY}"
    return None


def _parse(raw: Any) -> tuple[Schemes | None, str | None]:
    """The schemes of one declared list, or None and what is wrong with it."""
    if not isinstance(raw, list) or not raw:
        return None, "is not a non-empty list"
    open_, oauth2 = False, False
    scopes: list[str] = []
    for index, item in enumerate(raw):
        kind = item.get("type") if isinstance(item, Mapping) else None
        if kind not in TYPES:
            return None, f"[{index}] is not {{type: noauth}} or {{type: oauth2, scopes: [...]}}"
        assert isinstance(item, Mapping)
        if kind == "noauth":
            open_ = True
            continue
        oauth2 = True
        listed = item.get("scopes", [])
        if not isinstance(listed, list) or not all(
            isinstance(s, str) and s and " " not in s for s in listed
        ):
            return None, f"[{index}].scopes is not a list of scope names"
        scopes += [s for s in listed if s not in scopes]
    return Schemes(open_, oauth2, tuple(scopes)), None


def schemes(tool: Mapping[str, Any]) -> Schemes | None:
    """The tool's declared schemes; None when it declares none, or declares them malformed
    (then the server's own auth applies to it)."""
    found = _raw(tool)
    return None if found is None else _parse(found[0])[0]


def problems(tool: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(where, what is wrong) for each malformed declaration, and for a `_meta` mirror that
    says something else than the top level."""
    out: list[tuple[str, str]] = []
    parsed: dict[str, Schemes] = {}
    meta = tool.get("_meta")
    places = [(KEY, tool.get(KEY), KEY in tool)]
    if isinstance(meta, Mapping):
        places.append((f"_meta.{KEY}", meta.get(KEY), KEY in meta))
    for where, raw, present in places:
        if not present:
            continue
        found, problem = _parse(raw)
        if found is None:
            out.append((where, f"{where} {problem}"))
        else:
            parsed[where] = found
    top, mirror = parsed.get(KEY), parsed.get(f"_meta.{KEY}")
    if top is not None and mirror is not None and top != mirror:
        out.append((f"_meta.{KEY}", f"_meta.{KEY} differs from the top-level {KEY}"))
    return out
