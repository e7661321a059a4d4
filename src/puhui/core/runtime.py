"""What a running process holds once: settings, clock, cipher, engine and session factory."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from puhui.core import audit
from puhui.core.clock import Clock, SystemClock
from puhui.core.config import Settings, get_settings
from puhui.core.crypto import DataKeyRing, FieldCipher, kek_from_master, load_master_key
from puhui.core.db import make_engine, make_session_factory
from puhui.core.keys import ring_loader


@dataclass
class Runtime:
    settings: Settings
    clock: Clock
    cipher: FieldCipher
    engine: Engine
    session_factory: sessionmaker[Session]


def build_runtime(
    settings: Settings | None = None,
    *,
    clock: Clock | None = None,
    engine: Engine | None = None,
    session_factory: sessionmaker[Session] | None = None,
) -> Runtime:
    settings = settings or get_settings()
    audit.configure(audit.load_keys(settings))
    engine = engine or make_engine(settings.database_url)
    master = load_master_key(settings)
    ring = DataKeyRing(kek_from_master(master), ring_loader(engine))
    return Runtime(
        settings=settings,
        clock=clock or SystemClock(),
        cipher=FieldCipher.from_master(master, ring),
        engine=engine,
        session_factory=session_factory or make_session_factory(engine),
    )
