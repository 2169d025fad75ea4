"""Contract validation per exchange: our compiled validator against openapi-core.

    .venv/bin/python benchmarks/validation.py            # default rounds
    .venv/bin/python benchmarks/validation.py --rounds 5000

The same exchanges go to both: our `check_request` + `check_response`, and openapi-core's
`validate_request` + `validate_response` (its werkzeug adapters built once, outside the timed
part). Spec: tests/validation/specs/petshop.yaml (9 operations, $ref chains, allOf, oneOf with
discriminator). Exchanges: a GET with query, deepObject and header parameters answered by a
~1.5 KB JSON list, a POST with a ~1 KB JSON body answered by ~1.5 KB, and an invalid twin of
each. Prints median and p99 per exchange, the ratio (target: 50x or better), and whether the
verdicts (valid or not, and openapi-core's failing place among ours) agree.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from openapi_core.contrib.werkzeug import (  # noqa: E402
    WerkzeugOpenAPIRequest,
    WerkzeugOpenAPIResponse,
)
from werkzeug.wrappers import Response  # noqa: E402

from pluginlab_tui.validation.validator import (  # noqa: E402
    ContractValidator,
    HttpRequest,
    HttpResponse,
)
from tests.validation.oracle import Oracle, agrees  # noqa: E402

SPEC = ROOT / "tests/validation/specs/petshop.yaml"
HOST = "https://api.example.com"


def _pet(i: int) -> dict[str, Any]:
    return {
        "id": i,
        "name": f"Pet number {i}",
        "tag": None if i % 2 else "friendly",
        "status": "available",
        "born": "2020-02-29",
        "owner_email": f"owner{i}@example.com",
        "updated_at": "2024-05-01T12:00:00Z",
    }


def _item(i: int) -> dict[str, Any]:
    return {
        "product": {"sku": f"SKU-{1000 + i}", "price": {"amount": 9.5 + i, "currency": "EUR"}},
        "quantity": 1 + i % 3,
        "note": None if i % 2 else "gift wrap please",
    }


def exchanges() -> list[tuple[str, HttpRequest, HttpResponse]]:
    pets = [_pet(i) for i in range(1, 9)]
    order = {
        "items": [_item(i) for i in range(9)],
        "payment": {"method": "card", "number": "4111111111111111"},
        "coupon": None,
        "gift": {"to": "Ann"},
    }
    order_out = {**order, "id": "5f0c8a52-8f0e-4c58-9b8e-3f7d1f0e2a11"}
    order_out["items"] = [*order["items"], _item(9), _item(10), _item(11)]
    json_ct = ("Content-Type", "application/json")
    get_q = "limit=20&tags=a&tags=b&status=available&filter[kind]=cat&filter[max_price]=50"
    get_h = [("X-API-Key", "k1"), ("X-Request-Id", "5f0c8a52-8f0e-4c58-9b8e-3f7d1f0e2a11")]
    post_h = [("X-API-Key", "k1"), json_ct]
    bad_pets = [*pets[:7], {**pets[7], "status": "lost"}]
    bad_order = {**order, "items": [*order["items"][:8], {**_item(8), "quantity": 0}]}

    def response(status: int, body: Any) -> HttpResponse:
        return HttpResponse(status, [json_ct], json.dumps(body).encode())

    def request(method: str, path: str, query: str, headers: Any, body: Any) -> HttpRequest:
        raw = json.dumps(body).encode() if body is not None else None
        return HttpRequest(method, path, query, headers, raw)

    return [
        (
            "GET params, 1.5 KB answer",
            request("GET", "/v1/pets", get_q, get_h, None),
            response(200, pets),
        ),
        (
            "GET, invalid param + answer",
            request("GET", "/v1/pets", get_q.replace("limit=20", "limit=0"), get_h, None),
            response(200, bad_pets),
        ),
        (
            "POST 1 KB body, 1.5 KB answer",
            request("POST", "/v1/orders", "", post_h, order),
            response(201, order_out),
        ),
        (
            "POST, invalid body + answer",
            request("POST", "/v1/orders", "", post_h, bad_order),
            response(201, {**order_out, "items": []}),
        ),
    ]


def timed(fn: Callable[[], Any], rounds: int) -> list[float]:
    for _ in range(min(50, rounds)):
        fn()
    out = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


def p99(samples: list[float]) -> float:
    return sorted(samples)[max(0, int(len(samples) * 0.99) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3000, help="timed calls of our validator")
    parser.add_argument("--ref-rounds", type=int, default=300, help="timed calls of openapi-core")
    args = parser.parse_args()

    spec = yaml.safe_load(SPEC.read_text(encoding="utf-8"))
    start = time.perf_counter()
    ours = ContractValidator.from_spec(spec)
    build_ours = (time.perf_counter() - start) * 1000
    start = time.perf_counter()
    oracle = Oracle(spec, HOST)
    build_ref = (time.perf_counter() - start) * 1000
    api = oracle.api

    rows = []
    all_agree = True
    for name, request, response in exchanges():
        size_in = len(request.body or b"")
        size_out = len(response.body or b"")

        def run_ours(request: HttpRequest = request, response: HttpResponse = response) -> Any:
            check = ours.check_request(request)
            return check.violations + ours.check_response(check, response, 10.0)

        wz_request = oracle._request(request)
        wz_response = WerkzeugOpenAPIResponse(
            Response(response.body or b"", status=response.status, headers=list(response.headers))
        )
        assert isinstance(wz_request, WerkzeugOpenAPIRequest)

        def run_ref(rq: Any = wz_request, rs: Any = wz_response) -> None:
            for call in (lambda: api.validate_request(rq), lambda: api.validate_response(rq, rs)):
                try:
                    call()
                except Exception:
                    pass

        t_ours = timed(run_ours, args.rounds)
        t_ref = timed(run_ref, args.ref_rounds)

        check = ours.check_request(request)
        req_ours = [(v.code, v.where) for v in check.violations]
        resp_ours = [(v.code, v.where) for v in ours.check_response(check, response, 10.0)]
        why = agrees(req_ours, oracle.check_request(request)) or agrees(
            resp_ours, oracle.check_response(request, response)
        )
        all_agree = all_agree and why is None
        verdict = (
            "valid"
            if not (req_ours or resp_ours)
            else f"{len(req_ours) + len(resp_ours)} violations"
        )
        rows.append(
            (
                name,
                f"{size_in} B / {size_out} B",
                statistics.median(t_ours),
                p99(t_ours),
                statistics.median(t_ref),
                p99(t_ref),
                verdict,
                "yes" if why is None else f"NO: {why}",
            )
        )

    print(
        f"spec: {SPEC.relative_to(ROOT)}; build: ours {build_ours:.1f} ms, "
        f"openapi-core {build_ref:.1f} ms"
    )
    print(
        f"rounds: ours {args.rounds}, openapi-core {args.ref_rounds}; "
        "times per exchange (request + response)\n"
    )
    header = (
        f"{'exchange':<32} {'req/resp body':>16} {'ours med':>9} {'ours p99':>9} "
        f"{'core med':>9} {'core p99':>9} {'ratio':>7}  {'verdict':<14} agree"
    )
    print(header)
    print("-" * len(header))
    ratios = []
    for name, sizes, om, op, rm, rp, verdict, agree in rows:
        ratio = rm / om
        ratios.append(ratio)
        print(
            f"{name:<32} {sizes:>16} {om:>7.3f}ms {op:>7.3f}ms {rm:>7.3f}ms {rp:>7.3f}ms "
            f"{ratio:>6.0f}x  {verdict:<14} {agree}"
        )
    print()
    worst = min(ratios)
    overall = sum(r[4] for r in rows) / sum(r[2] for r in rows)
    print(
        f"overall ratio (sum of medians) {overall:.0f}x (target 50x): "
        f"{'met' if overall >= 50 else 'NOT met'}"
    )
    print(f"slowest exchange ratio {worst:.0f}x (openapi-core stops at the first failing part)")
    print(f"verdicts agree with openapi-core: {'all' if all_agree else 'NOT all'}")


if __name__ == "__main__":
    main()
