"""The contract validator: one object per spec version, compiled once, never raising on input.

validator = ContractValidator.from_spec(spec_dict)
check = validator.check_request(HttpRequest("GET", "/v1/todos", "limit=abc", [], None))
check.violations  # [Violation(code='invalid_parameter', where='query.limit', ...)]
validator.check_response(check, HttpResponse(200, headers, body), duration_ms=12.5)
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from pluginlab_tui.contract.document import pointer
from pluginlab_tui.validation.media import (
    FORM,
    JSON,
    TEXT,
    BodyError,
    ContentType,
    decode_text,
    header_map,
    kind_of,
    match_cached,
    parse_content_type,
    parse_form,
    parse_json,
)
from pluginlab_tui.validation.operation import CompiledSpec, Media, Operation, compile_spec
from pluginlab_tui.validation.params import MISSING, check, coerce, extract, parse_cookies
from pluginlab_tui.validation.schemas import Failure
from pluginlab_tui.validation.security import unmet
from pluginlab_tui.validation.violations import Location, Violation

log = logging.getLogger(__name__)

__all__ = [
    "ContractValidator",
    "HttpRequest",
    "HttpResponse",
    "Operation",
    "RequestCheck",
]


@dataclass(frozen=True, slots=True)
class HttpRequest:
    """A request as received: path without query (may carry the server base path)."""

    method: str
    path: str
    query: str
    headers: Sequence[tuple[str, str]]
    body: bytes | None
    #: False when `body` is only the start of a body too large to decode whole.
    body_complete: bool = True


@dataclass(frozen=True, slots=True)
class HttpResponse:
    """A response as the backend sent it, content-encoding already decoded."""

    status: int
    headers: Sequence[tuple[str, str]]
    body: bytes | None
    #: False when `body` is only the start of a body too large to decode whole.
    body_complete: bool = True


def too_large_to_check(location: Location) -> Violation:
    """The body could not be decoded whole within proxy.max_inflated_bytes: not checked."""
    return Violation(
        "body_too_large_to_check",
        location,
        "body",
        f"the {location} body is larger than proxy.max_inflated_bytes once decoded; "
        "its content was not checked",
    )


@dataclass(frozen=True, slots=True)
class RequestCheck:
    """The verdict on a request, and the operation its response will be checked against."""

    operation_id: str | None
    operation: Operation | None
    violations: list[Violation]


class ContractValidator:
    """Checks requests and responses against one spec; built once per spec version."""

    def __init__(
        self, compiled: CompiledSpec, *, profile: str, response_chars: int, slow_ms: float
    ) -> None:
        self._compiled = compiled
        self.profile = profile
        self.response_chars = response_chars
        self.slow_ms = slow_ms

    @classmethod
    def from_spec(
        cls,
        spec: dict[str, Any],
        *,
        profile: str = "plugin",
        response_chars: int = 100_000,
        slow_ms: float = 45_000.0,
    ) -> ContractValidator:
        """Compile `spec`; ValueError (one clear line) when nothing in it can be compiled."""
        try:
            compiled = compile_spec(spec)
        except ValueError:
            raise
        except Exception as exc:
            raise ValueError(f"the spec cannot be compiled: {exc}") from exc
        return cls(compiled, profile=profile, response_chars=response_chars, slow_ms=slow_ms)

    @property
    def problems(self) -> list[str]:
        """Parts of the spec that were skipped while compiling (fewer checks there)."""
        return list(self._compiled.problems)

    def operation_ids(self) -> list[str]:
        return [op.operation_id for op in self._compiled.operations if op.operation_id]

    # -- requests -------------------------------------------------------------------------

    def check_request(self, request: HttpRequest) -> RequestCheck:
        """Route and check a request. Never raises."""
        out: list[Violation] = [] if request.body_complete else [too_large_to_check("request")]
        try:
            match = self._compiled.router.match(request.path or "/", request.method or "")
        except Exception:
            log.exception("router failed on %r", request.path)
            match = None
        if match is None:
            out.append(
                Violation(
                    "unknown_path",
                    "request",
                    "path",
                    f"no path in the spec matches {request.path!r}",
                )
            )
            return RequestCheck(None, None, out)
        op = match.operation
        if op is None:
            allowed = ", ".join(m.upper() for m in match.allowed)
            out.append(
                Violation(
                    "method_not_allowed",
                    "request",
                    "method",
                    f"{request.method.upper()} is not allowed on {match.template} "
                    f"(allowed: {allowed})",
                )
            )
            return RequestCheck(None, None, out)
        try:
            self._check_request(op, match.path_params, request, out)
        except Exception:  # a bug of ours must not cost the exchange
            log.exception("request check failed for %s", op.operation_id)
        return RequestCheck(op.operation_id, op, out)

    def _check_request(
        self,
        op: Operation,
        path_params: dict[str, str],
        request: HttpRequest,
        out: list[Violation],
    ) -> None:
        query = parse_qsl(request.query or "", keep_blank_values=True)
        headers = header_map(request.headers or ())
        cookies = parse_cookies(headers.get("cookie"))
        for param in op.params:
            value = extract(param, query, path_params, headers, cookies)
            if value is MISSING:
                if param.required:
                    out.append(
                        Violation(
                            "missing_parameter",
                            "request",
                            param.where,
                            f"required {param.label} is missing",
                            "required",
                        )
                    )
                continue
            for message, failure in check(param, value):
                out.append(
                    Violation(
                        "invalid_parameter",
                        "request",
                        param.where,
                        message,
                        failure.keyword if failure else "json",
                        failure.schema_path if failure else None,
                    )
                )
        if op.security is not None:
            missing = unmet(op.security, headers, query, cookies)
            if missing:
                names = ", ".join(repr(s.name) for s in missing)
                out.append(
                    Violation(
                        "security_missing",
                        "request",
                        missing[0].where,
                        f"the request lacks the credentials of security scheme {names}: "
                        f"expected {missing[0].describe()}",
                        "security",
                    )
                )
        if op.body is not None:
            self._check_request_body(op, op.body, request, headers, out)

    def _check_request_body(
        self,
        op: Operation,
        content: dict[str, Media],
        request: HttpRequest,
        headers: dict[str, str],
        out: list[Violation],
    ) -> None:
        body = request.body
        if not body:
            if op.body_required:
                out.append(
                    Violation(
                        "missing_body",
                        "request",
                        "body",
                        "the request body is required but none was sent",
                        "required",
                    )
                )
            return
        if not content or not request.body_complete:
            return
        ctype = parse_content_type(headers.get("content-type"))
        declared = ", ".join(content)
        if ctype is None:
            out.append(
                Violation(
                    "unsupported_media_type",
                    "request",
                    "content-type",
                    f"the request has a body but no Content-Type (expected {declared})",
                )
            )
            return
        key = match_cached(ctype.mime, content, op.body_cache)
        if key is None:
            out.append(
                Violation(
                    "unsupported_media_type",
                    "request",
                    "content-type",
                    f"Content-Type {ctype.mime!r} is not accepted here (expected {declared})",
                )
            )
            return
        for where, keyword, message, schema_path in _check_body(
            content[key], ctype, body, "request body"
        ):
            out.append(Violation("invalid_body", "request", where, message, keyword, schema_path))

    # -- responses ------------------------------------------------------------------------

    def check_response(
        self, check: RequestCheck, response: HttpResponse, duration_ms: float
    ) -> list[Violation]:
        """Check a response to a checked request. Never raises."""
        out: list[Violation] = []
        try:
            self._check_response(check, response, duration_ms, out)
        except Exception:
            log.exception("response check failed for %s", check.operation_id)
        return out

    def _check_response(
        self,
        check: RequestCheck,
        response: HttpResponse,
        duration_ms: float,
        out: list[Violation],
    ) -> None:
        headers = header_map(response.headers or ())
        ctype = parse_content_type(headers.get("content-type"))
        body = response.body or b""
        if not response.body_complete:
            out.append(too_large_to_check("response"))
        if duration_ms > self.slow_ms:
            out.append(
                Violation(
                    "slow_response",
                    "response",
                    "duration",
                    f"the response took {duration_ms / 1000:.1f} s "
                    f"(limit {self.slow_ms / 1000:g} s)",
                )
            )
        if len(body) > 4 * self.response_chars:  # no charset takes more than 4 bytes a character
            out.append(
                Violation(
                    "response_too_large",
                    "response",
                    "body",
                    f"the response body has more than {self.response_chars:,} characters "
                    f"({len(body):,} bytes; limit {self.response_chars:,} characters)",
                )
            )
        elif len(body) > self.response_chars:
            chars = _char_count(body, ctype)
            if chars > self.response_chars:
                out.append(
                    Violation(
                        "response_too_large",
                        "response",
                        "body",
                        f"the response body has {chars:,} characters "
                        f"(limit {self.response_chars:,})",
                    )
                )
        op = check.operation
        if op is None:
            return
        status = str(response.status)
        spec = (
            op.responses.get(status)
            or op.responses.get(status[:1] + "XX")
            or op.responses.get("DEFAULT")
        )
        if spec is None:
            documented = ", ".join(op.responses) or "none"
            out.append(
                Violation(
                    "undocumented_status",
                    "response",
                    "status",
                    f"status {status} is not documented for {op.operation_id or op.template} "
                    f"(documented: {documented})",
                )
            )
            return
        if not spec.content:
            return
        declared = ", ".join(spec.content)
        if not body:
            out.append(
                Violation(
                    "missing_response_body",
                    "response",
                    "body",
                    f"the response has no body but the spec documents {declared}",
                )
            )
            return
        key = match_cached(ctype.mime, spec.content, spec.cache) if ctype is not None else None
        if ctype is None or key is None:
            got = repr(ctype.mime) if ctype is not None else "none"
            out.append(
                Violation(
                    "wrong_content_type",
                    "response",
                    "content-type",
                    f"the response's Content-Type is {got} but the spec documents {declared}",
                )
            )
            return
        if not response.body_complete:
            return
        for where, keyword, message, schema_path in _check_body(
            spec.content[key], ctype, body, "response body"
        ):
            out.append(
                Violation("invalid_response_body", "response", where, message, keyword, schema_path)
            )


def _char_count(body: bytes, ctype: ContentType | None) -> int:
    try:
        return len(decode_text(body, ctype.charset if ctype else None))
    except BodyError:
        return len(body)


def _check_body(
    media: Media, ctype: ContentType, body: bytes, label: str
) -> list[tuple[str, str | None, str, str | None]]:
    """(where, keyword, message, schema_path) for each problem of a body."""
    kind = kind_of(ctype.mime)
    if kind not in (JSON, FORM, TEXT):
        return []  # binary or unknown media: not parsed
    try:
        text = decode_text(body, ctype.charset)
        if kind == JSON:
            value: Any = parse_json(text)
        elif kind == FORM:
            form = parse_form(text)
            value = {k: _coerce_form(v, media, k) for k, v in form.items()}
        else:
            value = text
    except BodyError as exc:
        return [("body", exc.keyword, f"the {label} {exc.message}", None)]
    if media.schema is None:
        return []
    return [_body_problem(f, label) for f in media.schema.failures(value)]


def _coerce_form(value: Any, media: Media, key: str) -> Any:
    shape = media.shape.props.get(key)
    if isinstance(value, list):
        return [coerce(v, shape.items if shape else None) for v in value]
    if shape is not None and shape.is_array:
        return [coerce(value, shape.items)]
    return coerce(value, shape)


def _body_problem(failure: Failure, label: str) -> tuple[str, str | None, str, str | None]:
    where = "body" + pointer(*failure.path)
    if failure.path:
        subject = f"{label} field {'/'.join(str(p) for p in failure.path)!r}"
    else:
        subject = f"the {label}"
    return (where, failure.keyword, f"{subject} {failure.message}", failure.schema_path)
