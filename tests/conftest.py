"""Shared fixtures."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus"


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    """../shared/corpus beside the checkout; skips where it is absent (a user's clone)."""
    if not CORPUS.is_dir():
        pytest.skip(f"the shared plugin corpus is not at {CORPUS} (only CI and the team have it)")
    return CORPUS
