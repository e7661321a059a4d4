"""Orders, warehouse receipts and dealer programmes on the log: every rule of the pure state
(``supply_state``), and the independent verifier on an export holding them — a receipt pledged
twice, a release beyond its quantity, and a tampered new statement are each named."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from receivables_helpers import (
    BANK,
    CORE,
    LOG_KEY,
    ORIGIN,
    PLATFORM,
    RULES,
    T1,
    T2,
    Book,
    party_key,
)

from puhui.receivables.chain import ReceivablesChain
from puhui.receivables.errors import ActorNotAllowed, PaymentMismatch, ReceivablesError
from puhui.receivables.export import ExportWriter, LogInfo
from puhui.receivables.keys import KeyRing
from puhui.receivables.state import discount_price
from puhui.receivables.statements import sign_statement, statement
from puhui.receivables.supply_errors import (
    CoverShortfall,
    DealerAboveProgramme,
    DealerLimitExceeded,
    DoublePledge,
    InsuranceExpired,
    NotADealer,
    NotAWarehouse,
    OrderDeliveryMismatch,
    OrderShareExceeded,
    ProgrammeLimitExceeded,
    ReleaseExceeds,
    SupplyStatusInvalid,
)
from puhui.receivables.supply_state import collateral_value
from puhui.receivables.verifier import verify

WH, OWNER, DEALER, DEALER2 = "WH-COLD", T1, "DLR-EAST", "DLR-WEST"
AT = "2026-03-02T02:00:00Z"  # business date 2026-03-02

RECEIPT = {
    "receipt": "WR1",
    "to": OWNER,
    "goods": "电解铜 copper cathode",
    "quantity": 100_000,
    "unit": "kg",
    "grade": "A",
    "location": "上海外高桥 3 号库",
    "policy": "PICC-2026-001",
    "policy_expiry": "2026-12-31",
}


def pledge(**over: Any) -> dict[str, Any]:
    # 100 t at 68.00 yuan/kg, haircut 30 %: value 4,760,000.00 yuan
    return {
        "receipt": "WR1",
        "to": BANK,
        "line": "LINE-1",
        "unit_price_fen": 6_800,
        "haircut_bp": 3_000,
        "cover_fen": 400_000_000,
        **over,
    }


def receipts_book() -> Book:
    book = Book()
    book.do("warehouse", PLATFORM, AT, party=WH)
    book.do("receipt", WH, AT, **RECEIPT)
    return book


def test_collateral_value_rounds_down() -> None:
    assert collateral_value(100_000, 6_800, 3_000) == 476_000_000
    assert collateral_value(3, 1, 5_000) == 1  # 1.5 fen → 1


def test_only_a_registered_warehouse_issues_and_the_policy_must_run() -> None:
    book = Book()
    with pytest.raises(NotAWarehouse):
        book.do("receipt", WH, AT, **RECEIPT)
    book.do("warehouse", PLATFORM, AT, party=WH)
    with pytest.raises(InsuranceExpired):
        book.do("receipt", WH, AT, **(RECEIPT | {"policy_expiry": "2026-03-02"}))
    with pytest.raises(ActorNotAllowed):
        book.do("warehouse", CORE, AT, party="WH-2")
    applied = book.do("receipt", WH, AT, **RECEIPT)
    assert applied.supply == ("WR1",)
    assert book.state.supply.receipts["WR1"].status == "held"


def test_pledge_rules_and_no_receipt_pledged_twice() -> None:
    book = receipts_book()
    with pytest.raises(ActorNotAllowed):  # only the owner pledges its goods
        book.do("pledge", T2, AT, **pledge())
    with pytest.raises(CoverShortfall):
        book.do("pledge", OWNER, AT, **pledge(cover_fen=476_000_001))
    book.do("pledge", OWNER, AT, **pledge())
    with pytest.raises(DoublePledge) as exc:
        book.do("pledge", OWNER, AT, **pledge(line="LINE-2", cover_fen=1))
    assert "LINE-1" in exc.value.message("en") and "重复质押" in exc.value.title("zh")


def test_partial_release_keeps_the_cover_and_never_exceeds_the_quantity() -> None:
    book = receipts_book()
    book.do("pledge", OWNER, AT, **pledge())
    # after a repayment the loan needs 200 万; 40 t remain worth 40,000 × 68 × 0.7 = 190.4 万
    with pytest.raises(CoverShortfall):
        book.do(
            "release",
            BANK,
            AT,
            receipt="WR1",
            quantity=60_000,
            unit_price_fen=6_800,
            cover_fen=200_000_000,
        )
    with pytest.raises(ActorNotAllowed):
        book.do("release", OWNER, AT, receipt="WR1", quantity=10, unit_price_fen=6_800, cover_fen=0)
    book.do(
        "release",
        BANK,
        AT,
        receipt="WR1",
        quantity=50_000,
        unit_price_fen=6_800,
        cover_fen=200_000_000,
    )
    receipt = book.state.supply.receipts["WR1"]
    assert (receipt.quantity, receipt.released, receipt.status) == (50_000, 50_000, "pledged")
    with pytest.raises(ReleaseExceeds):
        book.do(
            "release", BANK, AT, receipt="WR1", quantity=50_001, unit_price_fen=6_800, cover_fen=0
        )
    book.do(
        "release", BANK, AT, receipt="WR1", quantity=10_000, unit_price_fen=6_800, cover_fen=0
    )  # loan repaid: the pledge ends, the rest of the goods stay held
    assert (receipt.status, receipt.pledgee, receipt.quantity) == ("held", None, 40_000)
    book.do("pledge", OWNER, AT, **pledge(line="LINE-2", cover_fen=100_000_000))
    book.do("release", BANK, AT, receipt="WR1", quantity=40_000, unit_price_fen=6_800, cover_fen=0)
    assert receipt.status == "closed"
    with pytest.raises(SupplyStatusInvalid):
        book.do("pledge", OWNER, AT, **pledge(cover_fen=1))


ORDER = {
    "order": "PO1",
    "to": T1,
    "amount_fen": 10_000_000,
    "goods": "钢材 steel",
    "delivery_date": "2026-04-01",
    "maturity_date": "2026-06-30",
}


def order_book() -> Book:
    book = Book()
    book.do("limit", PLATFORM, AT, party=CORE, limit_fen=100_000_000)
    book.do("order", CORE, AT, **ORDER)
    return book


def finance_fields(amount: int, days: int = 120) -> dict[str, Any]:
    return {
        "order": "PO1",
        "amount_fen": amount,
        "rate_bp": 400,
        "days": days,
        "price_fen": discount_price(amount, 400, days),
    }


def test_order_financing_needs_confirmation_and_stays_within_the_share() -> None:
    book = order_book()
    with pytest.raises(SupplyStatusInvalid):
        book.do("order_finance", BANK, AT, **finance_fields(7_000_000))
    with pytest.raises(ActorNotAllowed):
        book.do("order_confirm", CORE, AT, order="PO1")
    book.do("order_confirm", T1, AT, order="PO1")
    with pytest.raises(OrderShareExceeded):
        book.do("order_finance", BANK, AT, **finance_fields(7_000_001))
    book.do("order_finance", BANK, AT, **finance_fields(7_000_000))
    order = book.state.supply.orders["PO1"]
    assert (order.status, order.financed_fen, order.price_fen) == (
        "financed",
        7_000_000,
        7_000_000 - 93_333,
    )
    with pytest.raises(SupplyStatusInvalid):  # financed once
        book.do("order_finance", BANK, AT, **finance_fields(1_000))


def test_no_order_financing_on_or_after_the_delivery_date() -> None:
    book = order_book()
    book.do("order_confirm", T1, AT, order="PO1")
    with pytest.raises(ReceivablesError, match="delivery"):
        book.do("order_finance", BANK, "2026-04-01T02:00:00Z", **finance_fields(1_000, 90))


def test_a_cancelled_financed_order_is_repaid_by_the_supplier() -> None:
    book = order_book()
    book.do("order_confirm", T1, AT, order="PO1")
    book.do("order_finance", BANK, AT, **finance_fields(5_000_000))
    with pytest.raises(ActorNotAllowed):
        book.do("order_cancel", T1, AT, order="PO1")
    book.do("order_cancel", CORE, AT, order="PO1")
    order = book.state.supply.orders["PO1"]
    assert order.status == "cancelled"
    with pytest.raises(ActorNotAllowed):  # the platform cannot repay a cancelled order
        book.do("order_repay", PLATFORM, AT, order="PO1", amount_fen=5_000_000)
    with pytest.raises(PaymentMismatch):
        book.do("order_repay", T1, AT, order="PO1", amount_fen=4_999_999)
    book.do("order_repay", T1, AT, order="PO1", amount_fen=5_000_000)
    assert (order.status, order.repaid_fen) == ("closed", 5_000_000)


def test_delivery_turns_the_order_into_a_certificate_repaid_at_maturity() -> None:
    book = order_book()
    book.do("order_confirm", T1, AT, order="PO1")
    book.do("order_finance", BANK, AT, **finance_fields(5_000_000))
    at = "2026-04-01T02:00:00Z"
    issue = {
        "to": T1,
        "maturity_date": "2026-06-30",
        "invoice": "INV-9",
        "invoice_amount_fen": 10_000_000,
    }
    book.do("issue", CORE, at, cert="EC9", amount_fen=9_000_000, **issue)
    with pytest.raises(OrderDeliveryMismatch):  # the whole order's amount
        book.do("order_deliver", CORE, at, order="PO1", cert="EC9")
    book.do("cancel", CORE, at, cert="EC9")
    book.do("issue", CORE, at, cert="EC10", amount_fen=10_000_000, **issue)
    book.do("accept", T1, at, cert="EC10")
    book.do("order_deliver", CORE, at, order="PO1", cert="EC10")
    assert book.state.supply.orders["PO1"].status == "delivered"
    with pytest.raises(SupplyStatusInvalid):
        book.do("order_cancel", CORE, at, order="PO1")
    with pytest.raises(OrderDeliveryMismatch):  # not before the certificate is paid
        book.do("order_repay", PLATFORM, at, order="PO1", amount_fen=5_000_000)
    book.do("pay", CORE, "2026-06-30T02:00:00Z", cert="EC10", amount_fen=10_000_000)
    book.do("order_repay", PLATFORM, "2026-06-30T02:00:00Z", order="PO1", amount_fen=5_000_000)
    assert book.state.supply.orders["PO1"].status == "closed"


def programme_book(mode: str = "buyback") -> Book:
    book = Book()
    book.do("programme", PLATFORM, AT, programme="DP1", party=CORE, limit_fen=10_000_000, mode=mode)
    book.do(
        "dealer", CORE, AT, programme="DP1", to=DEALER, limit_fen=6_000_000, sales_fen=30_000_000
    )
    book.do(
        "dealer", CORE, AT, programme="DP1", to=DEALER2, limit_fen=6_000_000, sales_fen=20_000_000
    )
    return book


def draw(draw_id: str, amount: int) -> dict[str, Any]:
    return {
        "programme": "DP1",
        "draw": draw_id,
        "amount_fen": amount,
        "maturity_date": "2026-06-30",
    }


def test_dealer_limits_within_the_programme_limit() -> None:
    book = programme_book()
    with pytest.raises(DealerAboveProgramme):
        book.do("dealer", CORE, AT, programme="DP1", to="DLR-X", limit_fen=10_000_001, sales_fen=0)
    with pytest.raises(ActorNotAllowed):
        book.do("dealer", T1, AT, programme="DP1", to="DLR-X", limit_fen=1, sales_fen=0)
    with pytest.raises(NotADealer):
        book.do("dealer_draw", T2, AT, **draw("DF1", 1_000))
    with pytest.raises(DealerLimitExceeded):
        book.do("dealer_draw", DEALER, AT, **draw("DF1", 6_000_001))
    book.do("dealer_draw", DEALER, AT, **draw("DF1", 6_000_000))
    with pytest.raises(ProgrammeLimitExceeded):  # 6 + 5 > 10 although the dealer has room
        book.do("dealer_draw", DEALER2, AT, **draw("DF2", 5_000_000))
    book.do("dealer_draw", DEALER2, AT, **draw("DF2", 4_000_000))
    programme = book.state.supply.programmes["DP1"]
    assert programme.outstanding_fen == 10_000_000


def test_dealer_repays_or_the_core_buys_back_after_maturity() -> None:
    book = programme_book()
    book.do("dealer_draw", DEALER, AT, **draw("DF1", 1_000_000))
    with pytest.raises(ActorNotAllowed):  # the core only after maturity
        book.do("dealer_repay", CORE, AT, draw="DF1", amount_fen=1_000_000)
    book.do("dealer_repay", CORE, "2026-07-01T02:00:00Z", draw="DF1", amount_fen=1_000_000)
    assert book.state.supply.programmes["DP1"].outstanding_fen == 0
    plain = programme_book(mode="none")
    plain.do("dealer_draw", DEALER, AT, **draw("DF1", 1_000_000))
    with pytest.raises(ActorNotAllowed):  # no guarantee: only the dealer repays
        plain.do("dealer_repay", CORE, "2026-07-01T02:00:00Z", draw="DF1", amount_fen=1_000_000)
    plain.do("dealer_repay", DEALER, AT, draw="DF1", amount_fen=1_000_000)
    assert plain.state.supply.draws["DF1"].status == "repaid"


# --- the verifier --------------------------------------------------------------------------

SUPPLY_PATH: list[tuple[str, str, dict[str, Any]]] = [
    (PLATFORM, "warehouse", {"party": WH}),
    (WH, "receipt", RECEIPT),
    (OWNER, "pledge", pledge()),
    (
        BANK,
        "release",
        {"receipt": "WR1", "quantity": 30_000, "unit_price_fen": 6_800, "cover_fen": 300_000_000},
    ),
    (PLATFORM, "limit", {"party": CORE, "limit_fen": 100_000_000}),
    (CORE, "order", ORDER),
    (T1, "order_confirm", {"order": "PO1"}),
    (BANK, "order_finance", finance_fields(5_000_000)),
    (CORE, "order_cancel", {"order": "PO1"}),
    (T1, "order_repay", {"order": "PO1", "amount_fen": 5_000_000}),
    (
        PLATFORM,
        "programme",
        {"programme": "DP1", "party": CORE, "limit_fen": 10_000_000, "mode": "none"},
    ),
    (
        CORE,
        "dealer",
        {"programme": "DP1", "to": DEALER, "limit_fen": 6_000_000, "sales_fen": 30_000_000},
    ),
    (DEALER, "dealer_draw", draw("DF1", 2_000_000)),
]


def write_supply_export(directory: Path, extra: list[tuple[str, str, dict[str, Any]]] = ()) -> Path:  # type: ignore[assignment]
    ring = KeyRing()
    for party in (PLATFORM, BANK, CORE, T1, T2, WH, DEALER):
        ring.register(party_key(party), valid_from="2026-01-01T00:00:00Z")
    with ExportWriter(directory, LogInfo(ORIGIN, LOG_KEY.public, RULES), ring) as writer:
        chain = ReceivablesChain(
            origin=ORIGIN, log_key=LOG_KEY, rules=RULES, keys=ring, sink=writer
        )
        for signer, op, fields in [*SUPPLY_PATH, *extra]:
            stmt = statement(op, seq=chain.next_seq, actor=signer, at=AT, **fields)
            chain.submit(sign_statement(stmt, party_key(signer)))
        chain.checkpoint(AT)
    return directory


def test_the_supply_export_verifies_and_summarizes(tmp_path: Path) -> None:
    report = verify(write_supply_export(tmp_path / "e"))
    assert report.ok, report.render("en")
    assert report.summary["supply"]["receipts_pledged"] == 1
    assert report.summary["supply"]["dealer_draws_outstanding_fen"] == 2_000_000


def _append(directory: Path, signer: str, op: str, fields: dict[str, Any], seq: int) -> None:
    stmt = statement(op, seq=seq, actor=signer, at=AT, **fields)
    with (directory / "statements.jsonl").open("ab") as f:
        f.write(sign_statement(stmt, party_key(signer)).entry() + b"\n")


@pytest.mark.parametrize(
    ("signer", "op", "fields", "code"),
    [
        (OWNER, "pledge", pledge(line="LINE-9", cover_fen=1), "receivables.double_pledge"),
        (
            BANK,
            "release",
            {"receipt": "WR1", "quantity": 70_001, "unit_price_fen": 6_800, "cover_fen": 0},
            "receivables.release_exceeds",
        ),
    ],
)
def test_the_verifier_names_a_double_pledge_and_an_over_release(
    tmp_path: Path, signer: str, op: str, fields: dict[str, Any], code: str
) -> None:
    directory = write_supply_export(tmp_path / "e")
    n = len(SUPPLY_PATH)
    _append(directory, signer, op, fields, n)  # correctly signed by the party, against the rules
    report = verify(directory)
    assert report.first is not None
    assert (report.first.line, report.first.code, report.first.seq) == (n + 1, code, n)


@pytest.mark.parametrize("target", [2, 3, 7, 12])  # pledge, release, order_finance, dealer_draw
def test_tampering_with_a_new_statement_is_detected_and_named(tmp_path: Path, target: int) -> None:
    directory = write_supply_export(tmp_path / "e")
    path = directory / "statements.jsonl"
    lines = path.read_bytes().splitlines(keepends=True)
    for old, new in (
        (b'"quantity":', b'"quantity":9'),
        (b'"amount_fen":', b'"amount_fen":9'),
        (b'"cover_fen":', b'"cover_fen":9'),
    ):
        if old in lines[target]:
            lines[target] = lines[target].replace(old, new, 1)
            break
    else:
        raise AssertionError(lines[target])
    path.write_bytes(b"".join(lines))
    report = verify(directory)
    assert not report.ok and report.first is not None
    assert (report.first.file, report.first.line) == ("statements.jsonl", target + 1)
    assert report.first.code == "export.bad_signature" or "signature" in report.first.code
    assert f"{target + 1}" in report.render("en")
