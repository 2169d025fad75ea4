"""The bounded inflater: every coding, stacked codings, bombs cut at the limit, garbage."""

from __future__ import annotations

import gzip
import zlib

import brotli
import pytest
import zstandard

from pluginlab_tui.inflate import codings, inflate
from tests.bombs import gzip_bomb

BODY = b'{"todos": [' + b", ".join(b'{"id": %d, "title": "milk"}' % i for i in range(5000)) + b"]}"
MiB = 1024 * 1024


def raw_deflate(data: bytes) -> bytes:
    encoder = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    return encoder.compress(data) + encoder.flush()


ENCODERS = {
    "gzip": gzip.compress,
    "x-gzip": gzip.compress,
    "deflate": zlib.compress,
    "br": brotli.compress,
    "zstd": lambda data: zstandard.ZstdCompressor().compress(data),
}


@pytest.mark.parametrize("name", sorted(ENCODERS))
def test_each_coding_decodes_whole(name: str) -> None:
    found = inflate(ENCODERS[name](BODY), name, MiB)
    assert found.content == BODY
    assert found.complete and found.error is None


def test_raw_deflate_is_read_too() -> None:
    assert inflate(raw_deflate(BODY), "deflate", MiB).content == BODY


def test_concatenated_members_and_frames() -> None:
    assert inflate(gzip.compress(b"one ") + gzip.compress(b"two"), "gzip", MiB).content == (
        b"one two"
    )
    zstd = zstandard.ZstdCompressor()
    assert inflate(zstd.compress(b"one ") + zstd.compress(b"two"), "zstd", MiB).content == (
        b"one two"
    )


def test_stacked_codings_undone_in_reverse_order() -> None:
    body = zstandard.ZstdCompressor().compress(brotli.compress(gzip.compress(BODY)))
    found = inflate(body, "gzip, br,  zstd", MiB)
    assert found.content == BODY and found.complete


def test_no_coding_and_identity_pass_through_bounded() -> None:
    assert inflate(BODY, None, MiB).content == BODY
    assert inflate(BODY, "identity", MiB).content == BODY
    cut = inflate(BODY, "", 100)
    assert cut.content == BODY[:100] and cut.too_large and cut.error is None
    assert codings("GZIP, identity, br") == ["gzip", "br"]


def test_a_gzip_bomb_stops_at_the_limit() -> None:
    bomb = gzip_bomb(1024 * MiB)  # 1 GiB of zeros in about 1 MB
    assert len(bomb) < 2 * MiB
    found = inflate(bomb, "gzip", 4 * MiB)
    assert len(found.content) == 4 * MiB
    assert found.too_large and found.error is None


def test_bombs_in_every_coding_stop_at_the_limit() -> None:
    zeros = bytes(64 * MiB)
    bombs = {
        "deflate": zlib.compress(zeros, 9),
        "br": brotli.compress(zeros, quality=1),
        "zstd": zstandard.ZstdCompressor().compress(zeros),
    }
    del zeros
    for name, bomb in bombs.items():
        found = inflate(bomb, name, MiB)
        assert len(found.content) == MiB, name
        assert found.too_large, name


def test_a_stacked_bomb_stops_at_the_limit() -> None:
    bomb = gzip.compress(gzip_bomb(256 * MiB))
    found = inflate(bomb, "gzip, gzip", 2 * MiB)
    assert len(found.content) == 2 * MiB and found.too_large


def test_a_body_exactly_at_the_limit_is_complete() -> None:
    found = inflate(gzip.compress(bytes(1000)), "gzip", 1000)
    assert found.complete and len(found.content) == 1000
    assert inflate(gzip.compress(bytes(1001)), "gzip", 1000).too_large


@pytest.mark.parametrize("name", sorted(ENCODERS))
def test_garbage_is_returned_raw_with_an_error(name: str) -> None:
    found = inflate(b"\x00\xffnot a compressed body", name, MiB)
    assert found.content == b"\x00\xffnot a compressed body"
    assert found.error is not None and "does not decode" in found.error


@pytest.mark.parametrize("name", ["gzip", "br", "zstd"])
def test_a_truncated_stream_is_an_error_not_a_crash(name: str) -> None:
    body = ENCODERS[name](BODY)[:-8]
    found = inflate(body, name, MiB)
    assert found.error is not None and found.content == body


def test_unknown_coding_is_reported_and_kept_raw() -> None:
    found = inflate(b"abc", "compress", MiB)
    assert found.content == b"abc" and found.error == "unsupported content-encoding 'compress'"
    assert inflate(bytes(50), "x-unknown", 10).too_large


def test_kept_holds_only_what_the_store_keeps_with_the_same_verdict() -> None:
    found = inflate(gzip_bomb(8 * MiB), "gzip", 2 * MiB)
    kept = found.kept(1000)
    assert kept.content == found.content[:1000]
    assert kept.decoded_size == 2 * MiB and kept.too_large
    small = inflate(b"abc", None, MiB)
    assert small.kept(1000) is small and small.decoded_size == 3
