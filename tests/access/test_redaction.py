from __future__ import annotations

import base64
import copy
import json
import logging
import threading
from urllib.parse import quote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pluginlab_tui.access.redaction import OAUTH_SECRETS, Redactor
from pluginlab_tui.config import load_config
from pluginlab_tui.store.event import Event
from pluginlab_tui.validation.violations import Violation
from pluginlab_tui.wire import REDACTED

CODE = "plc_" + "A" * 43
KEY = "plk_" + "b" * 43
SERVICE = "s3rvice/Tok+en=="
API_KEY = "api-key-0123456789"
CLIENT = "client-secret-9876543210"


def redactor() -> Redactor:
    return Redactor([SERVICE, API_KEY, CLIENT, None, ""], ["Authorization", "X-Api-Key"])


def event(**fields: object) -> Event:
    base: dict[str, object] = {"event_id": "e", "ts": "t", "method": "GET", "url": "http://p/"}
    base["path"] = "/"
    base.update(fields)
    return Event(**base)  # type: ignore[arg-type]


def test_query_keeps_other_parameters_byte_for_byte() -> None:
    r = Redactor()
    query = "code=abc&state=x%20y&Code=z&scope"
    assert r.query(query, OAUTH_SECRETS) == "code=[redacted]&state=x%20y&Code=[redacted]&scope"
    assert r.url("https://h/cb?code=abc&state=s#frag", OAUTH_SECRETS) == (
        "https://h/cb?code=[redacted]&state=s#frag"
    )
    assert r.url("https://h/cb") == "https://h/cb"


def test_bodies_json_form_and_text_keep_their_bytes() -> None:
    r = Redactor()
    body = '{"grant_type": "authorization_code",  "code": "abc", "client_secret": "s\\"x"}'
    assert r.body(body, oauth=True) == (
        '{"grant_type": "authorization_code",  "code": "[redacted]", "client_secret": "[redacted]"}'
    )
    assert r.body("grant_type=refresh_token&refresh_token=r1", oauth=True) == (
        "grant_type=refresh_token&refresh_token=[redacted]"
    )
    assert r.body(f"<p>{CODE}</p>") == "<p>[redacted]</p>"
    assert r.body(None) is None and r.body("") == ""
    assert r.body('{"code": "42", "access_token": "t0k"}') == (
        '{"code": "42", "access_token": "[redacted]"}'
    )


def test_minted_tokens_preceded_by_a_word_character_are_cut() -> None:
    r = Redactor()
    for text in (f"x{KEY}", f"token=abc{CODE}", f"_{KEY}_", f"9{KEY}"):
        out = r.text(text)
        assert KEY not in out and CODE not in out and REDACTED in out, out


def test_configured_secrets_are_cut_anywhere_in_every_form() -> None:
    r = redactor()
    for form in (
        SERVICE,
        quote(SERVICE, safe=""),
        quote(SERVICE, safe="").replace("%2F", "%2f"),
        json.dumps(SERVICE)[1:-1],
        base64.b64encode(SERVICE.encode()).decode(),
    ):
        assert r.text(f"before{form}after") == f"before{REDACTED}after", form
    basic = base64.b64encode(f"user:{API_KEY}".encode()).decode()
    headers = [("X-Other", f"Basic {basic}"), ("X-Api-Key", "anything"), ("Ok", "fine")]
    assert r.headers(headers) == [
        ("X-Other", "Basic [redacted]"),
        ("X-Api-Key", REDACTED),
        ("Ok", "fine"),
    ]


def test_the_replay_grant_is_never_stored_whatever_the_config() -> None:
    assert Redactor(headers=[]).headers([("X-PluginLab-Replay", "a.b")]) == [
        ("X-PluginLab-Replay", REDACTED)
    ]


