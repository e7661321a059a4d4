"""The receivables state machine: the happy path, every rule, atomicity, invariants."""

from __future__ import annotations

import pickle
import random
import string
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from receivables_helpers import (
    BANK,
    CORE,
    FACE,
    HAPPY_PATH,
    MATURITY,
    MATURITY_AT,
    PLATFORM,
    RULES,
    T1,
    T2,
    T2B,
    Book,
)

from puhui.receivables import errors as E
from puhui.receivables.state import (
    CERTIFICATE_TRANSITIONS,
    OPERATIONS,
    PART_TRANSITIONS,
    CertificateStatus,
    PartStatus,
    ReceivablesState,
    discount_price,
    replay,
)


def run_happy(book: Book, upto: int | None = None) -> None:
    for actor, op, at, fields in HAPPY_PATH[:upto]:
        book.do(op, actor, at, **fields)


def snapshot(state: ReceivablesState) -> bytes:
    return pickle.dumps({k: v for k, v in vars(state).items() if not k.startswith("_")})


def fails(
    book: Book,
    error: type[E.ReceivablesError],
    op: str,
    actor: str,
    at: str | None = None,
    **fields: Any,
) -> E.ReceivablesError:
    """Apply a statement that must fail with exactly ``error`` and change nothing."""
    before = snapshot(book.state)
    with pytest.raises(E.ReceivablesError) as info:
        book.do(op, actor, at, **fields)
    assert type(info.value) is error, info.value
    assert snapshot(book.state) == before
    return info.value


# --- the happy path ----------------------------------------------------------------------------


def test_happy_path(book: Book) -> None:
    run_happy(book, 8)
    s = book.state
    cert = s.certificates["EC1"]
    assert cert.status is CertificateStatus.ACTIVE
    assert s.parts["EC1"].status is PartStatus.CLOSED
    assert s.parts["EC1-1"].status is PartStatus.CLOSED
    assert (s.parts["EC1-1a"].holder, s.parts["EC1-1a"].status) == (T2, PartStatus.HELD)
    assert s.parts["EC1-1a"].parent == "EC1-1"
    fin = s.parts["EC1-2f"]
    assert (fin.holder, fin.status, fin.price_fen, fin.rate_bp) == (
        BANK,
        PartStatus.FINANCED,
        19_743_333,
        385,
    )
    assert s.outstanding[CORE] == FACE
    assert s.invoices["INV-0001"].used_fen == FACE
    s.check_invariants()
    run_happy(Book(), None)  # the full path on a fresh book
    full = replay([b for b in _happy_statements()], RULES)
    assert full.certificates["EC1"].status is CertificateStatus.CLEARED
    assert full.outstanding[CORE] == 0
    assert {p.id for p in full.parts.values() if p.status is PartStatus.CLEARED} == {
        "EC1-1a",
        "EC1-2f",
    }
    assert full.summary()["cleared_fen"] == FACE


def _happy_statements() -> list[dict[str, Any]]:
    b = Book()
    out = []
    for actor, op, at, fields in HAPPY_PATH:
        stmt = b.stmt(op, actor, at, **fields)
        b.state.apply(stmt)
        out.append(stmt)
    return out


def test_apply_reports_what_changed(book: Book) -> None:
    run_happy(book, 3)
    actor, op, at, fields = HAPPY_PATH[3]
    applied = book.do(op, actor, at, **fields)
    assert (applied.seq, applied.op, applied.cert) == (3, "split", "EC1")
    assert applied.created == ("EC1-1", "EC1-2") and applied.updated == ("EC1",)


@pytest.fixture
def issued(book: Book) -> Book:
    run_happy(book, 2)
    return book


@pytest.fixture
def held(book: Book) -> Book:
    run_happy(book, 4)  # EC1-1 (30 万) and EC1-2 (20 万) held by T1
    return book


# --- discount price ----------------------------------------------------------------------------


def test_discount_price() -> None:
    assert discount_price(20_000_000, 385, 120) == 19_743_333
    assert discount_price(36_000, 5, 10) == 35_999  # discount exactly 0.5 fen rounds half up
    assert discount_price(36_000, 5, 9) == 36_000  # 0.45 fen rounds down
    assert discount_price(1_000_000, 0, 90) == 1_000_000
    assert discount_price(36_000_000, 10_000, 360) == 0


# --- form --------------------------------------------------------------------------------------


