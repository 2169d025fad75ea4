"""The example ChatGPT app: a card board served over MCP, written with the official `mcp` SDK.

`MCPServer` with the MCP Apps extension (`mcp.server.apps.Apps`): four tools with input and
output schemas and annotations (`list_cards` declares `securitySchemes` noauth: callable without
signing in where the server has OAuth), three of them bound to the board widget (`ui://board/board.html`,
`text/html;profile=mcp-app`, also named by `openai/outputTemplate`); the resource template
`board://cards/{card_id}`; the prompt `triage`. Streamable HTTP at `/mcp` (answers on SSE, or
JSON with APP_JSON_RESPONSE=1), the older HTTP+SSE transport at `/sse` (posts to `/messages/`),
and `GET /health`. Run it with `uvicorn app:app --app-dir examples/app`.

Out of contract on demand: send `X-App-Fault: NAME` (or set APP_FAULT=NAME for every request):

- `bad_structured`: a tools/call result's structuredContent breaks the tool's outputSchema
  (`id` and `count` become strings, a card loses its required `title`).
- `unlisted_tool`: tools/list leaves out `delete_card`, which stays callable; a call to it is
  then a call of a tool the client was never shown.
- `undeclared_error`: tools/call fails with JSON-RPC error -32099, a code the MCP spec does not
  define, carrying the exception's name, where a failing tool should answer a CallToolResult
  with isError.
- `catalogue_v2`: tools/list returns a changed catalogue (`add_card` gains the required
  argument `board`, `list_cards` a new description) and resources/read of the widget returns
  changed HTML under the same URI.

`X-App-Delay: SECONDS` (up to 120) delays the answer to that message. The faults act in one SDK
server middleware, on the messages the SDK has already shaped for the wire.

The SDK's own log lines (sessions made and ended) are at APP_LOG_LEVEL (default INFO; the
launcher beside the proxy sets WARNING, as it does uvicorn's).

DNS-rebinding protection stays on: the SDK's servers answer 421 to a Host header that is not
loopback (`127.0.0.1:*`, `localhost:*`, `[::1]:*`) and 403 to a foreign Origin. A proxy in front
passes the app's own host on; a tunnel's host can be allowed with APP_ALLOWED_HOSTS (comma
separated `host:port` values).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from mcp.server.apps import Apps, ResourceCsp
from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ResourceNotFoundError, ToolError
from mcp.server.transport_security import TransportSecuritySettings
from mcp.shared.exceptions import MCPError
from mcp_types import ToolAnnotations
from pydantic import BaseModel, Field
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute

FAULTS = ("bad_structured", "unlisted_tool", "undeclared_error", "catalogue_v2")
UNDECLARED_ERROR_CODE = -32099
WIDGET_URI = "ui://board/board.html"
LOOPBACK_HOSTS = ["127.0.0.1:*", "localhost:*", "[::1]:*"]
LOOPBACK_ORIGINS = ["http://127.0.0.1:*", "http://localhost:*", "http://[::1]:*"]

Column = Literal["todo", "doing", "done"]


class Card(BaseModel):
    id: int = Field(description="The card's number")
    title: str
    column: Column
    created_at: str = Field(description="ISO-8601 UTC time the card was added")


class Board(BaseModel):
    cards: list[Card]
    count: int = Field(description="How many cards are listed")


class Deleted(BaseModel):
    deleted: int = Field(description="The number of the card removed")
    remaining: int = Field(description="Cards left on the board")


_cards: dict[int, Card] = {}
_ids = itertools.count(1)


def _add(title: str, column: Column) -> Card:
    card_id = next(_ids)
    now = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    _cards[card_id] = Card(id=card_id, title=title, column=column, created_at=now)
    return _cards[card_id]


_add("Write the widget", "doing")
_add("Ship to ChatGPT", "todo")


def _card(card_id: int) -> Card:
    card = _cards.get(card_id)
    if card is None:
        raise ToolError(f"no card {card_id}")
    return card


def _widget_meta(invoking: str, invoked: str) -> dict[str, Any]:
    return {
        "openai/outputTemplate": WIDGET_URI,
        "openai/toolInvocation/invoking": invoking,
        "openai/toolInvocation/invoked": invoked,
    }


#: The Apps SDK's per-tool auth policy: list_cards may be called without signing in (the SDK's
#: Tool model has no top-level securitySchemes, so it goes in the `_meta` mirror).
PUBLIC = [{"type": "noauth"}]

LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]
LOG_LEVELS: dict[str, LogLevel] = {
    "DEBUG": "DEBUG",
    "INFO": "INFO",
    "WARNING": "WARNING",
    "ERROR": "ERROR",
    "CRITICAL": "CRITICAL",
}


def _log_level() -> LogLevel:
    return LOG_LEVELS.get(os.environ.get("APP_LOG_LEVEL", "INFO").upper(), "INFO")


apps = Apps()
ColumnArg = Annotated[Column, Field(description="todo, doing or done")]
CardId = Annotated[int, Field(description="The card's number", ge=1)]


@apps.tool(
    resource_uri=WIDGET_URI,
    meta={**_widget_meta("Opening the board", "Board ready"), "securitySchemes": PUBLIC},
    name="list_cards",
    title="List cards",
    description="List the cards on the board, all of them or one column's.",
    annotations=ToolAnnotations(
        read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=False
    ),
)
async def list_cards(column: ColumnArg | None = None) -> Board:
    cards = [c for c in _cards.values() if column is None or c.column == column]
    return Board(cards=cards, count=len(cards))


@apps.tool(
    resource_uri=WIDGET_URI,
    meta=_widget_meta("Adding the card", "Card added"),
    name="add_card",
    title="Add a card",
    description="Add a card to the board (in the todo column unless told otherwise).",
    annotations=ToolAnnotations(
        read_only_hint=False, destructive_hint=False, idempotent_hint=False, open_world_hint=False
    ),
)
async def add_card(
    title: Annotated[str, Field(description="What the card says", min_length=1, max_length=200)],
    column: ColumnArg = "todo",
) -> Card:
    return _add(title, column)


@apps.tool(
    resource_uri=WIDGET_URI,
    meta=_widget_meta("Moving the card", "Card moved"),
    name="move_card",
    title="Move a card",
    description="Move a card to another column.",
    annotations=ToolAnnotations(
        read_only_hint=False, destructive_hint=False, idempotent_hint=True, open_world_hint=False
    ),
)
async def move_card(card_id: CardId, column: ColumnArg) -> Card:
    card = _card(card_id).model_copy(update={"column": column})
    _cards[card_id] = card
    return card


WIDGET_HTML = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Board</title>
<style>
  body { font: 14px system-ui, sans-serif; margin: 0; padding: 12px; }
  .board { display: grid; grid-template-columns: repeat(3, 1fr); gap: 8px; }
  .column h2 { font-size: 13px; text-transform: uppercase; color: #666; }
  .card { border: 1px solid #ddd; border-radius: 6px; padding: 6px 8px; margin-bottom: 6px; }
</style>
</head>
<body>
<div class="board" id="board" data-version="1"></div>
<script>
  const columns = ["todo", "doing", "done"];
  function render(data) {
    const cards = (data && (data.cards || (data.id ? [data] : []))) || [];
    const board = document.getElementById("board");
    board.replaceChildren(...columns.map((name) => {
      const column = document.createElement("section");
      column.className = "column";
      const heading = document.createElement("h2");
      heading.textContent = name;
      column.append(heading);
      for (const card of cards.filter((c) => c.column === name)) {
        const item = document.createElement("div");
        item.className = "card";
        item.textContent = "#" + card.id + " " + card.title;
        column.append(item);
      }
      return column;
    }));
  }
  window.addEventListener("message", (event) => {
    const message = event.data || {};
    if (message.method === "ui/notifications/tool-result") {
      render((message.params || {}).structuredContent);
    }
  });
  window.addEventListener("openai:set_globals", () => render(window.openai.toolOutput));
  if (window.openai) render(window.openai.toolOutput);
</script>
</body>
</html>
"""

