"""The raw database holds no resident ID or mobile number in clear (SQLite file and PostgreSQL)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, inspect, text
from sqlalchemy.orm import Session

from puhui.core.models import Role

PERSON = {"name": "林明文", "resident_id": "440524198001010013", "mobile": "13912345678"}


def _all_text(session: Session, engine: Engine) -> str:
    chunks = []
    for table in inspect(session.connection()).get_table_names():
        for row in session.execute(text(f'SELECT * FROM "{table}"')):
            for value in row:
                if isinstance(value, bytes | bytearray | memoryview):
                    chunks.append(bytes(value).decode("latin-1"))
                else:
                    chunks.append(str(value))
    return "\n".join(chunks)


def test_no_plaintext_personal_identifiers(
    client: TestClient, headers_for: Any, session: Session, engine: Engine, db_url: str
) -> None:
    r = client.post("/api/v1/people", json=PERSON, headers=headers_for(Role.ADMIN))
    assert r.status_code == 201
    dump = _all_text(session, engine)
    assert "林明文" in dump  # the search does see the data
    assert PERSON["resident_id"] not in dump
    assert PERSON["mobile"] not in dump


def test_sqlite_file_bytes_hold_no_plaintext(tmp_path: Path) -> None:
    """Committed for real into a SQLite file, then the file's bytes are searched."""
    import base64

    from puhui.core.clock import SystemClock
    from puhui.core.crypto import FieldCipher
    from puhui.core.db import make_engine, make_session_factory, unit_of_work
    from puhui.core.migrate import upgrade
    from puhui.parties import service
    from puhui.parties.schemas import PersonCreate

    url = f"sqlite:///{tmp_path / 'raw.db'}"
    upgrade(url)
    engine = make_engine(url)
    cipher = FieldCipher.from_master(base64.b64decode(base64.b64encode(b"r" * 32)))
    with unit_of_work(make_session_factory(engine)) as session:
        service.create_person(session, SystemClock(), cipher, PersonCreate(**PERSON))
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    raw = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith("raw.db"))
    assert "林明文".encode() in raw  # the search does see the data
    assert PERSON["resident_id"].encode() not in raw
    assert PERSON["mobile"].encode() not in raw
