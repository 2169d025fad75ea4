"""Scopes per tool on an MCP endpoint in oauth mode: who may call what, message by message.

Each tool's policy is `mcp.tool_scopes.<tool>` when configured, else the `securitySchemes` of
its descriptor in the latest catalogue the proxy saw (mcp/security.py), else the endpoint's:
a token with the endpoint's scopes (`auth.oauth.scope`). A tool that declares oauth2 scopes
needs a token with the endpoint's scopes and its own; a tool that declares noauth may be called
without a token.

When any tool is noauth the endpoint is "mixed", as ChatGPT's connector calls it: initialize,
tools/list and every other request but a tools/call pass without a token (ChatGPT sends them
anonymously, then follows each tool's schemes), and only the tools/call of a tool that needs a
token is refused. A token that is sent must still be valid (a 401 otherwise, as the spec asks),
and a message the proxy cannot read (invalid JSON-RPC) needs what a signed-in request needs,
so that nothing the proxy did not understand reaches the server anonymously.

Until a tools/list is seen (this run or, at start, the newest catalogue in the store) only the
configured tools are known: every other tool needs the endpoint's scopes (fail closed).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from pluginlab_tui.mcp.jsonrpc import Message
from pluginlab_tui.mcp.security import Schemes, schemes

NOAUTH = "noauth"


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a message may not reach the server: no token (`missing`) or too few scopes."""

    result: Literal["missing", "insufficient_scope"]
    message: str
    #: The scopes to ask for: every one the message needs (those granted included).
    scopes: tuple[str, ...]
    #: The tool a refused tools/call names (None for another message).
    tool: str | None = None


def _merged(*groups: Sequence[str]) -> tuple[str, ...]:
    out: list[str] = []
    for group in groups:
        out += [s for s in group if s not in out]
    return tuple(out)


class ToolScopes:
    """The endpoint's scopes, the configured overrides and the tools as last listed."""

    def __init__(
        self, base: Sequence[str], overrides: Mapping[str, Sequence[str] | str] | None = None
    ) -> None:
        self.base = tuple(base)
        self.overrides: dict[str, Schemes] = {
            name: Schemes(True, False) if value == NOAUTH else Schemes(False, True, tuple(value))
            for name, value in (overrides or {}).items()
        }
        self._listed: dict[str, Schemes] = {}

    # -- what is known ------------------------------------------------------------------------

    def learn(self, tools: Sequence[Mapping[str, Any]] | None) -> None:
        """The tools of a catalogue (a tools/list result): their declared schemes."""
        listed: dict[str, Schemes] = {}
        for tool in tools or ():
            name = tool.get("name")
            found = schemes(tool)
            if isinstance(name, str) and found is not None:
                listed[name] = found
        self._listed = listed

    def policy(self, tool: str | None) -> Schemes:
        """A tool's policy: configured, declared, else the endpoint's."""
        if tool is not None:
            found = self.overrides.get(tool) or self._listed.get(tool)
            if found is not None:
                return found
        return Schemes(False, True)

    @property
    def mixed(self) -> bool:
        """Some tool may be called without a token (then so may every other request)."""
        return any(s.open for s in (*self._listed.values(), *self.overrides.values()))

    def supported(self) -> tuple[str, ...]:
        """scopes_supported: the endpoint's, then every tool's."""
        policies = {**self._listed, **self.overrides}.values()
        return _merged(self.base, *(s.scopes for s in policies))

    def __contains__(self, scope: object) -> bool:
        return scope in self.supported()

    # -- one message --------------------------------------------------------------------------

    def needs(self, message: Message) -> tuple[bool, tuple[str, ...], str | None]:
        """What a message from the client needs: a token, which scopes, and its tool."""
        if message.kind == "invalid":
            return True, self.base, None
        if message.method == "tools/call":  # a request, or one sent as a notification
            raw = (message.params or {}).get("name")
            tool = raw if isinstance(raw, str) else None
            policy = self.policy(tool)
            if policy.open:
                return False, (), tool
            return True, _merged(self.base, policy.scopes), tool
        if self.mixed:
            return False, (), None
        return True, self.base, None

    def refusal(self, message: Message, granted: Sequence[str] | None) -> Refusal | None:
        """Why the message is refused for a caller with `granted` scopes (None: no token)."""
        token, needed, tool = self.needs(message)
        what = f"the tool {tool!r}" if tool is not None else "this request"
        if token and granted is None:
            asked = f" with the scope {' '.join(needed)!r}" if needed else ""
            return Refusal("missing", f"{what} needs a sign-in{asked}", needed, tool)
        missing = [s for s in needed if s not in (granted or ())]
        if missing:
            return Refusal(
                "insufficient_scope",
                f"{what} needs the scope {' '.join(missing)!r}, which the access token lacks",
                needed,
                tool,
            )
        return None