def test_form_errors(book: Book) -> None:
    good = book.stmt("limit", PLATFORM, party=CORE, limit_fen=1)
    cases: list[tuple[dict[str, Any], type[E.ReceivablesError]]] = [
        ({**good, "seq": 1}, E.SequenceMismatch),
        ({**good, "seq": "0"}, E.SequenceMismatch),
        ({**good, "v": 2}, E.MalformedStatement),
        ({**good, "v": True}, E.MalformedStatement),
        ({**good, "op": "mint"}, E.UnknownOperation),
        ({k: v for k, v in good.items() if k != "party"}, E.MalformedStatement),
        ({**good, "note": "x"}, E.MalformedStatement),
        ({**good, "limit_fen": 1.0}, E.InvalidAmount),
        ({**good, "limit_fen": True}, E.InvalidAmount),
        ({**good, "limit_fen": -1}, E.InvalidAmount),
        ({**good, "limit_fen": 2**53}, E.InvalidAmount),
        ({**good, "party": ""}, E.MalformedStatement),
        ({**good, "party": "x" * 65}, E.MalformedStatement),
        ({**good, "actor": 7}, E.MalformedStatement),
        ({**good, "at": "2026-03-02 02:00:00Z"}, E.MalformedStatement),
        ({**good, "at": "2026-13-02T02:00:00Z"}, E.MalformedStatement),
    ]
    for stmt, error in cases:
        with pytest.raises(error):
            book.state.apply(stmt)
    assert book.state.size == 0
    book.state.apply(good)
    assert book.state.size == 1
    with pytest.raises(E.SequenceMismatch):
        book.state.apply(good)  # the same statement twice


def test_time_cannot_go_backwards(book: Book) -> None:
    book.do("limit", PLATFORM, "2026-03-02T02:00:00Z", party=CORE, limit_fen=1)
    fails(
        book,
        E.TimeWentBackwards,
        "limit",
        PLATFORM,
        "2026-03-02T01:59:59Z",
        party=CORE,
        limit_fen=2,
    )
    book.do(
        "limit", PLATFORM, "2026-03-02T02:00:00Z", party=CORE, limit_fen=3
    )  # same second is fine


# --- limit and issue ---------------------------------------------------------------------------


def issue(
    book: Book,
    cert: str,
    amount: int,
    invoice: str = "INV-9",
    invoice_amount: int = 10**10,
    **over: Any,
) -> Any:
    fields = {
        "cert": cert,
        "to": T1,
        "amount_fen": amount,
        "maturity_date": MATURITY,
        "invoice": invoice,
        "invoice_amount_fen": invoice_amount,
    } | over
    return book.do("issue", CORE, None, **fields)


def test_issuing_needs_a_limit_from_the_platform(book: Book) -> None:
    fields = dict(HAPPY_PATH[1][3])
    fails(book, E.LimitMissing, "issue", CORE, **fields)
    fails(book, E.ActorNotAllowed, "limit", CORE, party=CORE, limit_fen=10**9)  # self-granted
    book.do("limit", PLATFORM, party=CORE, limit_fen=80_000_000)
    book.do("issue", CORE, **fields)  # 5000 万分 of 8000 万
    over = {**fields, "cert": "EC2", "invoice": "INV-2", "amount_fen": 30_000_001}
    err = fails(book, E.LimitExceeded, "issue", CORE, **over)
    assert err.params == {
        "party": CORE,
        "limit_fen": 80_000_000,
        "outstanding_fen": FACE,
        "amount_fen": 30_000_001,
    }
    book.do("issue", CORE, **{**over, "amount_fen": 30_000_000})  # exactly the limit
    book.do("limit", PLATFORM, party=CORE, limit_fen=0)  # revoked: nothing more
    fails(book, E.LimitExceeded, "issue", CORE, **{**over, "cert": "EC3", "amount_fen": 100_00})


def test_rejected_issue_frees_limit_and_invoice(book: Book) -> None:
    book.do("limit", PLATFORM, party=CORE, limit_fen=FACE)
    fields = dict(HAPPY_PATH[1][3])
    book.do("issue", CORE, **fields)
    fails(book, E.LimitExceeded, "issue", CORE, **{**fields, "cert": "EC2"})
    fails(book, E.ActorNotAllowed, "reject", T2, cert="EC1")
    fails(book, E.ActorNotAllowed, "cancel", T1, cert="EC1")  # cancel is the issuer's
    book.do("reject", T1, cert="EC1")
    assert book.state.certificates["EC1"].status is CertificateStatus.VOID
    book.do("issue", CORE, **{**fields, "cert": "EC2"})  # limit and invoice are free again
    fails(book, E.CertificateStatusInvalid, "accept", T1, cert="EC1")
    book.do("cancel", CORE, cert="EC2")
    book.state.check_invariants()
    assert book.state.outstanding[CORE] == 0


