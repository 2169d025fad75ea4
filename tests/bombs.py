"""Decompression and alias bombs for the tests and benchmarks/bombs.py, built without holding them.

`gzip_bomb(1 << 30)` is 1 GiB of zeros in about 1 MB: gzip members of 16 MiB each, concatenated
(gzip and every HTTP client read concatenated members as one body), so it is built in a fraction
of a second and never held inflated.
"""

from __future__ import annotations

import zlib

MiB = 1024 * 1024
_MEMBER = 16 * MiB


def _member(size: int) -> bytes:
    encoder = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    piece = bytes(min(size, MiB))
    parts = [encoder.compress(piece) for _ in range(size // len(piece))]
    return b"".join(parts) + encoder.flush()


def gzip_bomb(size: int) -> bytes:
    """`size` zero bytes (a multiple of 1 MiB), gzipped."""
    whole, rest = divmod(size, _MEMBER)
    return _member(_MEMBER) * whole + (_member(rest) if rest else b"")


def harmless_gzip(length: int) -> bytes:
    """A gzip body of about `length` bytes that inflates to about the same (random bytes)."""
    import os

    encoder = zlib.compressobj(1, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    return encoder.compress(os.urandom(length)) + encoder.flush()


def alias_bomb(levels: int = 9, width: int = 9) -> str:
    """A YAML billion-laughs document: `width ** levels` strings from a few hundred bytes."""
    lines = ['a0: &a0 ["lol"]']
    for level in range(1, levels + 1):
        refs = ", ".join([f"*a{level - 1}"] * width)
        lines.append(f"a{level}: &a{level} [{refs}]")
    return "\n".join(lines) + "\n"
