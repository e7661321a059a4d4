"""Fixtures of the receivables tests (helpers live in receivables_helpers.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from receivables_helpers import Book, Export, write_happy_export


@pytest.fixture
def book() -> Book:
    return Book()


@pytest.fixture
def happy_export(tmp_path: Path) -> Export:
    return write_happy_export(tmp_path / "export")