def test_invoice_backs_certificates_only_up_to_its_amount(book: Book) -> None:
    book.do("limit", PLATFORM, party=CORE, limit_fen=10**12)
    issue(book, "EC1", 600_000, invoice="INV-A", invoice_amount=1_000_000)
    err = fails(
        book,
        E.InvoiceExhausted,
        "issue",
        CORE,
        cert="EC2",
        to=T1,
        amount_fen=400_001,
        maturity_date=MATURITY,
        invoice="INV-A",
        invoice_amount_fen=1_000_000,
    )
    assert err.params["used_fen"] == 600_000
    fails(
        book,
        E.InvoiceMismatch,
        "issue",
        CORE,
        cert="EC2",
        to=T1,
        amount_fen=100_000,
        maturity_date=MATURITY,
        invoice="INV-A",
        invoice_amount_fen=2_000_000,
    )  # re-stated bigger
    fails(
        book,
        E.InvoiceMismatch,
        "issue",
        CORE,
        cert="EC2",
        to=T2,
        amount_fen=100_000,
        maturity_date=MATURITY,
        invoice="INV-A",
        invoice_amount_fen=1_000_000,
    )  # other seller
    issue(book, "EC2", 400_000, invoice="INV-A", invoice_amount=1_000_000)  # exactly the rest
    fails(
        book,
        E.InvoiceExhausted,
        "issue",
        CORE,
        cert="EC3",
        to=T1,
        amount_fen=100,
        maturity_date=MATURITY,
        invoice="INV-A",
        invoice_amount_fen=1_000_000,
    )
    fails(
        book,
        E.InvoiceExhausted,
        "issue",
        CORE,
        cert="EC3",
        to=T1,
        amount_fen=2_000,
        maturity_date=MATURITY,
        invoice="INV-B",
        invoice_amount_fen=1_000,
    )  # above a new one


def test_issue_rules(book: Book) -> None:
    book.do("limit", PLATFORM, party=CORE, limit_fen=10**12)
    base = dict(HAPPY_PATH[1][3])
    fails(book, E.SelfTransfer, "issue", CORE, **{**base, "to": CORE})
    fails(book, E.InvalidDate, "issue", CORE, **{**base, "maturity_date": "2026-03-02"})  # today
    fails(
        book, E.InvalidDate, "issue", CORE, **{**base, "maturity_date": "2027-03-04"}
    )  # > 366 days
    fails(book, E.InvalidDate, "issue", CORE, **{**base, "maturity_date": "2026/06/30"})
    fails(book, E.InvalidAmount, "issue", CORE, **{**base, "amount_fen": 0})
    book.do("issue", CORE, **base)
    fails(book, E.AlreadyExists, "issue", CORE, **{**base, "invoice": "INV-X"})
    fails(book, E.ActorNotAllowed, "accept", T2, cert="EC1")
    fails(book, E.NotFound, "accept", T1, cert="EC404")
    book.do("accept", T1, cert="EC1")
    fails(book, E.CertificateStatusInvalid, "accept", T1, cert="EC1")
    fails(book, E.CertificateStatusInvalid, "cancel", CORE, cert="EC1")  # too late to cancel


# --- split -------------------------------------------------------------------------------------


def split(
    book: Book,
    part: str,
    amounts: list[int],
    actor: str = T1,
    prefix: str | None = None,
    at: str | None = None,
) -> Any:
    parts = [{"part": f"{prefix or part}.{i}", "amount_fen": a} for i, a in enumerate(amounts)]
    return book.do("split", actor, at, cert="EC1", part=part, parts=parts)


