"""Domain events: in-transaction, synchronous publish/subscribe between domains.

The domain that owns a state publishes what happened to it (`lending` publishes
`OfferAccepted` when a contract is signed); a domain that keeps a consequence of it subscribes
a handler (`decisioning` marks the application accepted). The publisher never imports the
subscriber, so the arrow between the two packages points one way only.

* An event is a frozen dataclass, defined by its publisher (`<domain>/events.py`).
* `publish(session, event)` calls the handlers registered for the event's exact type (no
  subclass dispatch), in registration order, synchronously, with the publisher's session: the
  handlers' changes belong to the same unit of work and commit or roll back with it. A handler
  that raises aborts the publisher's command, as any other step of it would.
* The handlers are registered in one place, the composition root (`puhui.wiring.wire`), which
  seals the registry. Publishing on a registry that was never sealed raises `EventsNotWired`:
  a process that forgot to wire fails loudly instead of silently dropping a consequence.

`core` imports no domain: this module knows events only as dataclass instances.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy.orm import Session

E = TypeVar("E")
Handler = Callable[[Session, E], None]


class EventsNotWired(RuntimeError):
    """An event was published before the composition root wired the handlers."""


class EventRegistry:
    """Handlers by event type; filled by the composition root, then sealed."""

    def __init__(self) -> None:
        self._handlers: dict[type[Any], list[Handler[Any]]] = {}
        self._sealed = False
        self._lock = threading.Lock()

    @property
    def sealed(self) -> bool:
        return self._sealed

    def subscribe(self, event_type: type[E], handler: Handler[E]) -> None:
        if not (dataclasses.is_dataclass(event_type) and _is_frozen(event_type)):
            raise TypeError(f"{event_type.__name__} is not a frozen dataclass")
        with self._lock:
            if self._sealed:
                raise RuntimeError("the event registry is sealed: subscribe in puhui.wiring")
            self._handlers.setdefault(event_type, []).append(handler)

    def seal(self) -> None:
        with self._lock:
            self._sealed = True

    def handlers_for(self, event_type: type[Any]) -> tuple[Handler[Any], ...]:
        return tuple(self._handlers.get(event_type, ()))

    def publish(self, session: Session, event: object) -> None:
        if not self._sealed:
            raise EventsNotWired(f"{type(event).__name__} published before puhui.wiring.wire() ran")
        for handler in self._handlers.get(type(event), ()):
            handler(session, event)


def _is_frozen(event_type: type[Any]) -> bool:
    params = getattr(event_type, "__dataclass_params__", None)
    return bool(params is not None and params.frozen)


REGISTRY = EventRegistry()
"""The process's registry: `puhui.wiring.wire()` fills and seals it."""


def publish(session: Session, event: object) -> None:
    """Run the handlers of `event` (see the module docstring) in `session`'s unit of work."""
    REGISTRY.publish(session, event)
