"""The SQL statements a piece of code runs, for tests that count round trips."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, event


@contextmanager
def statements(engine: Engine) -> Iterator[list[str]]:
    """The SQL statements executed meanwhile, whitespace collapsed (the test's own transaction
    bookkeeping — SAVEPOINT, RELEASE, ROLLBACK, BEGIN — left out)."""
    seen: list[str] = []

    def _on(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK", "BEGIN")):
            seen.append(" ".join(statement.split()))

    event.listen(engine, "before_cursor_execute", _on)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", _on)