def test_split_rules(held: Book) -> None:
    b = held

    def bad(
        error: type[E.ReceivablesError],
        part: str,
        parts: list[dict[str, Any]],
        actor: str = T1,
        at: str | None = None,
    ) -> None:
        fails(b, error, "split", actor, at, cert="EC1", part=part, parts=parts)

    p = lambda i, a: {"part": i, "amount_fen": a}  # noqa: E731
    bad(E.SplitInvalid, "EC1-2", [p("x", 10_000_000), p("y", 9_999_999)])  # sums short
    bad(E.SplitInvalid, "EC1-2", [p("x", 20_000_000)])  # one part
    bad(E.PartBelowMinimum, "EC1-2", [p("x", 19_990_001), p("y", 9_999)])
    bad(E.SplitInvalid, "EC1-2", [p("x", 10_000_000), p("x", 10_000_000)])  # same id twice
    bad(E.AlreadyExists, "EC1-2", [p("EC1-1", 10_000_000), p("y", 10_000_000)])
    bad(E.AlreadyExists, "EC1-2", [p("EC1", 10_000_000), p("y", 10_000_000)])
    bad(E.ActorNotAllowed, "EC1-2", [p("x", 10_000_000), p("y", 10_000_000)], actor=T2)
    bad(E.DoubleSpend, "EC1", [p("x", 25_000_000), p("y", 25_000_000)])  # the parent is closed
    bad(E.NotFound, "EC9", [p("x", 10_000_000), p("y", 10_000_000)])
    bad(E.CertificateMatured, "EC1-2", [p("x", 10_000_000), p("y", 10_000_000)], at=MATURITY_AT)
    bad(E.MalformedStatement, "EC1-2", [{"part": "x"}, p("y", 10_000_000)])
    split(b, "EC1-2", [100_00, 19_990_000])  # the minimum part is allowed
    assert b.state.parts["EC1-2.0"].amount_fen == 100_00
    b.state.check_invariants()
    fails(
        b,
        E.SplitInvalid,
        "split",
        T1,
        None,
        cert="EC1",
        part="EC1-1",
        parts=[p(f"z{i}", 100_00) for i in range(101)] + [p("zz", 30_000_000 - 101 * 100_00)],
    )


def test_split_minimum_is_configurable() -> None:
    from dataclasses import replace

    b = Book(replace(RULES, min_part_fen=1))
    run_happy(b, 4)
    split(b, "EC1-2", [1, 19_999_999])
    assert b.state.parts["EC1-2.0"].amount_fen == 1


# --- transfer ----------------------------------------------------------------------------------


def test_transfer_is_two_phase_and_single_use(held: Book) -> None:
    b = held
    fails(b, E.SelfTransfer, "transfer", T1, cert="EC1", part="EC1-1", to=T1)
    fails(b, E.ActorNotAllowed, "transfer", T2, cert="EC1", part="EC1-1", to=T2)
    fails(b, E.NotFound, "transfer", T1, cert="EC2", part="EC1-1", to=T2)  # part of another cert
    b.do("transfer", T1, cert="EC1", part="EC1-1", to=T2)
    assert b.state.parts["EC1-1"].status is PartStatus.PENDING_TRANSFER
    fails(b, E.PartStatusInvalid, "transfer", T1, cert="EC1", part="EC1-1", to=T2B)  # pending
    fails(
        b,
        E.PartStatusInvalid,
        "split",
        T1,
        cert="EC1",
        part="EC1-1",
        parts=[{"part": "a", "amount_fen": 15_000_000}, {"part": "b", "amount_fen": 15_000_000}],
    )
    fails(b, E.ActorNotAllowed, "accept_transfer", T2B, cert="EC1", part="EC1-1", new_part="n")
    fails(b, E.ActorNotAllowed, "accept_transfer", T1, cert="EC1", part="EC1-1", new_part="n")
    fails(b, E.AlreadyExists, "accept_transfer", T2, cert="EC1", part="EC1-1", new_part="EC1-2")
    b.do("reject_transfer", T2, cert="EC1", part="EC1-1")
    assert b.state.parts["EC1-1"].status is PartStatus.HELD
    b.do("transfer", T1, cert="EC1", part="EC1-1", to=T2)
    fails(b, E.ActorNotAllowed, "cancel_transfer", T2, cert="EC1", part="EC1-1")
    b.do("cancel_transfer", T1, cert="EC1", part="EC1-1")
    fails(b, E.PartStatusInvalid, "reject_transfer", T2, cert="EC1", part="EC1-1")
    b.do("transfer", T1, cert="EC1", part="EC1-1", to=T2)
    b.do("accept_transfer", T2, cert="EC1", part="EC1-1", new_part="EC1-1a")
    # no double spend: the old part is closed for every operation
    fails(b, E.DoubleSpend, "transfer", T1, cert="EC1", part="EC1-1", to=T2B)
    fails(b, E.DoubleSpend, "accept_transfer", T2, cert="EC1", part="EC1-1", new_part="again")
    # multi-tier: the tier-2 supplier passes it on
    b.do("transfer", T2, cert="EC1", part="EC1-1a", to=T2B)
    b.do("accept_transfer", T2B, cert="EC1", part="EC1-1a", new_part="EC1-1b")
    assert b.state.parts["EC1-1b"].holder == T2B
    b.state.check_invariants()
    fails(b, E.CertificateMatured, "transfer", T2B, MATURITY_AT, cert="EC1", part="EC1-1b", to=T1)


