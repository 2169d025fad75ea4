"""The facade: every violation code with a failing and a passing case, and the differential
test against openapi-core (the reference for what is valid) over our spec and corpus specs."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml

from pluginlab_tui.validation.validator import (
    ContractValidator,
    HttpRequest,
    HttpResponse,
    RequestCheck,
)
from pluginlab_tui.validation.violations import CODES, CONTRACT_CODES, Violation
from tests.validation.oracle import Oracle, agrees

SPECS = Path(__file__).parent / "specs"
KEY = ("X-API-Key", "k1")
BEARER = ("Authorization", "Bearer t0ken")
JSON_CT = ("Content-Type", "application/json")
UTF8_JSON = "application/json; charset=utf-8"


def load(path: Path) -> dict[str, Any]:
    text = path.read_text(encoding="utf-8")
    data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    assert isinstance(data, dict)
    return data


@pytest.fixture(scope="module")
def petshop() -> dict[str, Any]:
    return load(SPECS / "petshop.yaml")


@pytest.fixture(scope="module")
def validator(petshop: dict[str, Any]) -> ContractValidator:
    return ContractValidator.from_spec(petshop)


def req(
    method: str,
    path: str,
    query: str = "",
    headers: list[tuple[str, str]] | None = None,
    body: Any = None,
) -> HttpRequest:
    raw: bytes | None
    if body is None or isinstance(body, bytes):
        raw = body
    else:
        raw = json.dumps(body).encode()
    return HttpRequest(method, path, query, headers or [], raw)


def resp(status: int, body: Any = None, ctype: str | None = "application/json") -> HttpResponse:
    raw = body if body is None or isinstance(body, bytes) else json.dumps(body).encode()
    return HttpResponse(status, [("Content-Type", ctype)] if ctype else [], raw)


def found(violations: list[Violation]) -> list[tuple[str, str]]:
    return [(v.code, v.where) for v in violations]


PET = {"id": 7, "name": "Rex", "tag": None, "status": "available", "born": "2020-02-29"}
NEW_PET = {"name": "Rex", "tag": "good", "secret": "s3"}
ORDER: dict[str, Any] = {
    "items": [
        {"product": {"sku": "ABC-1", "price": {"amount": 9.5, "currency": "EUR"}}, "quantity": 2},
        {"product": {"sku": "XYZ-22", "price": {"amount": 1, "currency": "USD"}}, "quantity": 1},
    ],
    "payment": {"method": "card", "number": "4111111111111111"},
    "coupon": None,
    "gift": {"to": "Ann"},
}
ORDER_OUT = {**ORDER, "id": "5f0c8a52-8f0e-4c58-9b8e-3f7d1f0e2a11"}

# -- one failing and one passing case per request code ---------------------------------------

REQUEST_CASES: list[tuple[str, HttpRequest, HttpRequest, str]] = [
    ("unknown_path", req("GET", "/v1/cats"), req("GET", "/v1/pets", headers=[KEY]), "path"),
    (
        "method_not_allowed",
        req("PATCH", "/v1/pets/3", headers=[KEY]),
        req("DELETE", "/v1/pets/3"),
        "method",
    ),
    (
        "unsupported_media_type",
        req("POST", "/v1/pets", headers=[BEARER, ("Content-Type", "text/xml")], body=b"<a/>"),
        req("POST", "/v1/pets", headers=[BEARER, JSON_CT], body=NEW_PET),
        "content-type",
    ),
    (
        "security_missing",
        req("GET", "/v1/pets"),
        req("GET", "/v1/pets", headers=[BEARER]),
        "header.X-API-Key",
    ),
    (
        "missing_parameter",
        req("GET", "/search", headers=[("X-Trace", "1")]),
        req("GET", "/search", "q=cat", headers=[("X-Trace", "1")]),
        "query.q",
    ),
    (
        "invalid_parameter",
        req("GET", "/v1/pets", "limit=abc", headers=[KEY]),
        req("GET", "/v1/pets", "limit=10", headers=[KEY]),
        "query.limit",
    ),
    (
        "missing_body",
        req("POST", "/v1/orders", headers=[KEY, JSON_CT]),
        req("POST", "/v1/orders", headers=[KEY, JSON_CT], body=ORDER),
        "body",
    ),
    (
        "invalid_body",
        req("POST", "/v1/orders", headers=[KEY, JSON_CT], body={**ORDER, "items": []}),
        req("POST", "/v1/orders", headers=[KEY, JSON_CT], body=ORDER),
        "body/items",
    ),
    (
        "body_too_large_to_check",
        replace(
            req("POST", "/v1/orders", headers=[KEY, JSON_CT], body=b'{"items": ['),
            body_complete=False,
        ),
        req("POST", "/v1/orders", headers=[KEY, JSON_CT], body=ORDER),
        "body",
    ),
]


@pytest.mark.parametrize(("code", "bad", "good", "where"), REQUEST_CASES, ids=lambda c: str(c))
def test_request_code_fails_and_its_twin_passes(
    validator: ContractValidator, code: str, bad: HttpRequest, good: HttpRequest, where: str
) -> None:
    check = validator.check_request(bad)
    assert (code, where) in found(check.violations)
    assert all(v.location == "request" for v in check.violations)
    assert validator.check_request(good).violations == []


def _show_pet(validator: ContractValidator) -> RequestCheck:
    check = validator.check_request(req("GET", "/v1/pets/7", headers=[KEY]))
    assert check.operation_id == "showPet"
    return check


RESPONSE_CASES: list[tuple[str, HttpResponse, HttpResponse, str]] = [
    ("undocumented_status", resp(500, {"code": 1, "message": "x"}), resp(200, PET), "status"),
    ("missing_response_body", resp(200, b""), resp(200, PET), "body"),
    ("invalid_response_body", resp(200, {**PET, "id": "seven"}), resp(200, PET), "body/id"),
    ("wrong_content_type", resp(200, PET, "text/html"), resp(200, PET), "content-type"),
    (
        "response_too_large",
        resp(200, {**PET, "name": "x" * 50, "tag": "y" * 100_001}),
        resp(200, {**PET, "tag": "y" * 99_000}),
        "body",
    ),
]


def test_a_body_too_large_to_check_is_not_checked(validator: ContractValidator) -> None:
    """Only the start of the body is known: no spurious invalid_body, one clear code."""
    start = b'{"items": [{"sku": '
    check = validator.check_request(
        replace(req("POST", "/v1/orders", headers=[KEY, JSON_CT], body=start), body_complete=False)
    )
    assert found(check.violations) == [("body_too_large_to_check", "body")]
    assert "proxy.max_inflated_bytes" in check.violations[0].message
    cut = replace(resp(200, b'{"id": 7, "na'), body_complete=False)
    assert found(validator.check_response(_show_pet(validator), cut, 1.0)) == [
        ("body_too_large_to_check", "body")
    ]
    assert validator.check_request(req("GET", "/v1/nowhere")).violations[0].code == "unknown_path"
    lost = validator.check_request(
        replace(req("GET", "/v1/nowhere", body=b"x"), body_complete=False)
    )
    assert [v.code for v in lost.violations] == ["body_too_large_to_check", "unknown_path"]


@pytest.mark.parametrize(("code", "bad", "good", "where"), RESPONSE_CASES, ids=lambda c: str(c))
def test_response_code_fails_and_its_twin_passes(
    validator: ContractValidator, code: str, bad: HttpResponse, good: HttpResponse, where: str
) -> None:
    check = _show_pet(validator)
    assert (code, where) in found(validator.check_response(check, bad, 5.0))
    assert validator.check_response(check, good, 5.0) == []


def test_slow_response(validator: ContractValidator) -> None:
    check = _show_pet(validator)
    slow = validator.check_response(check, resp(200, PET), 45_001.0)
    assert found(slow) == [("slow_response", "duration")]
    assert "45" in slow[0].message
    assert validator.check_response(check, resp(200, PET), 44_999.0) == []


def test_every_code_is_covered() -> None:
    covered = {c[0] for c in REQUEST_CASES} | {c[0] for c in RESPONSE_CASES} | {"slow_response"}
    assert set(CONTRACT_CODES) <= covered <= set(CODES)


# -- messages and locations a person reads -----------------------------------------------------


def test_messages_name_the_parameter_and_the_value(validator: ContractValidator) -> None:
    check = validator.check_request(req("GET", "/v1/pets", "limit=abc", headers=[KEY]))
    (v,) = check.violations
    assert v.message == "query parameter 'limit' must be an integer, got 'abc'"
    assert v.keyword == "type"
    assert v.schema_path == "#/paths/~1pets/get/parameters/0/schema/type"


def test_body_errors_point_into_the_body_and_the_schema(validator: ContractValidator) -> None:
    bad = {**ORDER, "items": [{**ORDER["items"][0], "product": {"sku": "ABC-1"}}]}
    check = validator.check_request(req("POST", "/v1/orders", headers=[KEY, JSON_CT], body=bad))
    (v,) = check.violations
    assert (v.code, v.where, v.keyword) == ("invalid_body", "body/items/0/product", "required")
    assert v.schema_path == "#/components/schemas/Product/required"
    assert "'price'" in v.message


def test_malformed_json_and_bad_utf8_are_violations(validator: ContractValidator) -> None:
    for raw, keyword in (
        (b'{"items": [', "json"),
        (b'{"a": "\xff"}', "encoding"),
        (b"NaN", "json"),
    ):
        check = validator.check_request(req("POST", "/v1/orders", headers=[KEY, JSON_CT], body=raw))
        assert [(v.code, v.where, v.keyword) for v in check.violations] == [
            ("invalid_body", "body", keyword)
        ]


def test_charset_from_content_type(validator: ContractValidator) -> None:
    body = json.dumps({"name": "Zoë"}, ensure_ascii=False).encode("latin-1")
    headers = [BEARER, ("Content-Type", "application/json; charset=ISO-8859-1")]
    assert (
        validator.check_request(req("POST", "/v1/pets", headers=headers, body=body)).violations
        == []
    )
    utf8 = [BEARER, JSON_CT]
    bad = validator.check_request(req("POST", "/v1/pets", headers=utf8, body=body)).violations
    assert [(v.code, v.keyword) for v in bad] == [("invalid_body", "encoding")]


def test_read_only_in_request_and_write_only_in_response(validator: ContractValidator) -> None:
    body = {**NEW_PET, "id": 3}
    check = validator.check_request(req("POST", "/v1/pets", headers=[BEARER, JSON_CT], body=body))
    assert [(v.where, v.keyword) for v in check.violations] == [("body/id", "readOnly")]
    out = validator.check_response(check, resp(201, {**PET, "secret": "s"}), 1.0)
    assert [(v.where, v.keyword) for v in out] == [("body/secret", "writeOnly")]
    # required `id` is readOnly: not required in the request; `secret` not required either way
    assert (
        validator.check_request(
            req("POST", "/v1/pets", headers=[BEARER, JSON_CT], body={"name": "a"})
        ).violations
        == []
    )


def test_parameters_deserialized_by_style(validator: ContractValidator) -> None:
    ok = [
        req("GET", "/v1/pets", "tags=a&tags=b&filter[kind]=cat&filter[max_price]=9.5", [KEY]),
        req("GET", "/compare/1,2,3"),
        req("GET", "/search", "q=x&flags=fast,exact&exact=true&min_score=0.5", [("x-trace", "7")]),
        req("GET", "/search", "q=x", [("X-Trace", "7"), ("Cookie", "a=1; session=deadbeef")]),
    ]
    for r in ok:
        assert validator.check_request(r).violations == [], r
    bad = [
        (req("GET", "/v1/pets", "filter[kind]=cow", [KEY]), "query.filter"),
        (req("GET", "/v1/pets", "filter[colour]=red", [KEY]), "query.filter"),
        (req("GET", "/v1/pets", "tags=1&tags=2&tags=3&tags=4&tags=5&tags=6", [KEY]), "query.tags"),
        (req("GET", "/compare/1"), "path.ids"),
        (req("GET", "/compare/1,two"), "path.ids"),
        (req("GET", "/search", "q=x&flags=fast,slow", [("X-Trace", "1")]), "query.flags"),
        (req("GET", "/search", "q=x&exact=yes", [("X-Trace", "1")]), "query.exact"),
        (req("GET", "/search", "q=x&min_score=0", [("X-Trace", "1")]), "query.min_score"),
        (req("GET", "/search", "q=x", [("X-Trace", "1.5")]), "header.X-Trace"),
        (
            req("GET", "/search", "q=x", [("X-Trace", "1"), ("Cookie", "session=zz")]),
            "cookie.session",
        ),
    ]
    for r, where in bad:
        assert [("invalid_parameter", where)] == found(validator.check_request(r).violations), r


def test_int32_and_formats(validator: ContractValidator) -> None:
    big = validator.check_request(req("GET", "/v1/pets", f"limit={2**31}", [KEY])).violations
    assert {(v.where, v.keyword) for v in big} == {("query.limit", "maximum")}
    uuid = validator.check_request(req("GET", "/v1/pets", "", [KEY, ("X-Request-Id", "nope")]))
    assert [(v.where, v.keyword) for v in uuid.violations] == [("header.X-Request-Id", "format")]
    check = _show_pet(validator)
    bad_date = validator.check_response(check, resp(200, {**PET, "born": "2021-02-29"}), 1.0)
    assert [(v.where, v.keyword) for v in bad_date] == [("body/born", "format")]


def test_router_literal_beats_template_and_base_paths(validator: ContractValidator) -> None:
    assert validator.check_request(req("GET", "/v1/pets/mine")).operation_id == "myPets"
    assert validator.check_request(req("GET", "/pets/mine")).operation_id == "myPets"
    assert (
        validator.check_request(req("GET", "/v1/pets/12", headers=[KEY])).operation_id == "showPet"
    )
    assert found(validator.check_request(req("GET", "/v1/pets/12/x")).violations) == [
        ("unknown_path", "path")
    ]
    assert validator.check_request(req("get", "/v1/pets", headers=[KEY])).violations == []


def test_security_alternatives(validator: ContractValidator) -> None:
    for headers in ([KEY], [("Cookie", "sid=abc")], [KEY, BEARER]):
        r = req("POST", "/v1/orders", headers=[*headers, JSON_CT], body=ORDER)
        assert validator.check_request(r).violations == [], headers
    basic = req("POST", "/v1/pets", headers=[("Authorization", "Basic abc"), JSON_CT], body=NEW_PET)
    assert found(validator.check_request(basic).violations) == [
        ("security_missing", "header.Authorization")
    ]


def test_discriminator_picks_the_schema(validator: ContractValidator) -> None:
    transfer = {**ORDER, "payment": {"method": "transfer", "iban": "DE89370400440532013000"}}
    ok = req("POST", "/v1/orders", headers=[KEY, JSON_CT], body=transfer)
    assert validator.check_request(ok).violations == []
    wrong = {**ORDER, "payment": {"method": "transfer", "number": "4111111111111111"}}
    bad = validator.check_request(req("POST", "/v1/orders", headers=[KEY, JSON_CT], body=wrong))
    assert ("invalid_body", "body/payment") in found(bad.violations)
    unknown = {**ORDER, "payment": {"method": "cash"}}
    bad = validator.check_request(req("POST", "/v1/orders", headers=[KEY, JSON_CT], body=unknown))
    assert ("invalid_body", "body/payment/method") in found(bad.violations)


def test_text_and_form_bodies(validator: ContractValidator) -> None:
    text = [("Content-Type", "text/plain; charset=utf-8")]
    assert (
        validator.check_request(req("POST", "/notes", headers=text, body=b"short")).violations == []
    )
    long = validator.check_request(req("POST", "/notes", headers=text, body=b"x" * 21)).violations
    assert [(v.code, v.keyword) for v in long] == [("invalid_body", "maxLength")]
    form = [BEARER, ("Content-Type", "application/x-www-form-urlencoded")]
    ok = req("POST", "/v1/pets", headers=form, body=b"name=Rex&age=3")
    assert validator.check_request(ok).violations == []
    bad = req("POST", "/v1/pets", headers=form, body=b"age=old")
    assert found(validator.check_request(bad).violations) == [
        ("invalid_body", "body"),
        ("invalid_body", "body/age"),
    ]


def test_status_ranges_and_default(validator: ContractValidator) -> None:
    check = validator.check_request(req("POST", "/v1/orders", headers=[KEY, JSON_CT], body=ORDER))
    assert validator.check_response(check, resp(202, ORDER_OUT), 1.0) == []
    listing = validator.check_request(req("GET", "/v1/pets", headers=[KEY]))
    assert validator.check_response(listing, resp(503, {"code": 1, "message": "busy"}), 1.0) == []
    assert sorted(found(validator.check_response(listing, resp(503, {"code": "x"}), 1.0))) == [
        ("invalid_response_body", "body"),
        ("invalid_response_body", "body/code"),
    ]


def test_unknown_operation_still_gets_size_and_time_checks(validator: ContractValidator) -> None:
    check = validator.check_request(req("GET", "/nowhere"))
    assert check.operation is None
    assert found(
        validator.check_response(check, resp(200, b"x" * 200_000, "text/plain"), 50_000)
    ) == [
        ("slow_response", "duration"),
        ("response_too_large", "body"),
    ]


def test_operation_ids(validator: ContractValidator) -> None:
    assert validator.operation_ids() == [
        "listPets",
        "createPet",
        "myPets",
        "showPet",
        "deletePet",
        "comparePets",
        "createOrder",
        "addNote",
        "search",
    ]


@pytest.mark.parametrize(
    "spec",
    [None, [], "openapi: 3.0.0", {"swagger": "2.0", "paths": {}}, {"openapi": "3.0.0"}],
    ids=["none", "list", "string", "swagger2", "no-paths"],
)
def test_uncompilable_spec_is_a_clear_value_error(spec: Any) -> None:
    with pytest.raises(ValueError, match="spec"):
        ContractValidator.from_spec(spec)


def test_garbage_spec_loads_with_fewer_checks() -> None:
    spec: dict[str, Any] = {
        "openapi": "3.0.0",
        "servers": {"url": "https://x.example/api"},
        "paths": {
            "get": {"operationId": "stray"},
            "/a/{id}": {
                "parameters": [{"$ref": "#/nowhere"}, "junk"],
                "get": {
                    "operationId": "a",
                    "parameters": [{"name": "q", "in": "query", "schema": {"$ref": "ext.yaml#/X"}}],
                    "requestBody": {"content": {"application/json": {"schema": {"pattern": "(["}}}},
                    "responses": {"200": {"content": {"application/json": {"schema": "junk"}}}},
                },
            },
            "/b": None,
        },
        "components": {
            "schemas": {"X": {"type": "object", "properties": {"p": {"$ref": "#/bad"}}}}
        },
    }
    validator = ContractValidator.from_spec(spec)
    assert validator.operation_ids() == ["a"]
    check = validator.check_request(req("GET", "/api/a/1", "q=1", [JSON_CT], b"{}"))
    assert check.violations == []
    assert validator.check_response(check, resp(200, {"x": 1}), 1.0) == []


# -- the differential test against openapi-core -------------------------------------------------

PETSHOP_EXCHANGES: list[tuple[HttpRequest, HttpResponse | None]] = [
    (req("GET", "/v1/pets", "limit=10&tags=a&tags=b", [KEY]), resp(200, [PET, {**PET, "id": 8}])),
    (req("GET", "/v1/pets", "limit=0", [KEY]), None),
    (req("GET", "/v1/pets", "limit=abc", [KEY]), None),
    (req("GET", "/v1/pets", f"limit={2**31}", [KEY]), None),
    (req("GET", "/v1/pets", "status=sold", [KEY]), resp(200, [])),
    (req("GET", "/v1/pets", "status=lost", [KEY]), None),
    (req("GET", "/v1/pets", "filter[kind]=dog&filter[max_price]=3", [KEY]), resp(200, [PET])),
    (req("GET", "/v1/pets", "filter[kind]=cow", [KEY]), None),
    (req("GET", "/v1/pets", "", [KEY, ("X-Request-Id", "nope")]), None),
    (req("GET", "/v1/pets", "", [KEY]), resp(200, [{**PET, "tag": 5}])),
    (req("GET", "/v1/pets", "", [KEY]), resp(200, [{**PET, "name": None}])),
    (req("GET", "/v1/pets", "", [KEY]), resp(200, [{"name": "no id"}])),
    (req("GET", "/v1/pets", "", [KEY]), resp(200, [{**PET, "owner_email": "not-an-email"}])),
    (req("GET", "/v1/pets", "", [KEY]), resp(404, {"code": 404, "message": "none"})),
    (req("GET", "/v1/pets", "", [KEY]), resp(500, {"code": "x", "message": "boom"})),
    (req("GET", "/v1/pets", "", [KEY]), resp(200, b"[1, 2", "application/json")),
    (req("GET", "/v1/pets", "", [KEY]), resp(200, b"<html/>", "text/html")),
    (req("GET", "/v1/pets", ""), None),
    (req("GET", "/v1/kittens", "", [KEY]), None),
    (req("PUT", "/v1/pets", "", [KEY]), None),
    (req("POST", "/v1/pets", "", [BEARER, JSON_CT], NEW_PET), resp(201, PET)),
    (req("POST", "/v1/pets", "", [BEARER, JSON_CT], {"name": ""}), None),
    (req("POST", "/v1/pets", "", [BEARER, JSON_CT], {"name": "a", "id": 3}), None),
    (req("POST", "/v1/pets", "", [BEARER, JSON_CT], {"name": "a", "born": "yesterday"}), None),
    (req("POST", "/v1/pets", "", [BEARER, JSON_CT], {"tag": "no name"}), None),
    (req("POST", "/v1/pets", "", [BEARER, JSON_CT], [NEW_PET]), None),
    (req("POST", "/v1/pets", "", [BEARER, JSON_CT], b"{oops"), None),
    (req("POST", "/v1/pets", "", [BEARER, JSON_CT], None), None),
    (req("POST", "/v1/pets", "", [BEARER, ("Content-Type", "text/csv")], b"a,b"), None),
    (req("POST", "/v1/pets", "", [JSON_CT], NEW_PET), None),
    (req("POST", "/v1/pets", "", [BEARER, JSON_CT], NEW_PET), resp(201, {**PET, "secret": "x"})),
    (
        req("POST", "/v1/pets", "", [BEARER, JSON_CT], NEW_PET),
        resp(409, {"code": 1, "message": "dup"}),
    ),
    (req("GET", "/v1/pets/mine"), resp(200, [PET])),
    # showPet's 200 documents `application/json; charset=utf-8`: see the disagreement test
    (req("GET", "/v1/pets/42", "", [KEY]), None),
    (req("GET", "/v1/pets/0", "", [KEY]), None),
    (req("GET", "/v1/pets/abc", "", [KEY]), None),
    (req("GET", "/v1/pets/42", "", [KEY]), resp(404, {"code": "404"})),
    (req("GET", "/v1/pets/42", "", [KEY]), resp(204, None, None)),
    (req("DELETE", "/v1/pets/42"), resp(204, None, None)),
    (req("GET", "/v1/compare/3,4"), resp(200, {"winner": 3, "margin": None})),
    (req("GET", "/v1/compare/3,4"), resp(200, {"winner": 3, "margin": "big"})),
    (req("GET", "/v1/compare/3"), None),
    (req("GET", "/v1/compare/3,x"), None),
    (req("POST", "/v1/orders", "", [KEY, JSON_CT], ORDER), resp(201, ORDER_OUT)),
    (req("POST", "/v1/orders", "", [KEY, JSON_CT], {**ORDER, "items": []}), None),
    (req("POST", "/v1/orders", "", [KEY, JSON_CT], {**ORDER, "coupon": 5}), None),
    (req("POST", "/v1/orders", "", [KEY, JSON_CT], {**ORDER, "gift": "yes"}), None),
    (req("POST", "/v1/orders", "", [KEY, JSON_CT], {**ORDER, "id": ORDER_OUT["id"]}), None),
    (
        req("POST", "/v1/orders", "", [KEY, JSON_CT], {**ORDER, "payment": {"method": "card"}}),
        None,
    ),
    (
        req(
            "POST",
            "/v1/orders",
            "",
            [KEY, JSON_CT],
            {
                **ORDER,
                "items": [{"product": {"sku": "ABC-1", "price": {"amount": 0}}, "quantity": 1}],
            },
        ),
        None,
    ),
    (req("POST", "/v1/orders", "", [("Cookie", "sid=1"), JSON_CT], ORDER), resp(200, {**ORDER})),
    (req("POST", "/v1/orders", "", [KEY, JSON_CT], ORDER), resp(201, {"items": "none"})),
    (
        req("POST", "/v1/notes", "", [("Content-Type", "text/plain")], b"hello"),
        resp(200, b"hi", "text/plain"),
    ),
    (req("GET", "/v1/search", "q=cat", [("X-Trace", "12")]), resp(200, {"hits": [PET]})),
    (
        req("GET", "/v1/search", "q=cat&flags=fast,fuzzy&exact=false", [("X-Trace", "1")]),
        resp(200, {"hits": []}),
    ),
    (req("GET", "/v1/search", "q=cat&min_score=0", [("X-Trace", "1")]), None),
    (
        req("GET", "/v1/search", "q=cat&min_score=0.1", [("X-Trace", "1")]),
        resp(200, {"hits": [{"sku": "bad"}]}),
    ),
    (req("GET", "/v1/search", "q=cat&flags=slow", [("X-Trace", "1")]), None),
    (req("GET", "/v1/search", "q=cat", [("X-Trace", "x")]), None),
    (req("GET", "/v1/search", "q=cat", []), None),
    (req("GET", "/v1/search", "", [("X-Trace", "1")]), None),
    (req("GET", "/v1/search", "q=cat", [("X-Trace", "1"), ("Cookie", "session=xyz")]), None),
]


def _differential(
    spec: dict[str, Any],
    exchanges: list[tuple[HttpRequest, HttpResponse | None]],
    host: str,
    lax: bool = False,
) -> None:
    validator = ContractValidator.from_spec(spec)
    oracle = Oracle(spec, host, lax=lax)
    problems = []
    for i, (request, response) in enumerate(exchanges):
        check = validator.check_request(request)
        why = agrees(found(check.violations), oracle.check_request(request))
        if why:
            problems.append(f"#{i} {request.method} {request.path}?{request.query}: {why}")
        if response is not None and check.operation is not None:
            ours = found(validator.check_response(check, response, 1.0))
            why = agrees(ours, oracle.check_response(request, response))
            if why:
                problems.append(f"#{i} response {response.status}: {why}")
    assert problems == [], "\n".join(problems)


def test_differential_petshop(petshop: dict[str, Any]) -> None:
    _differential(petshop, PETSHOP_EXCHANGES, "https://api.example.com")


def test_openapi_core_disagrees_media_type_parameters(petshop: dict[str, Any]) -> None:
    """showPet documents `application/json; charset=utf-8`. openapi-core 0.23 strips the
    parameters from the response's Content-Type but not from the documented key, so no
    response ever matches that key, not even one sending `application/json; charset=utf-8`.
    We match on the media type and decode by the charset the response declares."""
    validator = ContractValidator.from_spec(petshop)
    request = req("GET", "/v1/pets/42", "", [KEY])
    oracle = Oracle(petshop, "https://api.example.com")
    for ctype in ("application/json", UTF8_JSON):
        response = resp(200, PET, ctype)
        assert validator.check_response(validator.check_request(request), response, 1.0) == []
        assert oracle.check_response(request, response) == [("wrong_content_type", "content-type")]


# -- the differential test over specs of the shared corpus (read in place) ---------------------

API_VERSION = {
    "added": "2020-01-01T00:00:00Z",
    "updated": "2021-01-01T00:00:00Z",
    "swaggerUrl": "https://x/openapi.json",
    "swaggerYamlUrl": "https://x/openapi.yaml",
    "info": {"title": "X"},
    "openapiVer": "3.0.0",
}
API = {"added": "2020-01-01T00:00:00Z", "preferred": "1", "versions": {"1": API_VERSION}}
METRICS = {"numSpecs": 3, "numAPIs": 2, "numEndpoints": 9}
QUERY = {"queries": [{"query": "cats", "filter": {"source": "email"}, "top_k": 2}]}
RESULTS = {
    "results": [
        {
            "query": "cats",
            "results": [{"id": "1", "text": "t", "metadata": {"source": "file"}, "score": 0.5}],
        }
    ]
}
AUTH = ("Authorization", "Bearer sk-1")

CORPUS_CASES: dict[str, tuple[str, str, list[tuple[HttpRequest, HttpResponse | None]]]] = {
    "apis-guru": (
        "apis-guru/openapi.yaml",
        "https://api.apis.guru",
        [
            (req("GET", "/v2/list.json"), resp(200, {"google.com:drive": API})),
            (req("GET", "/v2/list.json"), resp(200, {})),
            (req("GET", "/v2/list.json"), resp(200, {"a": {**API, "extra": 1}})),
            (req("GET", "/v2/list.json"), resp(200, {"a": {**API, "versions": {"1": {}}}})),
            (req("GET", "/v2/list.json"), resp(200, {"a": {**API, "added": "yesterday"}})),
            (req("GET", "/v2/metrics.json"), resp(200, METRICS)),
            (req("GET", "/v2/metrics.json"), resp(200, {**METRICS, "numAPIs": 0})),
            (req("GET", "/v2/metrics.json"), resp(200, {**METRICS, "stars": "many"})),
            (req("GET", "/v2/metrics.json"), resp(500, b"", None)),
            (req("GET", "/v2/specs/google.com/drive.json"), resp(200, API)),
            (req("GET", "/v2/specs/google.com/" + "x" * 256 + ".json"), None),
            (req("GET", "/v2/specs/google.com/sheets/v4.json"), resp(200, API)),
            (req("GET", "/v2/google.com/services.json"), None),
            (req("POST", "/v2/list.json"), None),
            (req("GET", "/v3/list.json"), None),
        ],
    ),
    "store-klarna": (
        "store-klarna/openapi.json",
        "https://www.klarna.com",
        [
            (
                req("GET", "/us/shopping/public/openai/v0/products", "countryCode=US&q=tv&size=3"),
                resp(200, {"products": [{"name": "TV", "price": "$9", "attributes": ["x"]}]}),
            ),
            (req("GET", "/us/shopping/public/openai/v0/products", "countryCode=US"), None),
            (
                req("GET", "/us/shopping/public/openai/v0/products", "countryCode=US&q=tv&size=x"),
                None,
            ),
            (
                req("GET", "/us/shopping/public/openai/v0/products", "countryCode=US&q=tv"),
                resp(200, {"products": [{"name": 5}]}),
            ),
            (
                req("GET", "/us/shopping/public/openai/v0/products", "countryCode=US&q=tv"),
                resp(200, {"products": {"name": "x"}}),
            ),
            (
                req("GET", "/us/shopping/public/openai/v0/products", "countryCode=US&q=tv"),
                resp(404, {"error": "x"}),
            ),
            (
                req("GET", "/us/shopping/public/openai/v0/products", "countryCode=US&q=tv"),
                resp(503, b"down", "text/plain"),
            ),
        ],
    ),
    "store-wolfram (3.1)": (
        "store-wolfram/openapi.json",
        "https://www.wolframalpha.com",
        [
            (req("GET", "/api/v1/llm-api", "input=2%2B2"), resp(200, b"4", "text/plain")),
            (req("GET", "/api/v1/llm-api", "input=x&assumption=a&assumption=b"), None),
            (req("GET", "/api/v1/llm-api"), None),
            (req("GET", "/api/v1/cloud-plugin", "input=1"), resp(302, b"", None)),
            (req("GET", "/api/v1/cloud-plugin", "input=1"), resp(200, b"{}", "application/json")),
            (req("POST", "/api/v1/cloud-plugin", "input=1"), None),
        ],
    ),
    "openai-retrieval": (
        "openai-retrieval/openapi.yaml",
        "https://your-app-url.com",
        [
            (req("POST", "/query", "", [AUTH, JSON_CT], QUERY), resp(200, RESULTS)),
            (req("POST", "/query", "", [JSON_CT], QUERY), None),
            (req("POST", "/query", "", [("Authorization", "Basic x"), JSON_CT], QUERY), None),
            (req("POST", "/query", "", [AUTH, JSON_CT], {"queries": "cats"}), None),
            (req("POST", "/query", "", [AUTH, JSON_CT], {"queries": [{"top_k": 2}]}), None),
            (
                req(
                    "POST",
                    "/query",
                    "",
                    [AUTH, JSON_CT],
                    {"queries": [{"query": "a", "top_k": "2"}]},
                ),
                None,
            ),
            (
                req(
                    "POST",
                    "/query",
                    "",
                    [AUTH, JSON_CT],
                    {"queries": [{"query": "a", "filter": {"source": "fax"}}]},
                ),
                None,
            ),
            (req("POST", "/query", "", [AUTH, JSON_CT], b""), None),
            (req("POST", "/query", "", [AUTH, ("Content-Type", "text/plain")], b"cats"), None),
            (req("GET", "/query", "", [AUTH]), None),
            (req("POST", "/query", "", [AUTH, JSON_CT], QUERY), resp(200, {"results": [{}]})),
            (
                req("POST", "/query", "", [AUTH, JSON_CT], QUERY),
                resp(200, {"results": [{"query": "q", "results": [{"text": "t"}]}]}),
            ),
            (req("POST", "/query", "", [AUTH, JSON_CT], QUERY), resp(422, {"detail": []})),
            (req("POST", "/query", "", [AUTH, JSON_CT], QUERY), resp(401, {"detail": "no"})),
        ],
    ),
}


@pytest.mark.corpus
@pytest.mark.parametrize("name", list(CORPUS_CASES))
def test_differential_corpus(corpus_dir: Path, name: str) -> None:
    path, host, exchanges = CORPUS_CASES[name]
    _differential(load(corpus_dir / path), exchanges, host, lax=name.startswith("store-"))


@pytest.mark.corpus
def test_broken_31_spec_loads_with_fewer_checks(corpus_dir: Path) -> None:
    """odds-api (OAS 3.1) has `servers` as a mapping and its second path's `get` one level too
    high. openapi-core refuses the whole document; we check what can be checked."""
    spec = load(corpus_dir / "odds-api/openapi.yaml")
    with pytest.raises(Exception):  # noqa: B017 - openapi-spec-validator's error type varies
        Oracle(spec, "https://odds-api-gpt-plugin.onrender.com")
    validator = ContractValidator.from_spec(spec)
    assert validator.operation_ids() == ["getSports"]
    assert validator.check_request(req("GET", "/sports", "apiKey=k")).violations == []
    assert found(validator.check_request(req("GET", "/sports")).violations) == [
        ("missing_parameter", "query.apiKey")
    ]
    assert found(validator.check_request(req("GET", "/sports/nba/odds")).violations) == [
        ("unknown_path", "path")
    ]


@pytest.mark.corpus
def test_every_corpus_spec_compiles_or_says_why(corpus_dir: Path) -> None:
    """No spec of the corpus makes the validator raise anything but a clear ValueError, and
    each compiled one answers a request for every operation without raising."""
    specs = sorted(
        p for p in corpus_dir.glob("*/openapi.*") if p.suffix in (".json", ".yaml", ".yml")
    )
    assert len(specs) > 50
    compiled = 0
    for path in specs:
        try:
            spec = load(path)
        except Exception:
            continue  # does not even parse: the plugin loader's job to report
        try:
            validator = ContractValidator.from_spec(spec)
        except ValueError as exc:
            assert "spec" in str(exc)
            continue
        compiled += 1
        for template in spec.get("paths") or {}:
            if isinstance(template, str):
                check = validator.check_request(req("GET", template, "a=1", [], b"x"))
                validator.check_response(check, resp(200, b"{", "application/json"), 1.0)
    assert compiled > 50
