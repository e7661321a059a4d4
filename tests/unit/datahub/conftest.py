"""Worlds shared by the datahub unit tests (generated once per session; pure, no database)."""

from __future__ import annotations

import pytest

from puhui.datahub.sandbox import SandboxProvider
from puhui.datahub.world import World, generate_world

STATS_SIZE = 5_000
STATS_SEED = 20261123


@pytest.fixture(scope="session")
def small_world() -> World:
    return generate_world(1_500, 11)


@pytest.fixture(scope="session")
def stats_world() -> World:
    return generate_world(STATS_SIZE, STATS_SEED)


@pytest.fixture(scope="session")
def provider(small_world: World) -> SandboxProvider:
    return SandboxProvider(small_world)
