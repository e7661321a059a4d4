"""core.events: handlers by exact type, in registration order, only once wired."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

import pytest
from sqlalchemy.orm import Session

from puhui.core.events import EventRegistry, EventsNotWired


@dataclass(frozen=True)
class Happened:
    n: int


@dataclass(frozen=True)
class HappenedToo(Happened):
    pass


@dataclass
class Mutable:
    n: int


SESSION = cast(Session, object())


def test_handlers_run_in_registration_order_with_the_publishers_session() -> None:
    registry = EventRegistry()
    seen: list[tuple[str, Any, int]] = []
    registry.subscribe(Happened, lambda s, e: seen.append(("first", s, e.n)))
    registry.subscribe(Happened, lambda s, e: seen.append(("second", s, e.n)))
    registry.seal()
    registry.publish(SESSION, Happened(7))
    assert seen == [("first", SESSION, 7), ("second", SESSION, 7)]


def test_dispatch_is_by_exact_type() -> None:
    registry = EventRegistry()
    seen: list[str] = []
    registry.subscribe(Happened, lambda s, e: seen.append("base"))
    registry.subscribe(HappenedToo, lambda s, e: seen.append("sub"))
    registry.seal()
    registry.publish(SESSION, HappenedToo(1))
    registry.publish(SESSION, Mutable(1))  # nobody listens: nothing happens
    assert seen == ["sub"]


def test_publishing_before_wiring_fails_loudly() -> None:
    registry = EventRegistry()
    registry.subscribe(Happened, lambda s, e: None)
    with pytest.raises(EventsNotWired, match="Happened"):
        registry.publish(SESSION, Happened(1))


def test_a_sealed_registry_refuses_new_handlers() -> None:
    registry = EventRegistry()
    registry.seal()
    with pytest.raises(RuntimeError, match="sealed"):
        registry.subscribe(Happened, lambda s, e: None)
    assert registry.handlers_for(Happened) == ()


def test_events_are_frozen_dataclasses() -> None:
    registry = EventRegistry()
    with pytest.raises(TypeError, match="frozen dataclass"):
        registry.subscribe(Mutable, lambda s, e: None)


def test_a_failing_handler_stops_the_publisher() -> None:
    registry = EventRegistry()
    seen: list[int] = []

    def boom(session: Session, event: Happened) -> None:
        raise ValueError("refused")

    registry.subscribe(Happened, boom)
    registry.subscribe(Happened, lambda s, e: seen.append(e.n))
    registry.seal()
    with pytest.raises(ValueError, match="refused"):
        registry.publish(SESSION, Happened(1))
    assert seen == []