def test_an_error_message_loses_the_url_parameters_and_the_secrets() -> None:
    r = redactor()
    message = (
        "backend failed: ClientConnectorError: Cannot connect to host 127.0.0.1:9 "
        f"url='http://127.0.0.1:9/todos/a?access_token=abc&x=1&code=c0de' {CLIENT}"
    )
    out = r.message(message)
    assert "abc" not in out and "c0de" not in out and CLIENT not in out
    assert "access_token=[redacted]&x=1" in out


def test_oauth_events_lose_codes_everywhere() -> None:
    e = event(
        method="POST",
        url=f"http://p/_pluginlab/oauth/token?code={CODE}",
        path="/_pluginlab/oauth/token",
        query=f"code={CODE}",
        request_body=f"code={CODE}&grant_type=authorization_code",
        response_body=json.dumps({"access_token": "pla_x", "refresh_token": "plr_y"}),
        response_headers=[("Location", f"https://cb?code={CODE}&state=s")],
    )
    Redactor().event(e)
    text = json.dumps(e.to_json())
    assert CODE not in text and "pla_x" not in text and "plr_y" not in text
    assert e.response_headers == [("Location", "https://cb?code=[redacted]&state=s")]


def test_other_events_keep_their_code_parameters_but_lose_tokens() -> None:
    e = event(
        url="http://p/todos/a?code=42&access_token=t0k",
        path="/todos/a",
        query="code=42&access_token=t0k",
        request_body='{"code": "42"}',
    )
    Redactor().event(e)
    assert e.query == "code=42&access_token=[redacted]"
    assert e.url.endswith("?code=42&access_token=[redacted]")
    assert e.request_body == '{"code": "42"}'


def test_every_text_field_of_an_event_is_scrubbed() -> None:
    r = redactor()
    e = event(
        url=f"http://p/todos/{SERVICE}?q={quote(API_KEY)}",
        path=f"/todos/{SERVICE}",
        query=f"q={quote(API_KEY)}",
        request_headers=[("Authorization", f"Bearer {SERVICE}"), ("X-Note", f"k={CLIENT}")],
        response_headers=[("X-Echo", KEY)],
        request_body=json.dumps({"note": CLIENT}),
        response_body=base64.b64encode(b"\x00\xff" + API_KEY.encode() + b"\x01").decode(),
        response_binary=True,
        error=f"backend failed: {KEY}",
        violations=[Violation("invalid_parameter", "request", "query.q", f"'{API_KEY}' is bad")],
        skipped=[f"mcp_unknown_tool: the server answered 'no key {KEY}'"],
        comment=f"saw {SERVICE}",
    )
    r.event(e)
    text = json.dumps(e.to_json())
    for secret in (SERVICE, API_KEY, CLIENT, KEY, quote(API_KEY), quote(SERVICE, safe="")):
        assert secret not in text, secret
    assert base64.b64decode(e.response_body or "") == b"\x00\xff[redacted]\x01"
    assert e.query == "q=[redacted]"


def test_from_config_takes_every_configured_secret(tmp_path: object) -> None:
    config = load_config(
        None,
        {
            "auth.mode": "api_key",
            "auth.service_token": SERVICE,
            "auth.api_key": API_KEY,
            "auth.api_key_header": "X-Key",
            "auth.oauth.client_secret": CLIENT,
        },
    )
    r = Redactor.from_config(config)
    assert r.text(f"{SERVICE} {API_KEY} {CLIENT}") == " ".join([REDACTED] * 3)
    assert r.headers([("x-key", "v")]) == [("x-key", REDACTED)]


def test_a_deep_body_is_scrubbed_without_recursion() -> None:
    body = "[" * 100_000 + json.dumps({"access_token": "t"}) + "]" * 100_000
    out = Redactor().body(body, oauth=True) or ""
    assert '"access_token": "[redacted]"' in out and len(out) > 200_000