apps.add_html_resource(
    WIDGET_URI,
    WIDGET_HTML,
    name="board",
    title="Card board",
    description="The board with its three columns",
    csp=ResourceCsp(connect_domains=[], resource_domains=[]),
    prefers_border=True,
)

mcp = MCPServer(
    "board",
    title="Card board",
    description="A card board: list, add, move and delete cards",
    version="1.0.0",
    extensions=[apps],
    log_level=_log_level(),
)


@mcp.tool(
    name="delete_card",
    title="Delete a card",
    description="Delete a card from the board for good.",
    annotations=ToolAnnotations(
        read_only_hint=False, destructive_hint=True, idempotent_hint=True, open_world_hint=False
    ),
)
async def delete_card(card_id: CardId) -> Deleted:
    _card(card_id)
    del _cards[card_id]
    return Deleted(deleted=card_id, remaining=len(_cards))


@mcp.resource(
    "board://cards/{card_id}",
    name="card",
    title="A card",
    description="One card as JSON",
    mime_type="application/json",
)
async def card_resource(card_id: str) -> str:
    card = _cards.get(int(card_id)) if card_id.isdigit() else None
    if card is None:
        raise ResourceNotFoundError(f"no card {card_id}")
    return card.model_dump_json()


@mcp.prompt(name="triage", title="Triage the board", description="Ask for a plan for one column")
def triage(column: str = "todo") -> str:
    return f"Look at the cards in the {column} column and suggest what to move next, and why."


