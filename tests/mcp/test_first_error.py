"""The first error of a ValidationError, said one way."""

from __future__ import annotations

import pydantic
import pytest
from mcp_types import CallToolResult

from pluginlab_tui.mcp.first_error import first_error, invalid_result


def refusal(model: type[pydantic.BaseModel], data: object) -> pydantic.ValidationError:
    with pytest.raises(pydantic.ValidationError) as caught:
        model.model_validate(data)
    return caught.value


def test_the_first_error_names_where_and_what() -> None:
    exc = refusal(CallToolResult, {"content": [{"type": "text", "text": 5}]})
    found = first_error(exc)
    assert found.loc[:2] == ("content", "0")
    assert found.text().startswith("content.0.") and ": " in found.text()


def test_an_error_at_the_root_takes_the_name_given() -> None:
    exc = refusal(CallToolResult, "not an object")
    assert first_error(exc).loc == ()
    assert first_error(exc).text("(root)").startswith("(root): ")
    assert first_error(exc).text().startswith("message: ")


def test_a_refused_result_is_an_invalid_message_in_the_response() -> None:
    violation = invalid_result(refusal(CallToolResult, {"content": "none"}))
    assert violation.code == "mcp_invalid_message" and violation.location == "response"
    assert violation.where == "result/content"
    assert invalid_result(refusal(CallToolResult, 3)).where == "result"
