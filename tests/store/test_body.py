"""Bodies as stored: text in its charset, base64 for binary, cut at the cap."""

from __future__ import annotations

import base64

from pluginlab_tui.store.body import charset_of, store_body


def test_text_in_its_charset() -> None:
    stored = store_body("café".encode("latin-1"), "text/plain; charset=ISO-8859-1", 100)
    assert (stored.text, stored.binary, stored.size) == ("café", False, 4)


def test_binary_is_base64() -> None:
    content = bytes(range(256))
    stored = store_body(content, "application/octet-stream", 1000)
    assert stored.binary and base64.b64decode(stored.text or "") == content


def test_cut_at_the_cap_without_splitting_a_character() -> None:
    stored = store_body("ééééé".encode(), "application/json", 5)
    assert stored.truncated and stored.size == 10 and stored.text == "éé"


def test_empty_and_absent() -> None:
    assert store_body(None, None, 10).text is None
    assert store_body(b"", None, 10).text == ""
    assert charset_of('text/html; charset="utf-16"') == "utf-16"


def test_a_body_known_only_in_part_keeps_its_size_and_is_flagged() -> None:
    stored = store_body(b"x" * 10, "text/plain", 100, size=5000)
    assert (stored.text, stored.size, stored.truncated) == ("x" * 10, 5000, True)
    partial = store_body(b"x" * 10, "text/plain", 100, complete=False)
    assert partial.size == 10 and partial.truncated
