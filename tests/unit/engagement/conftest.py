"""Fixtures of the engagement unit tests."""

from __future__ import annotations

import pytest
from tests.support.engagement_lists import make_spec

from puhui.engagement.prescreen import PrescreenSpec


@pytest.fixture(scope="module")
def spec() -> PrescreenSpec:
    return make_spec()
