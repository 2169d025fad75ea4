"""openapi-core as the reference: the same exchanges, its verdict as (code, where) findings.

openapi-core stops at its first failing part (path, parameters, security, body), so it names
one place (several for a body's schema errors); our validator must name it too.
"""

from __future__ import annotations

from typing import Any

from openapi_core import Config, OpenAPI
from openapi_core.contrib.werkzeug import WerkzeugOpenAPIRequest, WerkzeugOpenAPIResponse
from openapi_core.deserializing.media_types.exceptions import MediaTypeDeserializeError
from openapi_core.templating.media_types.exceptions import MediaTypeNotFound
from openapi_core.templating.paths.exceptions import (
    OperationNotFound,
    PathNotFound,
    ServerNotFound,
)
from openapi_core.templating.responses.exceptions import ResponseNotFound
from openapi_core.validation.request.exceptions import (
    InvalidRequestBody,
    MissingRequestBodyError,
    MissingRequiredParameter,
    ParameterValidationError,
    RequestBodyValidationError,
    SecurityValidationError,
)
from openapi_core.validation.response.exceptions import (
    DataValidationError,
    InvalidData,
    MissingData,
)
from openapi_core.validation.schemas.exceptions import InvalidSchemaValue
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request, Response

from pluginlab_tui.contract.document import pointer
from pluginlab_tui.validation.validator import HttpRequest, HttpResponse

Finding = tuple[str, str | None]


class Oracle:
    def __init__(
        self, spec: dict[str, Any], host: str = "https://api.example.com", *, lax: bool = False
    ) -> None:
        # lax: skip openapi-core's spec validation (store specs break the schema in harmless
        # places, e.g. wolfram's externalDocs is a string)
        config = Config(spec_validator_cls=None) if lax else None
        self.api = OpenAPI.from_dict(spec, config=config)
        self.host = host

    def _request(self, request: HttpRequest) -> WerkzeugOpenAPIRequest:
        builder = EnvironBuilder(
            method=request.method,
            base_url=self.host,
            path=request.path,
            query_string=request.query,
            headers=list(request.headers),
            data=request.body,
        )
        return WerkzeugOpenAPIRequest(Request(builder.get_environ()))

    def check_request(self, request: HttpRequest) -> list[Finding]:
        try:
            self.api.validate_request(self._request(request))
        except Exception as exc:
            return _findings(exc, "request")
        return []

    def check_response(self, request: HttpRequest, response: HttpResponse) -> list[Finding]:
        wz = Response(response.body or b"", status=response.status, headers=list(response.headers))
        try:
            self.api.validate_response(self._request(request), WerkzeugOpenAPIResponse(wz))
        except Exception as exc:
            return _findings(exc, "response")
        return []


def _schema_findings(exc: BaseException, code: str) -> list[Finding]:
    cause = exc.__cause__ if not isinstance(exc, InvalidSchemaValue) else exc
    if isinstance(cause, InvalidSchemaValue):
        errors: list[Any] = list(cause.schema_errors)  # jsonschema ValidationErrors
        return [(code, "body" + pointer(*e.absolute_path)) for e in errors]
    return [(code, "body")]


def _findings(exc: BaseException, side: str) -> list[Finding]:
    cause = exc.__cause__
    if isinstance(exc, PathNotFound | ServerNotFound):
        return [("unknown_path", "path")]
    if isinstance(exc, OperationNotFound):
        return [("method_not_allowed", "method")]
    if isinstance(exc, MissingRequiredParameter):
        return [("missing_parameter", f"{exc.location}.{exc.name}")]
    if isinstance(exc, ParameterValidationError):
        return [("invalid_parameter", f"{exc.location}.{exc.name}")]
    if isinstance(exc, SecurityValidationError):
        return [("security_missing", None)]
    if isinstance(exc, MissingRequestBodyError):
        return [("missing_body", "body")]
    if isinstance(exc, InvalidRequestBody):
        return _schema_findings(exc, "invalid_body")
    if isinstance(exc, RequestBodyValidationError):
        if isinstance(cause, MediaTypeNotFound):
            return [("unsupported_media_type", "content-type")]
        if isinstance(cause, MediaTypeDeserializeError):
            return [("invalid_body", "body")]
        return [("invalid_body", "body")]
    if isinstance(exc, ResponseNotFound):
        return [("undocumented_status", "status")]
    if isinstance(exc, MissingData):
        return [("missing_response_body", "body")]
    if isinstance(exc, InvalidData):
        return _schema_findings(exc, "invalid_response_body")
    if isinstance(exc, DataValidationError):
        if isinstance(cause, MediaTypeNotFound):
            return [("wrong_content_type", "content-type")]
        return [("invalid_response_body", "body")]
    return [(f"other:{type(exc).__name__}", str(exc)[:200])]


def agrees(ours: list[tuple[str, str]], theirs: list[Finding]) -> str | None:
    """None if both see the same verdict and ours names openapi-core's first place; else why."""
    if bool(ours) != bool(theirs):
        return f"verdicts differ: ours={ours} openapi-core={theirs}"
    if not theirs:
        return None
    for code, where in theirs:
        hit = any(
            c == code and (where is None or w == where or w.startswith(f"{where}/"))
            for c, w in ours
        )
        if not hit:
            return f"openapi-core's ({code}, {where}) not among ours {ours}"
    return None