# --- finance -----------------------------------------------------------------------------------


def finance_fields(**over: Any) -> dict[str, Any]:
    return {
        "cert": "EC1",
        "part": "EC1-2",
        "new_part": "EC1-2f",
        "rate_bp": 385,
        "days": 120,
        "price_fen": 19_743_333,
    } | over


def test_finance_rules(held: Book) -> None:
    b = held
    fails(b, E.PartStatusInvalid, "finance", BANK, **finance_fields())  # not offered to the bank
    b.do("transfer", T1, cert="EC1", part="EC1-2", to=T2)
    fails(b, E.NotAFinancier, "finance", T2, **finance_fields())
    b.do("cancel_transfer", T1, cert="EC1", part="EC1-2")
    b.do("transfer", T1, cert="EC1", part="EC1-2", to=BANK)
    err = fails(b, E.PriceMismatch, "finance", BANK, **finance_fields(price_fen=19_743_334))
    assert err.params["expected_fen"] == 19_743_333
    fails(b, E.PriceMismatch, "finance", BANK, **finance_fields(days=119))
    fails(b, E.PriceMismatch, "finance", BANK, **finance_fields(rate_bp=390))
    fails(
        b, E.PriceMismatch, "finance", BANK, "2026-03-03T02:00:00Z", **finance_fields()
    )  # a day later: 119 days
    b.do("finance", BANK, **finance_fields())
    fails(b, E.DoubleSpend, "finance", BANK, **finance_fields(new_part="again"))
    fails(
        b, E.DoubleSpend, "transfer", BANK, cert="EC1", part="EC1-2f", to=T2
    )  # financed: bank keeps it
    b.state.check_invariants()


def test_finance_needs_time_to_maturity(held: Book) -> None:
    held.do("transfer", held.state.parts["EC1-2"].holder, cert="EC1", part="EC1-2", to=BANK)
    fails(
        held,
        E.CertificateMatured,
        "finance",
        BANK,
        MATURITY_AT,
        **finance_fields(days=0, price_fen=20_000_000),
    )


# --- pay, clear, overdue -----------------------------------------------------------------------


def test_pay_and_clear_rules(book: Book) -> None:
    run_happy(book, 8)
    b = book
    fails(b, E.NotYetMatured, "pay", CORE, "2026-06-29T02:00:00Z", cert="EC1", amount_fen=FACE)
    fails(b, E.PaymentMismatch, "pay", CORE, MATURITY_AT, cert="EC1", amount_fen=FACE - 1)
    fails(b, E.ActorNotAllowed, "pay", T1, MATURITY_AT, cert="EC1", amount_fen=FACE)
    clear = {"cert": "EC1", "part": "EC1-1a", "to": T2, "amount_fen": 30_000_000}
    fails(b, E.CertificateStatusInvalid, "clear", PLATFORM, MATURITY_AT, **clear)  # not paid yet
    b.do("pay", CORE, MATURITY_AT, cert="EC1", amount_fen=FACE)
    assert b.state.outstanding[CORE] == 0
    fails(b, E.CertificateStatusInvalid, "pay", CORE, MATURITY_AT, cert="EC1", amount_fen=FACE)
    fails(b, E.ActorNotAllowed, "clear", CORE, MATURITY_AT, **clear)
    fails(b, E.HolderMismatch, "clear", PLATFORM, MATURITY_AT, **{**clear, "to": T1})
    fails(
        b, E.PaymentMismatch, "clear", PLATFORM, MATURITY_AT, **{**clear, "amount_fen": 29_999_999}
    )
    fails(b, E.DoubleSpend, "clear", PLATFORM, MATURITY_AT, **{**clear, "part": "EC1-1", "to": T1})
    b.do("clear", PLATFORM, MATURITY_AT, **clear)
    fails(b, E.DoubleSpend, "clear", PLATFORM, MATURITY_AT, **clear)  # cleared once only
    assert b.state.certificates["EC1"].status is CertificateStatus.PAID
    b.do("clear", PLATFORM, MATURITY_AT, cert="EC1", part="EC1-2f", to=BANK, amount_fen=20_000_000)
    assert b.state.certificates["EC1"].status is CertificateStatus.CLEARED
    b.state.check_invariants()


