"""Where the real bank files used as test fixtures live (copied into the repository with their
provenance and licences in tests/data/banks/PROVENANCE.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

BANK_SAMPLES = Path(__file__).resolve().parent / "data" / "banks"
if not BANK_SAMPLES.is_dir():  # every module that reads them imports this one: fail, never skip
    pytest.fail(
        f"bank samples not found at {BANK_SAMPLES}: tests/data/banks is part of the repository",
        pytrace=False,
    )

# Real exports of banks without a built-in profile (tests/data/banks-generic/PROVENANCE.md).
GENERIC_SAMPLES = Path(__file__).resolve().parent / "data" / "banks-generic"
