"""`define('balance_fen')` in a template: what a headline figure counts, in the page's
language (`puhui.reporting.book.DEFINITIONS`), shown as the figure's title on hover."""

from __future__ import annotations

from typing import Any

from jinja2 import pass_context

from puhui.reporting import book


@pass_context
def define(context: Any, key: str) -> str:
    return book.definition(key, str(context.get("lang", "zh")))