def test_pay_waits_for_pending_transfers(held: Book) -> None:
    held.do("transfer", T1, cert="EC1", part="EC1-1", to=T2)
    fails(held, E.PendingOperations, "pay", CORE, MATURITY_AT, cert="EC1", amount_fen=FACE)
    fails(
        held,
        E.CertificateMatured,
        "accept_transfer",
        T2,
        MATURITY_AT,
        cert="EC1",
        part="EC1-1",
        new_part="n",
    )
    held.do("cancel_transfer", T1, MATURITY_AT, cert="EC1", part="EC1-1")
    held.do("pay", CORE, MATURITY_AT, cert="EC1", amount_fen=FACE)


def test_overdue_then_late_payment(held: Book) -> None:
    b = held
    fails(b, E.NotYetMatured, "overdue", PLATFORM, MATURITY_AT, cert="EC1")  # on the due date
    fails(b, E.ActorNotAllowed, "overdue", T1, "2026-07-01T02:00:00Z", cert="EC1")
    b.do("overdue", PLATFORM, "2026-07-01T02:00:00Z", cert="EC1")
    assert b.state.certificates["EC1"].status is CertificateStatus.OVERDUE
    assert b.state.outstanding[CORE] == FACE  # still owed
    fails(b, E.CertificateStatusInvalid, "overdue", PLATFORM, "2026-07-02T02:00:00Z", cert="EC1")
    b.do("pay", CORE, "2026-07-03T02:00:00Z", cert="EC1", amount_fen=FACE)
    for part in ("EC1-1", "EC1-2"):
        amount = b.state.parts[part].amount_fen
        b.do(
            "clear",
            PLATFORM,
            "2026-07-03T03:00:00Z",
            cert="EC1",
            part=part,
            to=T1,
            amount_fen=amount,
        )
    assert b.state.certificates["EC1"].status is CertificateStatus.CLEARED


# --- errors, tables, invariants ----------------------------------------------------------------


def test_errors_have_stable_codes_and_both_languages() -> None:
    classes = [
        c for c in vars(E).values() if isinstance(c, type) and issubclass(c, E.ReceivablesError)
    ]
    codes = [c.code for c in classes]
    assert len(codes) == len(set(codes)) and all(code.startswith("receivables.") for code in codes)
    err = E.LimitExceeded("amount_fen", party=CORE, limit_fen=1, outstanding_fen=1, amount_fen=1)
    assert "CORE-BUILD" in err.message("zh") and "额度" in err.message("zh")
    assert "limit" in err.message("en") and "{" not in err.message("en")
    problem = err.problem("zh")
    assert problem["code"] == "receivables.limit_exceeded" and problem["status"] == 409
    assert problem["errors"][0]["field"] == "amount_fen"


def test_transition_tables_cover_every_status() -> None:
    assert set(PART_TRANSITIONS) == set(PartStatus)
    assert set(CERTIFICATE_TRANSITIONS) == set(CertificateStatus)
    assert not PART_TRANSITIONS[PartStatus.CLOSED] and not PART_TRANSITIONS[PartStatus.CLEARED]


def test_invariant_check_catches_a_corrupted_state(book: Book) -> None:
    run_happy(book, 6)
    book.state.check_invariants()
    book.state.parts["EC1-1a"].amount_fen += 1
    with pytest.raises(E.InvariantBroken):
        book.state.check_invariants()


# --- random operation sequences ----------------------------------------------------------------

PARTIES = [PLATFORM, BANK, CORE, T1, T2, T2B]
CONSUMING = {"split", "accept_transfer", "finance", "clear"}


