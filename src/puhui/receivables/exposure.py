"""What the receivables chain adds to the bank's exposure to an enterprise, as an expression
another domain folds into a query of its own (decisioning's related-party group cap).

Imports only the receivables tables: decisioning reads it on the decision's hot path. (A limit
granted from a decision goes the other way, through the flow `puhui.flows.supply_chain`.)
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, ScalarSelect, func, select

from puhui.receivables.models import Limit, Party


def limit_sum(enterprise_id: ColumnElement[Any]) -> ScalarSelect[int]:
    """A scalar subquery: the supply-chain limit of `enterprise_id` (a column or a bound
    parameter) as a core enterprise, 0 without one."""
    return (
        select(func.coalesce(func.sum(Limit.limit_fen), 0))
        .join(Party, Party.code == Limit.party)
        .where(Party.enterprise_id == enterprise_id)
        .scalar_subquery()
    )
