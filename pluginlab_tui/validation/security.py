"""Security requirements: does the request carry the credentials one alternative asks for?"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pluginlab_tui.contract.document import deref


@dataclass(frozen=True, slots=True)
class Scheme:
    """One security scheme reduced to what can be seen on a request."""

    name: str  # the scheme's name in components.securitySchemes
    location: str  # header, query, cookie
    param: str  # header / query / cookie name
    prefix: str | None  # required Authorization scheme ('bearer', 'basic'), lower-cased

    @property
    def where(self) -> str:
        return f"{self.location}.{self.param}"

    def describe(self) -> str:
        if self.prefix:
            return f"an Authorization: {self.prefix.capitalize()} header"
        return (
            f"the {self.location} {'parameter' if self.location != 'header' else ''}".rstrip()
            + (f" {self.param!r}")
        )


#: Alternatives; each a list of schemes that must all be present. None: nothing required.
Requirement = list[list[Scheme]]


def compile_security(spec: dict[str, Any], raw: Any) -> Requirement | None:
    """The operation's (or document's) security as alternatives; None when none is needed."""
    if not isinstance(raw, list) or not raw:
        return None
    comps = spec.get("components")
    schemes = comps.get("securitySchemes") if isinstance(comps, dict) else None
    schemes = schemes if isinstance(schemes, dict) else {}
    alternatives: Requirement = []
    for alternative in raw:
        if not isinstance(alternative, dict):
            continue
        if not alternative:
            return None  # `{}`: anonymous access is one of the alternatives
        needed: list[Scheme] = []
        for name in alternative:
            scheme = _scheme(str(name), deref(spec, schemes.get(name)))
            if scheme is not None:
                needed.append(scheme)
        if not needed:
            return None  # only unknown schemes: nothing we can check
        alternatives.append(needed)
    return alternatives or None


def _scheme(name: str, raw: Any) -> Scheme | None:
    if not isinstance(raw, dict):
        return None
    kind = str(raw.get("type", "")).lower()
    if kind == "apikey":
        location = raw.get("in")
        param = raw.get("name")
        if location in ("header", "query", "cookie") and isinstance(param, str) and param:
            return Scheme(name, location, param, None)
        return None
    if kind == "http":
        scheme = str(raw.get("scheme", "")).lower() or "bearer"
        return Scheme(name, "header", "Authorization", scheme)
    if kind in ("oauth2", "openidconnect"):
        return Scheme(name, "header", "Authorization", "bearer")
    return None


def satisfied(
    scheme: Scheme,
    headers: dict[str, str],
    query: list[tuple[str, str]],
    cookies: dict[str, str],
) -> bool:
    if scheme.location == "header":
        value = headers.get(scheme.param.lower())
        if value is None or not value.strip():
            return False
        if scheme.prefix:
            kind, _, credentials = value.strip().partition(" ")
            return kind.lower() == scheme.prefix and bool(credentials.strip())
        return True
    if scheme.location == "query":
        return any(k == scheme.param and v != "" for k, v in query)
    return bool(cookies.get(scheme.param))


def unmet(
    requirement: Requirement,
    headers: dict[str, str],
    query: list[tuple[str, str]],
    cookies: dict[str, str],
) -> list[Scheme]:
    """[] if one alternative is met; else the missing schemes of the first alternative."""
    first_missing: list[Scheme] | None = None
    for alternative in requirement:
        missing = [s for s in alternative if not satisfied(s, headers, query, cookies)]
        if not missing:
            return []
        if first_missing is None:
            first_missing = missing
    return first_missing or []
