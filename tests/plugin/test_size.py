"""plugin.max_spec_bytes: documents measured with their aliases expanded, without expanding."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from pluginlab_tui.plugin.size import (
    DocumentTooLarge,
    check_file,
    check_node,
    check_text,
    expanded_size,
)
from tests.bombs import alias_bomb

Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def composed(text: str) -> yaml.Node:
    node = yaml.compose(text, Loader=Loader)
    assert node is not None
    return node


def test_an_alias_bomb_is_measured_as_expanded_without_expanding_it() -> None:
    bomb = alias_bomb()  # about 500 bytes
    size = expanded_size(composed(bomb))
    assert size > 9**9 * 4  # every "lol" counted
    with pytest.raises(DocumentTooLarge, match="alias bomb"):
        check_node(composed(bomb), 8 * 1024 * 1024)


def test_plain_documents_measure_about_their_json_size() -> None:
    text = "a: [1, 2, 3]\nb: {c: hello}\n"
    assert 15 <= expanded_size(composed(text)) <= 40
    shared = "x: &x {name: rex, tag: good}\ny: *x\nz: *x\n"
    once = expanded_size(composed("x: {name: rex, tag: good}\n"))
    assert expanded_size(composed(shared)) > 2 * once
    check_node(composed(shared), 1000)  # no error


def test_a_recursive_alias_is_refused() -> None:
    with pytest.raises(DocumentTooLarge, match="its own anchor"):
        expanded_size(composed("a: &a [1, *a]\n"))


def test_text_and_files_over_the_limit_are_refused(tmp_path: Path) -> None:
    with pytest.raises(DocumentTooLarge, match=r"plugin.max_spec_bytes \(10 bytes\)"):
        check_text("é" * 6, 10)  # 6 characters, 12 bytes
    check_text("é" * 5, 10)
    big = tmp_path / "big.yaml"
    big.write_bytes(b"a: 1\n" * 100)
    with pytest.raises(DocumentTooLarge, match="500 bytes"):
        check_file(big, 100)
    check_file(tmp_path / "missing.yaml", 100)  # left to the reader
