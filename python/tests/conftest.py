"""Shared fixtures: the repository's test fixtures and the team's public data sets, when present."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parents[2] / "tests" / "fixtures"
SHARED_DATA = Path(os.environ.get("SEGMINT_SHARED_DATA", Path(__file__).resolve().parents[2] / ".." / "shared" / "data"))


def shared_data(relative: str) -> Path:
    """Path of a shared data file; skips the test with a reason when it is absent."""
    path = SHARED_DATA / relative
    if not path.exists():
        pytest.skip(f"{path} is absent (set SEGMINT_SHARED_DATA to the shared data folder to run this test)")
    return path


@pytest.fixture(scope="session")
def lifetimes_oracle() -> dict:
    """lifetimes 0.11.3's numbers (tests/fixtures/make_lifetimes_oracle.py), for test_summary and test_clv."""
    return json.loads((FIXTURES / "lifetimes_oracle.json").read_text())