@mcp.custom_route("/health", methods=["GET"])
async def health(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


def _headers(ctx: ServerRequestContext[Any, Any]) -> Mapping[str, str]:
    headers = getattr(ctx.request, "headers", None)
    return headers if headers is not None else {}


async def faults(ctx: ServerRequestContext[Any, Any], call_next: CallNext) -> HandlerResult:
    """The fault switches of the module docstring, for one inbound message."""
    headers = _headers(ctx)
    delay = headers.get("x-app-delay")
    if delay:
        try:
            await asyncio.sleep(min(max(float(delay), 0.0), 120.0))
        except ValueError:
            pass
    fault = headers.get("x-app-fault") or os.environ.get("APP_FAULT", "")
    if fault == "undeclared_error" and ctx.method == "tools/call":
        raise MCPError(
            code=UNDECLARED_ERROR_CODE,
            message="unexpected failure: ZeroDivisionError",
            data={"exception": "ZeroDivisionError"},
        )
    result = await call_next(ctx)
    if fault in FAULTS and isinstance(result, dict):
        return _break(ctx.method, ctx.params or {}, result, fault)
    return result


def _break(
    method: str, params: Mapping[str, Any], result: dict[str, Any], fault: str
) -> dict[str, Any]:
    broken = json.loads(json.dumps(result))
    if method == "tools/call" and fault == "bad_structured":
        content = broken.get("structuredContent")
        if isinstance(content, dict):
            broken["structuredContent"] = _bad_structured(content)
    elif method == "tools/list" and fault == "unlisted_tool":
        broken["tools"] = [t for t in broken.get("tools", []) if t.get("name") != "delete_card"]
    elif method == "tools/list" and fault == "catalogue_v2":
        for tool in broken.get("tools", []):
            if tool.get("name") == "add_card":
                schema = tool["inputSchema"]
                schema.setdefault("properties", {})["board"] = {
                    "type": "string",
                    "description": "The board to add the card to",
                }
                schema["required"] = [*schema.get("required", []), "board"]
            elif tool.get("name") == "list_cards":
                tool["description"] = "List the board's cards (v2: newest first)."
    elif method == "resources/read" and fault == "catalogue_v2" and params.get("uri") == WIDGET_URI:
        for item in broken.get("contents", []):
            if isinstance(item.get("text"), str):
                item["text"] = item["text"].replace('data-version="1"', 'data-version="2"')
    return broken


def _bad_structured(content: dict[str, Any]) -> dict[str, Any]:
    if isinstance(content.get("cards"), list):
        content["count"] = str(content.get("count"))
        content["cards"] = [_bad_structured(c) for c in content["cards"] if isinstance(c, dict)]
        return content
    for key in ("id", "deleted"):
        if key in content:
            content[key] = str(content[key])
    content.pop("title", None)
    return content


def transport_security() -> TransportSecuritySettings:
    """Loopback hosts and origins only, plus APP_ALLOWED_HOSTS."""
    extra = [h.strip() for h in os.environ.get("APP_ALLOWED_HOSTS", "").split(",") if h.strip()]
    return TransportSecuritySettings(
        enable_dns_rebinding_protection=True,
        allowed_hosts=[*LOOPBACK_HOSTS, *extra],
        allowed_origins=LOOPBACK_ORIGINS,
    )


def make_app() -> Any:
    """Streamable HTTP at /mcp and HTTP+SSE at /sse in one Starlette app."""
    mcp.middleware.append(faults)
    security = transport_security()
    http = mcp.streamable_http_app(
        streamable_http_path="/mcp",
        json_response=os.environ.get("APP_JSON_RESPONSE", "") == "1",
        transport_security=security,
    )
    sse = mcp.sse_app(sse_path="/sse", message_path="/messages/", transport_security=security)
    taken = {getattr(route, "path", None) for route in http.routes}
    extra: list[BaseRoute] = [r for r in sse.routes if getattr(r, "path", None) not in taken]
    http.router.routes.extend(extra)
    return http


app = make_app()
