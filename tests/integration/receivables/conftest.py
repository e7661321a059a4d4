from __future__ import annotations

import pytest
from sqlalchemy.orm import Session
from tests.integration.receivables.receivables_world import World, make_world

from puhui.core.clock import FixedClock
from puhui.core.runtime import Runtime


@pytest.fixture
def world(session: Session, clock: FixedClock, runtime: Runtime) -> World:
    return make_world(session, clock, runtime.cipher)
