"""The canonical request path: one spelling for every way of writing the same path."""

from __future__ import annotations

from urllib.parse import unquote

import pytest
import yarl
from hypothesis import given
from hypothesis import strategies as st

from pluginlab_tui.urlpath import AmbiguousPath, normalise_path, normalise_target, sendable

SAME = [
    # dot segments, raw and encoded, any case
    ("/todos/./alice", "/todos/alice"),
    ("/todos/%2e/alice", "/todos/alice"),
    ("/todos/%2E/alice", "/todos/alice"),
    ("/todos/x/../alice", "/todos/alice"),
    ("/todos/x/%2e%2e/alice", "/todos/alice"),
    ("/todos/x/.%2E/alice", "/todos/alice"),
    ("/todos/x/%2E./alice", "/todos/alice"),
    ("/a/b/c/./../../g", "/a/g"),  # RFC 3986 section 5.2.4's example
    ("/todos/alice/1/..", "/todos/alice/"),
    ("/todos/alice/%2e", "/todos/alice/"),
    ("/todos/alice/.", "/todos/alice/"),
    # above the root: clamped
    ("/..", "/"),
    ("/../../etc/passwd", "/etc/passwd"),
    ("/%2e%2e/todos/alice", "/todos/alice"),
    # doubled slashes
    ("/todos//alice", "/todos/alice"),
    ("//todos/alice", "/todos/alice"),
    ("/todos/alice//", "/todos/alice/"),
    ("/a//../b", "/b"),  # empty segments go first, so `..` takes the segment a caller sees
    # percent-encoded unreserved characters are decoded, other triplets upper-cased
    ("/%74odos/%61lice", "/todos/alice"),
    ("/todos/al%69ce/%31", "/todos/alice/1"),
    ("/todos/a%7E%2D%5F", "/todos/a~-_"),
    ("/todos/a%3ab%20c", "/todos/a%3Ab%20c"),
    ("/todos/%252F", "/todos/%252F"),  # an encoded percent is data: decoded once, by the backend
    # what may not stand raw is encoded, so every decoder reads the same bytes
    ("/todos/a b", "/todos/a%20b"),
    ("/todos/caf\u00e9", "/todos/caf%C3%A9"),
    ("/todos/\udcff\udcfe", "/todos/%FF%FE"),  # undecodable bytes: routed as their bytes say
    ("/todos/%ff", "/todos/%FF"),
    ("/todos/100%", "/todos/100%25"),
    ("/todos/%zz", "/todos/%25zz"),
    ("/todos/a#b", "/todos/a%23b"),
    ("/todos/{x}|^`", "/todos/%7Bx%7D%7C%5E%60"),
    # already canonical: unchanged
    ("/", "/"),
    ("/todos/alice", "/todos/alice"),
    ("/todos/alice/", "/todos/alice/"),
    ("/todos/a!$&'()*+,;=:@b", "/todos/a!$&'()*+,;=:@b"),
    ("/todos/...", "/todos/..."),
    ("/todos/.hidden", "/todos/.hidden"),
    ("*", "*"),  # OPTIONS *: nothing to route
]

AMBIGUOUS = [
    ("/todos/alice%2F1", "an encoded slash (%2F) inside a segment"),
    ("/todos/alice%2f1", "an encoded slash (%2f) inside a segment"),
    ("/todos/alice%5C1", "an encoded backslash (%5C) inside a segment"),
    ("/todos/alice%5c1", "an encoded backslash (%5c) inside a segment"),
    ("/todos/alice\\1", "a backslash inside a segment"),
    ("/..%2f..%2fpluginlab.toml", "an encoded slash (%2f) inside a segment"),
]


@pytest.mark.parametrize(("path", "canonical"), SAME)
def test_one_spelling(path: str, canonical: str) -> None:
    assert normalise_path(path) == canonical


@pytest.mark.parametrize(("path", "reason"), AMBIGUOUS)
def test_an_encoded_separator_is_refused(path: str, reason: str) -> None:
    with pytest.raises(AmbiguousPath) as refused:
        normalise_path(path)
    assert str(refused.value) == reason


def test_the_query_is_kept_byte_for_byte() -> None:
    assert normalise_target("/todos/./alice?status=%2e&x=a+b&y=../..&z=%2F") == (
        "/todos/alice?status=%2e&x=a+b&y=../..&z=%2F"
    )
    assert normalise_target("/todos/alice?") == "/todos/alice?"
    assert normalise_target("/todos/alice?a?b\\c") == "/todos/alice?a?b\\c"


def test_sendable_encodes_only_what_cannot_stand_on_a_request_line() -> None:
    assert sendable("/todos/alice?x=%2e&q=caf\u00e9") == "/todos/alice?x=%2e&q=caf\u00e9"
    assert sendable("/t?q=\udcff a#b\x00\x7f") == "/t?q=%FF%20a%23b%00%7F"


PIECES = st.sampled_from(
    ["/", "//", ".", "..", "%2e", "%2E", "%2e%2E", "a", "%61", "B", "%", "%4", "%3a", "%25", "~"]
    + ["é", "\udcff", " ", "#", ";", "@", "%2F", "%5c", "\\", "%00"]
)


@given(st.lists(PIECES, max_size=12).map(lambda p: "/" + "".join(p)))
def test_the_canonical_path_is_a_fixed_point_for_every_party(path: str) -> None:
    try:
        canonical = normalise_path(path)
    except AmbiguousPath:
        return
    assert normalise_path(canonical) == canonical
    assert canonical.isascii() and canonical.startswith("/")
    segments = canonical.split("/")[1:]
    assert "." not in segments and ".." not in segments and "" not in segments[:-1]
    # yarl, left to normalise as aiohttp would, finds no segment to change (it only writes
    # `%3A` as `:`, which the proxy leaves encoded: RFC 3986 decodes only the unreserved)
    requoted = yarl.URL("http://backend" + canonical).raw_path
    assert requoted.count("/") == canonical.count("/")
    assert _decoded(requoted) == _decoded(canonical)
    # and a backend decoding it (uvicorn, Starlette) reads the segments the caller wrote
    assert _decoded(canonical) == _decoded(path)


def _decoded(path: str) -> list[str]:
    """The segments a decoding server sees, dot segments applied (an oracle for the above)."""
    kept: list[str] = []
    for part in unquote(path, errors="surrogateescape").split("/")[1:]:
        if part == "..":
            kept = kept[:-1]
        elif part not in ("", "."):
            kept.append(part)
    return kept