def test_log_records_and_thread_tracebacks_are_redacted(
    caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    redactor().install_in_logging()
    with caplog.at_level(logging.WARNING):
        logging.getLogger("pluginlab.test").warning("router failed on %r", f"/x?api_key={KEY}")
        try:
            raise ValueError(f"bad {SERVICE}")
        except ValueError:
            logging.getLogger("pluginlab.test").exception("failed")
    assert KEY not in caplog.text and SERVICE not in caplog.text and "[redacted]" in caplog.text

    def boom() -> None:
        raise RuntimeError(f"thread saw {CLIENT}")

    thread = threading.Thread(target=boom)
    thread.start()
    thread.join()
    err = capsys.readouterr().err
    assert "RuntimeError" in err and CLIENT not in err


VERIFIER = "Vq3~" + "x-._~" * 24 + "Zz9"  # what an SDK client makes: 128 unreserved characters


def test_mcp_oauth_secrets_are_cut_from_every_exchange_they_travel_in() -> None:
    """Registration secrets, PKCE verifiers, codes, access and refresh tokens of the MCP flow,
    even with Authorization left out of store.redact_headers."""
    r = Redactor([], ["Cookie"])
    secret = "pls_" + "S" * 43
    registration = event(
        method="POST",
        url="http://p/_pluginlab/oauth/register",
        path="/_pluginlab/oauth/register",
        request_body=json.dumps({"redirect_uris": ["http://127.0.0.1:9/cb"]}),
        response_body=json.dumps({"client_id": "plid_1", "client_secret": secret}),
    )
    token = event(
        method="POST",
        url="http://p/_pluginlab/oauth/token",
        path="/_pluginlab/oauth/token",
        request_headers=[
            ("Authorization", "Basic " + base64.b64encode(b"plid_1:" + secret.encode()).decode())
        ],
        request_body=f"grant_type=authorization_code&code={CODE}&code_verifier={VERIFIER}"
        "&resource=http%3A%2F%2Fp%2Fmcp",
        response_body=json.dumps(
            {"access_token": "pla_" + "a" * 43, "refresh_token": "plr_" + "r" * 43}
        ),
    )
    authorize = event(
        path="/_pluginlab/oauth/authorize",
        url="http://p/_pluginlab/oauth/authorize?client_id=plid_1",
        response_headers=[
            ("Location", "http://127.0.0.1:9/cb?code=notminted&state=s&iss=http%3A%2F%2Fp")
        ],
    )
    call = event(
        method="POST",
        url="http://p/mcp",
        path="/mcp",
        request_headers=[("Authorization", "Bearer pla_" + "a" * 43)],
        request_body=json.dumps({"note": f"code_verifier={VERIFIER}", "code_verifier": VERIFIER}),
    )
    for e in (registration, token, authorize, call):
        r.event(e)
    text = json.dumps([e.to_json() for e in (registration, token, authorize, call)])
    for leaked in (secret, VERIFIER, CODE, "pla_" + "a" * 43, "plr_" + "r" * 43, "notminted"):
        assert leaked not in text, leaked
    assert "plid_1" in text and "resource=http%3A%2F%2Fp%2Fmcp" in text
    assert authorize.response_headers == [
        ("Location", "http://127.0.0.1:9/cb?code=[redacted]&state=s&iss=http%3A%2F%2Fp")
    ]


# -- the short way: an event with nothing to cut is left as it is, in a few searches ----------

JWT_TEXT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1In0.c2lnbmF0dXJlLWJ5dGVz"
PHRASE = "pass phrase/x"
#: What the secrets of an event's texts are made of: secrets in every form, credential
#: parameters, minted tokens, JWTs, base64, what unquoting turns into a secret...
DANGEROUS = [
    SERVICE,
    quote(SERVICE, safe=""),
    quote(SERVICE, safe="").lower(),
    json.dumps(SERVICE)[1:-1],
    base64.b64encode(SERVICE.encode()).decode(),
    base64.b64encode(f"user:{API_KEY}".encode()).decode(),
    API_KEY,
    API_KEY.replace("-", "%2D"),
    "k=" + API_KEY.replace("-", "%2D"),
    PHRASE.replace(" ", "+"),
    "k=" + PHRASE.replace(" ", "+"),
    CLIENT.upper(),
    CODE,
    KEY,
    "x" + KEY[:-20],
    JWT_TEXT,
    "access_token=",
    "Access_Token%3D",
    '"client_secret": "',
    "code=",
    '"password":"',
    "token",
]
#: ... and the rest: harmless text, and the separators the cuts read.
HARMLESS = ["?", "&", "=", "#", "{", '"', " ", "todos", "milk", "json", "Σ", "/oauth/"]


def texts(max_pieces: int = 5) -> st.SearchStrategy[str]:
    piece = st.sampled_from(HARMLESS) | st.text(st.characters(exclude_characters="%+"), max_size=4)
    return st.lists(piece, max_size=max_pieces).map("".join)


#: Where the one dangerous piece of an event goes (its hard case: all else is harmless).
FIELDS = ["url", "query", "path", "request_body", "response_body", "error", "user_id", "comment"]
FIELDS += ["header name", "header value", "violation", "skipped"]


@st.composite
def events(draw: st.DrawFn) -> Event:
    """An event of harmless texts, but for one dangerous piece somewhere in one of them."""
    binary = draw(st.booleans())
    where = draw(st.sampled_from(FIELDS))
    piece = draw(st.sampled_from(DANGEROUS))

    def text(field: str, max_pieces: int = 5) -> str:
        plain = draw(texts(max_pieces))
        if field != where:
            return plain
        at = draw(st.integers(0, len(plain)))
        apart = draw(st.sampled_from(["", " ", "&"]))
        return plain[:at] + apart + piece + apart + plain[at:]

    path = draw(st.sampled_from(["/", "/todos", "/oauth/token", "/mcp"])) + text("path", 2)
    headers = [
        (draw(st.sampled_from(["Authorization", "X-Api-Key", "Location", "Ok"])), text("x")),
        (text("header name", 2), text("header value")),
    ]
    return event(
        url="http://p" + path + text("url"),
        path=path,
        query=text("query"),
        request_headers=headers,
        response_headers=headers[::-1],
        request_body=text("request_body"),
        response_body=(
            base64.b64encode(text("x").encode("utf-8", "surrogatepass")).decode()
            if binary
            else text("response_body")
        ),
        response_binary=binary,
        error=text("error") or None,
        violations=[Violation("c", "response", text("violation", 3), text("violation"))],
        skipped=[text("skipped", 3)],
        user_id=text("user_id", 2) or None,
        comment=text("comment", 2) or None,
    )


@settings(max_examples=1000, deadline=None)
@given(events(), st.booleans())
def test_the_short_way_cuts_what_the_long_way_cuts(ev: Event, jwt: bool) -> None:
    r = Redactor([SERVICE, API_KEY, CLIENT, PHRASE], ["Authorization", "X-Api-Key"], jwt=jwt)
    assert r.event(copy.deepcopy(ev)) == r._cut(copy.deepcopy(ev))


def test_an_ordinary_exchange_takes_the_short_way() -> None:
    r = redactor()
    ev = event(
        url="http://127.0.0.1:8080/todos/bench?limit=10",
        path="/todos/bench",
        query="limit=10",
        request_headers=[("Host", "127.0.0.1:8080"), ("Authorization", f"Bearer {SERVICE}")],
        response_headers=[("content-type", "application/json"), ("content-length", "61")],
        response_body='{"todos": [{"id": 1, "title": "milk"}]}',
    )
    assert r._nothing_to_cut(ev)
    assert r.event(ev).request_headers[1] == ("Authorization", REDACTED)
    assert not r._nothing_to_cut(event(url="http://p/?x", path="/", query=f"k={API_KEY}"))