def random_statement(rnd: random.Random, b: Book, day: int, step: int) -> dict[str, Any]:
    s = b.state
    at = f"2026-{3 + day // 28:02d}-{1 + day % 28:02d}T02:{step // 60 % 60:02d}:{step % 60:02d}Z"
    op = rnd.choice(OPERATIONS)
    certs = list(s.certificates) or ["EC0"]
    parts = list(s.parts) or ["EC0"]
    live = [
        p for p, v in s.parts.items() if v.status not in (PartStatus.CLOSED, PartStatus.CLEARED)
    ]
    part = rnd.choice(live if live and rnd.random() < 0.8 else parts)
    cert = s.parts[part].cert if part in s.parts and rnd.random() < 0.9 else rnd.choice(certs)
    actor = rnd.choice(PARTIES)
    if part in s.parts and rnd.random() < 0.7:
        p = s.parts[part]
        actor = (
            p.pending_to
            if p.pending_to and op in ("accept_transfer", "reject_transfer", "finance")
            else p.holder
        )
    new_id = "P" + "".join(rnd.choices(string.digits, k=4))
    amount = rnd.choice([100_00, 1_000_000, 5_000_000, FACE])
    fields: dict[str, Any] = {
        "limit": {"party": CORE, "limit_fen": rnd.choice([0, 10**8, 10**9])},
        "issue": {
            "cert": "EC" + new_id,
            "to": rnd.choice([T1, T2]),
            "amount_fen": amount,
            "maturity_date": f"2026-{4 + day // 28 + rnd.randrange(3):02d}-15",
            "invoice": f"INV{rnd.randrange(5)}",
            "invoice_amount_fen": 10**8,
        },
        "accept": {"cert": cert},
        "reject": {"cert": cert},
        "cancel": {"cert": cert},
        "split": {
            "cert": cert,
            "part": part,
            "parts": [
                {"part": new_id + "a", "amount_fen": amount // 2},
                {"part": new_id + "b", "amount_fen": amount - amount // 2},
            ],
        },
        "transfer": {"cert": cert, "part": part, "to": rnd.choice(PARTIES)},
        "accept_transfer": {"cert": cert, "part": part, "new_part": new_id},
        "reject_transfer": {"cert": cert, "part": part},
        "cancel_transfer": {"cert": cert, "part": part},
        "finance": {
            "cert": cert,
            "part": part,
            "new_part": new_id,
            "rate_bp": 300,
            "days": rnd.randrange(1, 120),
            "price_fen": amount,
        },
        "pay": {
            "cert": cert,
            "amount_fen": s.certificates[cert].face_fen if cert in s.certificates else amount,
        },
        "clear": {
            "cert": cert,
            "part": part,
            "to": s.parts[part].holder if part in s.parts else T1,
            "amount_fen": s.parts[part].amount_fen if part in s.parts else amount,
        },
        "overdue": {"cert": cert},
    }[op]
    if op == "issue" and rnd.random() < 0.5:
        actor = CORE
    if op in ("limit", "clear", "overdue") and rnd.random() < 0.7:
        actor = PLATFORM
    if op == "pay" and rnd.random() < 0.7:
        actor = CORE
    if op == "finance" and part in s.parts:
        p = s.parts[part]
        if p.pending_to == BANK and cert in s.certificates:
            days = (s.certificates[cert].maturity_date - s._business_date(at)).days
            fields |= {"days": days, "price_fen": discount_price(p.amount_fen, 300, max(days, 0))}
    return b.stmt(op, actor, at, **fields)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32))
def test_random_sequences_keep_the_invariants(seed: int) -> None:
    rnd = random.Random(seed)
    b = Book()
    b.do("limit", PLATFORM, "2026-03-01T01:00:00Z", party=CORE, limit_fen=10**9)
    consumed: dict[str, int] = {}
    day = 0
    for step in range(300):
        if rnd.random() < 0.05:
            day += rnd.randrange(1, 30)
        stmt = random_statement(rnd, b, min(day, 250), step)
        before = snapshot(b.state)
        try:
            applied = b.state.apply(stmt)
        except E.ReceivablesError as exc:
            assert exc.code.startswith("receivables.")
            assert snapshot(b.state) == before  # nothing changed
            continue
        if applied.op in CONSUMING:
            for part_id in applied.updated:
                consumed[part_id] = consumed.get(part_id, 0) + 1
        b.state.check_invariants()
    assert all(n == 1 for n in consumed.values())  # no part consumed twice
    assert b.state.size > 1
