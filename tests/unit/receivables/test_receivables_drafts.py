"""The statements the platform drafts for requests (pure `drafts`): ids allocated from the
state, the financing price computed, every draft accepted by the rules, and a submitted
statement's request recovered exactly."""

from __future__ import annotations

from typing import Any

import pytest
from receivables_helpers import BANK, CORE, MATURITY, PLATFORM, RULES, T1, T2

from puhui.receivables import drafts
from puhui.receivables.errors import MalformedStatement, NotFound
from puhui.receivables.state import ReceivablesState, discount_price

AT = "2026-04-01T02:00:00Z"  # business date 2026-04-01: 90 days before maturity


def _run(state: ReceivablesState, op: str, actor: str, req: dict[str, Any]) -> dict[str, Any]:
    stmt = drafts.draft(op, actor, req, state, state.size, AT)
    state.apply(stmt)
    return stmt


def test_a_chain_drafted_from_requests_alone_is_accepted_by_the_rules() -> None:
    state = ReceivablesState(RULES)
    _run(state, "limit", PLATFORM, {"party": CORE, "limit_fen": 100_000_000})
    issue_req = {
        "to": T1,
        "amount_fen": 30_000_000,
        "maturity_date": MATURITY,
        "invoice": "INV-1",
        "invoice_amount_fen": 30_000_000,
    }
    assert drafts.targets("issue", CORE, issue_req) == {"issuer": CORE, "invoice": "INV-1"}
    cert = _run(state, "issue", CORE, issue_req)["cert"]
    assert cert == "EC0000000001"  # the issue statement's seq
    _run(state, "accept", T1, {"cert": cert})
    amounts = [20_000_000, 10_000_000]
    split = _run(state, "split", T1, {"cert": cert, "part": cert, "amounts": amounts})
    assert [p["part"] for p in split["parts"]] == [f"{cert}-1", f"{cert}-2"]
    _run(state, "transfer", T1, {"cert": cert, "part": f"{cert}-2", "to": T2})
    accepted = _run(state, "accept_transfer", T2, {"cert": cert, "part": f"{cert}-2"})
    assert accepted["new_part"] == f"{cert}-3"
    _run(state, "transfer", T1, {"cert": cert, "part": f"{cert}-1", "to": BANK})
    financed = _run(state, "finance", BANK, {"cert": cert, "part": f"{cert}-1", "rate_bp": 320})
    assert financed["new_part"] == f"{cert}-4" and financed["days"] == 90
    assert financed["price_fen"] == discount_price(20_000_000, 320, 90) == 19_840_000
    assert state.parts[f"{cert}-4"].holder == BANK


@pytest.mark.parametrize(
    ("op", "actor", "req"),
    [
        (
            "issue",
            CORE,
            {
                "to": T1,
                "amount_fen": 5,
                "maturity_date": MATURITY,
                "invoice": "I",
                "invoice_amount_fen": 5,
            },
        ),
        ("accept", T1, {"cert": "EC0000000001"}),
        ("pay", CORE, {"cert": "EC0000000001", "amount_fen": 5}),
        ("split", T1, {"cert": "EC0000000001", "part": "EC0000000001", "amounts": [2, 3]}),
        ("transfer", T1, {"cert": "EC0000000001", "part": "EC0000000001", "to": T2}),
        ("accept_transfer", T2, {"cert": "EC0000000001", "part": "EC0000000001"}),
    ],
)
def test_a_submitted_statement_stands_for_exactly_its_request(
    op: str, actor: str, req: dict[str, Any]
) -> None:
    state = ReceivablesState(RULES)
    _run(state, "limit", PLATFORM, {"party": CORE, "limit_fen": 100})
    _run(
        state,
        "issue",
        CORE,
        {
            "to": T1,
            "amount_fen": 5,
            "maturity_date": MATURITY,
            "invoice": "I",
            "invoice_amount_fen": 5,
        },
    )
    assert op in drafts.SUBMITTABLE
    assert drafts.request_from(drafts.draft(op, actor, req, state, state.size, AT)) == req


def test_a_part_of_another_certificate_is_not_found() -> None:
    state = ReceivablesState(RULES)
    with pytest.raises(NotFound):
        drafts.draft("split", T1, {"cert": "EC1", "part": "EC2", "amounts": [1]}, state, 0, AT)


def test_a_split_without_a_list_of_parts_is_malformed() -> None:
    stmt = {"v": 1, "seq": 3, "op": "split", "actor": T1, "at": AT, "cert": "EC1", "parts": 5}
    with pytest.raises(MalformedStatement):
        drafts.request_from(stmt)
