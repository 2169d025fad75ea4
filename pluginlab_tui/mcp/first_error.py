"""The first error of a pydantic ValidationError, said one way: where (its `loc`) and what.

mcp-types and the SDK refuse a message with a ValidationError listing every error; a lint line, a
JSON-RPC problem, a simulated call's violation each name the first one, from here.
"""

from __future__ import annotations

from dataclasses import dataclass

import pydantic

from pluginlab_tui.validation.violations import Violation


@dataclass(frozen=True, slots=True)
class FirstError:
    """Where the first error is (its `loc`, as text) and its message."""

    loc: tuple[str, ...]
    msg: str

    def text(self, root: str = "message") -> str:
        """`a.b: msg`, with `root` in place of an empty location."""
        return f"{'.'.join(self.loc) or root}: {self.msg}"


def first_error(exc: pydantic.ValidationError) -> FirstError:
    errors = exc.errors()
    if not errors:
        return FirstError((), "invalid")
    first = errors[0]
    return FirstError(tuple(str(p) for p in first.get("loc", ())), str(first.get("msg", "invalid")))


def invalid_result(exc: pydantic.ValidationError) -> Violation:
    """A result mcp-types refused for the version in force, as the proxy reports it: an
    `mcp_invalid_message` in the response, where = `result/<loc>`."""
    first = first_error(exc)
    return Violation("mcp_invalid_message", "response", "/".join(("result", *first.loc)), first.msg)
