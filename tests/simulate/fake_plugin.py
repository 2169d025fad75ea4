"""A plugin answered by an httpx.MockTransport: a manifest, a spec, OAuth and two operations.

Routes can be replaced per test (`plugin.routes[("GET", path)] = handler`); every request the
simulator makes is kept in `plugin.requests`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, urlencode

import httpx

BASE = "http://127.0.0.1:8787"

SPEC: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {"title": "Notes", "version": "1"},
    "servers": [{"url": "http://127.0.0.1:8787/v1"}],
    "paths": {
        "/notes": {
            "post": {
                "operationId": "addNote",
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["text"],
                                "properties": {"text": {"type": "string", "minLength": 1}},
                            },
                            "example": {"text": 7},  # wrong: the simulator must not send it
                        }
                    },
                },
                "responses": {
                    "201": {
                        "description": "Made.",
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Note"}}
                        },
                    }
                },
            }
        },
        "/notes/{note_id}": {
            "get": {
                "operationId": "getNote",
                "parameters": [
                    {
                        "name": "note_id",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "integer"},
                    },
                    {
                        "name": "fields",
                        "in": "query",
                        "schema": {"type": "string", "example": "all"},
                    },
                ],
                "responses": {
                    "200": {
                        "description": "The note.",
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Note"}}
                        },
                    }
                },
            }
        },
    },
    "components": {
        "schemas": {
            "Note": {
                "type": "object",
                "required": ["id", "text"],
                "properties": {"id": {"type": "integer"}, "text": {"type": "string"}},
            }
        }
    },
}

#: The manifest's auth for the OAuth dance (served by `authorize` and `token`).
OAUTH = {
    "type": "oauth",
    "client_url": "https://notes.example.com/oauth/authorize",
    "authorization_url": "https://notes.example.com/oauth/token",
    "authorization_content_type": "application/json",
    "scope": "notes",
}

Route = Callable[[httpx.Request], httpx.Response]


def manifest(auth: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "schema_version": "v1",
        "name_for_model": "notes",
        "auth": auth or {"type": "none"},
        "api": {"type": "openapi", "url": "https://notes.example.com/spec/openapi.json"},
    }


class FakePlugin:
    """The plugin's routes; `transport` is what the simulator is given."""

    def __init__(self, *, auth: dict[str, Any] | None = None) -> None:
        self.requests: list[httpx.Request] = []
        self.notes: dict[int, str] = {}
        self.routes: dict[tuple[str, str], Route] = {
            ("GET", "/.well-known/ai-plugin.json"): lambda _: httpx.Response(
                200, json=manifest(auth)
            ),
            ("GET", "/spec/openapi.json"): lambda _: httpx.Response(200, json=SPEC),
            ("GET", "/openapi.yaml"): lambda _: httpx.Response(200, json=SPEC),
            ("GET", "/oauth/authorize"): self.authorize,
            ("POST", "/oauth/token"): self.token,
            ("POST", "/v1/notes"): self.add_note,
            ("GET", "/v1/notes/{id}"): self.get_note,
        }
        self.transport = httpx.MockTransport(self.handle)

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        path = re.sub(r"^/v1/notes/\d+$", "/v1/notes/{id}", request.url.path)
        route = self.routes.get((request.method, path))
        if route is None:
            return httpx.Response(404, json={"error": "no such route"})
        return route(request)

    def paths(self) -> list[str]:
        return [r.url.path for r in self.requests]

    @staticmethod
    def authorize(request: httpx.Request) -> httpx.Response:
        """Approves at once: back to the redirect_uri with a code and the state."""
        query = dict(parse_qsl(request.url.query.decode("ascii")))
        back = urlencode({"code": "code-1", "state": query["state"]})
        return httpx.Response(302, headers={"Location": f"{query['redirect_uri']}?{back}"})

    @staticmethod
    def token(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        if body.get("code") != "code-1" or body.get("client_secret") != "s3cret":
            return httpx.Response(400, json={"error": "invalid_grant"})
        return httpx.Response(200, json={"access_token": "at-1", "token_type": "bearer"})

    def add_note(self, request: httpx.Request) -> httpx.Response:
        text = json.loads(request.content)["text"]
        note_id = len(self.notes) + 1
        self.notes[note_id] = text
        return httpx.Response(201, json={"id": note_id, "text": text})

    def get_note(self, request: httpx.Request) -> httpx.Response:
        note_id = int(request.url.path.rsplit("/", 1)[1])
        if note_id not in self.notes:
            return httpx.Response(404, json={"error": "no such note"})
        return httpx.Response(200, json={"id": note_id, "text": self.notes[note_id]})
