"""Request path and method to an operation: templates precompiled, literal segments first.

Server base paths (`https://api.example.com/v1`, relative `/v1`, templated with variable
defaults) are stripped; paths that arrive without the base path match too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

_VAR = re.compile(r"\{([^{}/]+)\}")


def base_paths(servers: Any) -> list[str]:
    """Base paths of a `servers` list, longest first, without trailing slash; never ''."""
    out: set[str] = set()
    if isinstance(servers, dict):
        servers = [servers]
    if not isinstance(servers, list):
        return []
    for server in servers:
        if not isinstance(server, dict) or not isinstance(server.get("url"), str):
            continue
        url = server["url"]
        variables = server.get("variables")
        if isinstance(variables, dict):
            for name, var in variables.items():
                default = var.get("default") if isinstance(var, dict) else None
                url = url.replace(
                    "{" + str(name) + "}", str(default if default is not None else "")
                )
        if "://" in url or url.startswith("//"):
            rest = url.split("//", 1)[1]
            path = "/" + rest.split("/", 1)[1] if "/" in rest else ""
            path = path.split("?", 1)[0].split("#", 1)[0]
        else:
            path = url
        path = "/" + path.strip("/") if path.strip("/") else ""
        if path and "{" not in path:
            out.add(path)
    return sorted(out, key=lambda p: (-len(p), p))


@dataclass(frozen=True, slots=True)
class _Segment:
    literal: str | None
    regex: re.Pattern[str] | None
    names: tuple[str, ...]


@dataclass(slots=True)
class Route[T]:
    template: str
    segments: tuple[_Segment, ...]
    methods: dict[str, T]
    rank: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Match[T]:
    """What the router found: the template, the operation (None: method not allowed), params."""

    template: str
    operation: T | None
    path_params: dict[str, str]
    allowed: tuple[str, ...]


def _compile_segment(text: str) -> _Segment:
    names = tuple(_VAR.findall(text))
    if not names:
        return _Segment(text, None, ())
    pattern = ""
    last = 0
    for m in _VAR.finditer(text):
        pattern += re.escape(text[last : m.start()]) + "(.+?)"
        last = m.end()
    pattern += re.escape(text[last:])
    return _Segment(None, re.compile(pattern + r"\Z", re.S), names)


class Router[T]:
    """Finds the route for a request path; built once per spec."""

    def __init__(self, routes: Iterable[tuple[str, dict[str, T]]], bases: list[str]) -> None:
        self.bases = bases
        self._literal: dict[str, Route[T]] = {}
        self._templated: dict[int, list[Route[T]]] = {}
        for template, methods in routes:
            parts = _split(template)
            segments = tuple(_compile_segment(p) for p in parts)
            rank = tuple(0 if s.literal is not None else 1 for s in segments)
            route = Route(template, segments, methods, rank)
            if all(s.literal is not None for s in segments):
                key = "/" + "/".join(parts)
                if key in self._literal:
                    self._literal[key].methods.update(methods)
                else:
                    self._literal[key] = route
            else:
                self._templated.setdefault(len(segments), []).append(route)
        for group in self._templated.values():
            group.sort(key=lambda r: r.rank)

    def match(self, path: str, method: str) -> Match[T] | None:
        """The best route for `path` (base path stripped or not) and `method`; None if none."""
        method = method.lower()
        candidates = [path]
        for base in self.bases:
            if path == base or path.startswith(base + "/"):
                candidates.insert(0, path[len(base) :] or "/")
                break
        fallback: Match[T] | None = None
        for candidate in candidates:
            found = self._match_one(candidate, method)
            if found is not None:
                if found.operation is not None:
                    return found
                fallback = fallback or found
        return fallback

    def _match_one(self, path: str, method: str) -> Match[T] | None:
        parts = _split(path)
        key = "/" + "/".join(parts)
        routes: list[tuple[Route[T], dict[str, str]]] = []
        literal = self._literal.get(key) or self._literal.get(unquote(key))
        if literal is not None:
            routes.append((literal, {}))
        for route in self._templated.get(len(parts), ()):
            params = _match_segments(route.segments, parts)
            if params is not None:
                routes.append((route, params))
        if not routes:
            return None
        for route, params in routes:
            op = route.methods.get(method)
            if op is not None:
                return Match(route.template, op, params, tuple(route.methods))
        route, params = routes[0]
        return Match(route.template, None, params, tuple(route.methods))


def _split(path: str) -> list[str]:
    """'/a/b' -> ['a', 'b']; '/a/' -> ['a', '']; '/' and '' -> [''] (the trailing slash counts)."""
    return path[1:].split("/") if path.startswith("/") else path.split("/")


def _match_segments(segments: tuple[_Segment, ...], parts: list[str]) -> dict[str, str] | None:
    params: dict[str, str] = {}
    for seg, part in zip(segments, parts, strict=True):
        if seg.literal is not None:
            if seg.literal != part and seg.literal != unquote(part):
                return None
            continue
        assert seg.regex is not None
        m = seg.regex.match(part)
        if m is None or not part:
            return None
        for name, value in zip(seg.names, m.groups(), strict=True):
            params[name] = unquote(value)
    return params
