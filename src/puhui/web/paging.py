"""The console's pager: the links of a list page (first, previous, next, last) that keep the
page's other query parameters (the search, a filter, another list's page). The page itself comes
from `puhui.reporting` (one COUNT, one LIMIT/OFFSET query); `_pager.html` draws it with the
strings of `web/i18n.py` ("第 2 / 20 页", "page 2 of 20")."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from fastapi import Request

from puhui.reporting.sql import Page


@dataclass(frozen=True, slots=True)
class Pager:
    number: int
    pages: int
    total: int
    first_row: int
    last_row: int
    first: str | None  # None on the first page (and for "previous")
    previous: str | None
    next: str | None  # None on the last page (and for "last")
    last: str | None


def pager(request: Request, page: Page[Any], param: str = "page", anchor: str = "") -> Pager:
    """Links to the other pages of `page`, as `param` in this request's URL."""
    params = [(k, v) for k, v in request.query_params.multi_items() if k != param]

    def link(number: int) -> str:
        query = urlencode([*params, (param, str(number))])
        return f"{request.url.path}?{query}{'#' + anchor if anchor else ''}"

    n, last = page.number, page.pages
    return Pager(
        number=n,
        pages=last,
        total=page.total,
        first_row=page.first_row,
        last_row=page.last_row,
        first=link(1) if n > 1 else None,
        previous=link(n - 1) if n > 1 else None,
        next=link(n + 1) if n < last else None,
        last=link(last) if n < last else None,
    )
