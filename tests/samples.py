"""Where the real bank files used as test fixtures live (copied into the repository with their
provenance and licences in tests/data/banks/PROVENANCE.md)."""

from __future__ import annotations

from pathlib import Path

BANK_SAMPLES = Path(__file__).resolve().parent / "data" / "banks"
