"""The example plugin's backend: todo lists per user, served by uvicorn.

Out of contract on demand: send `X-Todo-Fault: wrong_type | missing_field | undocumented_status`
(or set TODO_FAULT for every request) and the answer breaks the spec in that way.
`X-Todo-Delay: SECONDS` makes the answer slow.
"""

from __future__ import annotations

import asyncio
import itertools
import os
from datetime import UTC, date, datetime
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

PRIORITIES = ("low", "normal", "high")
FAULTS = ("wrong_type", "missing_field", "undocumented_status")

_todos: dict[str, dict[int, dict[str, Any]]] = {}
_ids = itertools.count(1)


def _problem(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


async def _answer(request: Request, body: Any, status: int = 200) -> Response:
    delay = request.headers.get("x-todo-delay")
    if delay:
        try:
            await asyncio.sleep(min(float(delay), 120.0))
        except ValueError:
            pass
    fault = request.headers.get("x-todo-fault") or os.environ.get("TODO_FAULT", "")
    if fault == "undocumented_status":
        return JSONResponse({"teapot": True}, status_code=418)
    if fault in ("wrong_type", "missing_field") and isinstance(body, dict):
        body = _break(body, fault)
    if status == 204:
        return Response(status_code=204)
    return JSONResponse(body, status_code=status)


def _break(body: dict[str, Any], fault: str) -> dict[str, Any]:
    broken = dict(body)
    if "todos" in broken:
        broken["todos"] = [_break(t, fault) for t in broken["todos"]]
        if fault == "wrong_type":
            broken["count"] = str(broken.get("count"))
        return broken
    if fault == "wrong_type" and "id" in broken:
        broken["id"] = str(broken["id"])
    if fault == "missing_field":
        broken.pop("title", None)
    return broken


def _validate(data: Any, *, partial: bool) -> str | None:
    if not isinstance(data, dict):
        return "the body must be a JSON object"
    if not partial and not isinstance(data.get("title"), str):
        return "title is required and must be a string"
    if "title" in data and (not isinstance(data["title"], str) or not data["title"].strip()):
        return "title must be a non-empty string"
    if "priority" in data and data["priority"] not in PRIORITIES:
        return f"priority must be one of {', '.join(PRIORITIES)}"
    if "done" in data and not isinstance(data["done"], bool):
        return "done must be a boolean"
    if data.get("due") is not None:
        try:
            date.fromisoformat(str(data["due"]))
        except ValueError:
            return "due must be a date (YYYY-MM-DD)"
    return None


async def _json(request: Request) -> Any:
    try:
        return await request.json()
    except ValueError:
        return None


async def list_todos(request: Request) -> Response:
    user = request.path_params["username"]
    status = request.query_params.get("status", "all")
    if status not in ("all", "open", "done"):
        return _problem(400, "status must be all, open or done")
    try:
        limit = int(request.query_params.get("limit", "50"))
    except ValueError:
        return _problem(400, "limit must be an integer")
    todos = list(_todos.get(user, {}).values())
    if status != "all":
        todos = [t for t in todos if t["done"] == (status == "done")]
    todos = todos[: max(limit, 0)]
    return await _answer(request, {"todos": todos, "count": len(todos)})


async def add_todo(request: Request) -> Response:
    user = request.path_params["username"]
    data = await _json(request)
    problem = _validate(data, partial=False)
    if problem:
        return _problem(400, problem)
    todo = {
        "id": next(_ids),
        "title": data["title"],
        "done": False,
        "priority": data.get("priority", "normal"),
        "due": data.get("due"),
        "created_at": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
    }
    _todos.setdefault(user, {})[todo["id"]] = todo
    return await _answer(request, todo, 201)


def _find(request: Request) -> dict[str, Any] | None:
    user = request.path_params["username"]
    return _todos.get(user, {}).get(request.path_params["todo_id"])


async def get_todo(request: Request) -> Response:
    todo = _find(request)
    if todo is None:
        return _problem(404, "no such todo")
    return await _answer(request, todo)


async def update_todo(request: Request) -> Response:
    todo = _find(request)
    if todo is None:
        return _problem(404, "no such todo")
    data = await _json(request)
    problem = _validate(data, partial=True)
    if problem:
        return _problem(400, problem)
    todo.update({k: v for k, v in data.items() if k in ("title", "done", "priority", "due")})
    return await _answer(request, todo)


async def delete_todo(request: Request) -> Response:
    todo = _find(request)
    if todo is None:
        return _problem(404, "no such todo")
    del _todos[request.path_params["username"]][todo["id"]]
    return await _answer(request, None, 204)


async def health(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


app = Starlette(
    routes=[
        Route("/health", health),
        Route("/todos/{username}", list_todos, methods=["GET"]),
        Route("/todos/{username}", add_todo, methods=["POST"]),
        Route("/todos/{username}/{todo_id:int}", get_todo, methods=["GET"]),
        Route("/todos/{username}/{todo_id:int}", update_todo, methods=["PATCH"]),
        Route("/todos/{username}/{todo_id:int}", delete_todo, methods=["DELETE"]),
    ]
)
