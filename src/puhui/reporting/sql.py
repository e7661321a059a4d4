"""The SQL pieces reporting shares: a page of a list (LIMIT/OFFSET and one COUNT), a search
pattern, and the two date expressions that differ between PostgreSQL and SQLite.

Dates in SQL. The test suite and `puhui demo` run on SQLite, production on PostgreSQL, so the
few expressions with no common spelling are SQLAlchemy constructs compiled per dialect
(`@compiles`), and the queries that use them are written once:

* `ShanghaiDate(ts)` — the business date (Asia/Shanghai) of a UTC timestamp. PostgreSQL:
  ``(ts AT TIME ZONE 'Asia/Shanghai')::date``. SQLite stores the UTC timestamp naive
  (`core.db.UTCDateTime`), and Shanghai has kept UTC+8 without daylight saving since 1991:
  ``date(ts, '+8 hours')`` (a 'YYYY-MM-DD' string, turned into a `date` by `as_date`).
* `DayNumber(d)` — days from Monday 2000-01-03 to a DATE column, an integer, so that
  ``DayNumber(d) / 7`` is the week (Monday to Sunday) of `d` on both backends (integer
  division; dates before 2000 never occur here). PostgreSQL: ``d - DATE '2000-01-03'``;
  SQLite: ``CAST(julianday(d) - julianday('2000-01-03') AS INTEGER)``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, ColumnExpressionArgument, Date, Integer, Select, func
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

PAGE_SIZE = 50
MAX_SEARCH = 100  # characters of a search box used


class ShanghaiDate(FunctionElement[Any]):
    """The Asia/Shanghai business date of a UTC timestamp column (see the module docstring)."""

    type = Date()
    inherit_cache = True
    name = "shanghai_date"


@compiles(ShanghaiDate, "postgresql")
def _shanghai_date_pg(element: ShanghaiDate, compiler: SQLCompiler, **kw: Any) -> str:
    return f"CAST(({compiler.process(element.clauses, **kw)} AT TIME ZONE 'Asia/Shanghai') AS DATE)"


@compiles(ShanghaiDate, "sqlite")
def _shanghai_date_sqlite(element: ShanghaiDate, compiler: SQLCompiler, **kw: Any) -> str:
    return f"date({compiler.process(element.clauses, **kw)}, '+8 hours')"


class DayNumber(FunctionElement[int]):
    """Days from Monday 2000-01-03 to a DATE column (see the module docstring)."""

    type = Integer()
    inherit_cache = True
    name = "day_number"


@compiles(DayNumber, "postgresql")
def _day_number_pg(element: DayNumber, compiler: SQLCompiler, **kw: Any) -> str:
    return f"({compiler.process(element.clauses, **kw)} - DATE '2000-01-03')"


@compiles(DayNumber, "sqlite")
def _day_number_sqlite(element: DayNumber, compiler: SQLCompiler, **kw: Any) -> str:
    arg = compiler.process(element.clauses, **kw)
    return f"CAST(julianday({arg}) - julianday('2000-01-03') AS INTEGER)"


EPOCH_MONDAY = date(2000, 1, 3)


def as_date(value: date | str) -> date:
    """A date read back from `ShanghaiDate` (SQLite gives the ISO string)."""
    return value if isinstance(value, date) else date.fromisoformat(value)


T = TypeVar("T")
U = TypeVar("U")


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of a list: its rows, its number (1-based), the number of pages and rows."""

    rows: list[T]
    number: int
    pages: int
    total: int
    size: int

    @property
    def first_row(self) -> int:
        """The 1-based position of the page's first row (0 for an empty list)."""
        return (self.number - 1) * self.size + 1 if self.rows else 0

    @property
    def last_row(self) -> int:
        return self.first_row + len(self.rows) - 1 if self.rows else 0

    def map(self, convert: Callable[[T], U]) -> Page[U]:
        return Page([convert(r) for r in self.rows], self.number, self.pages, self.total, self.size)


def page_of(
    session: Session, query: Select[*tuple[Any, ...]], number: int, size: int = PAGE_SIZE
) -> Page[Any]:
    """Page `number` of an ordered query: one COUNT of the query's rows, one SELECT with
    LIMIT/OFFSET. A number beyond the last page gives the last page; below 1, the first."""
    counted = query.with_only_columns(func.count(), maintain_column_froms=True).order_by(None)
    total = int(session.scalar(counted) or 0)
    pages = max(1, -(-total // size))
    number = min(max(1, number), pages)
    rows = list(session.execute(query.limit(size).offset((number - 1) * size)).all())
    return Page(rows=rows, number=number, pages=pages, total=total, size=size)


def like_pattern(text: str) -> str:
    """A LIKE pattern that finds `text` anywhere (its % _ and \\ taken literally; use with
    ``escape='\\\\'``)."""
    cleaned = text.strip()[:MAX_SEARCH]
    escaped = cleaned.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def contains(column: ColumnExpressionArgument[Any], text: str) -> ColumnElement[bool]:
    """`column` contains `text`, case-insensitively (ASCII; Chinese has no case)."""
    return func.lower(column).like(like_pattern(text).lower(), escape="\\")
