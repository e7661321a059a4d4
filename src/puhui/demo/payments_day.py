"""`puhui payments ...`: a day on the rails, reproducible, and the rails' operator commands.

* `puhui payments demo-day DIR [--seed S]` sets up a throwaway SQLite database by itself (its
  own data key, environment `demo`), runs one business day of sandbox payments — disbursements
  to other banks' accounts, an entrusted payment to a supplier (受托支付, its invoice
  checked against a sandbox invoice register), a payout returned by the beneficiary's bank
  (the drawdown reversed), a rejected one, direct-debit collections
  (one returned: the repayment reversed), an in-house collection from a settlement account,
  receivables payouts (a discount's proceeds, a certificate cleared at maturity),
  accounts verified by name check and by micro-credit — reconciles the day's camt.053, and
  writes every ISO 20022 message sent and received into DIR, one file each (the camt.053
  among them). Its last line is JSON with the counts and sums by message type.
* `puhui payments run` sends what waits and applies what the bank sent (the configured
  database and rail); `puhui payments reconcile --date D` reconciles a business date.

Receivables (`payments_receivables`): a discount's price and a certificate's clearing at
maturity are paid out through the rails to the supplier's receivables account.
"""

from __future__ import annotations

import base64
import json
import os
import random
import tempfile
import uuid
from collections import Counter
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer
from sqlalchemy.orm import Session

from puhui.consents import service as consents_service
from puhui.consents.schemas import Purpose
from puhui.consents.sources import SourceName
from puhui.core import audit
from puhui.core.clock import FixedClock, business_date, shanghai_midnight_utc
from puhui.core.codes import org_code_check_char, uscc_check_char
from puhui.core.config import Settings
from puhui.core.db import unit_of_work
from puhui.core.migrate import upgrade
from puhui.core.runtime import Runtime, build_runtime
from puhui.datahub.invoices import Invoice, SandboxInvoices, use_source
from puhui.demo import payments_receivables
from puhui.flows import payments as payment_flows
from puhui.ledger import service as ledger_service
from puhui.ledger.service import Leg
from puhui.lending import service as lending
from puhui.lending.purposes import LoanPurpose
from puhui.lending.schedules import RepaymentMethod
from puhui.parties import service as parties_service
from puhui.parties.schemas import EnterpriseCreate
from puhui.payments import accounts, iso20022, reconciliation
from puhui.payments import service as payments
from puhui.payments.config import PaymentSettings
from puhui.payments.rails import SandboxBehaviour, SandboxRail, use_rail

payments_app = typer.Typer(
    help="Payments through the rails: a reproducible sandbox day, run the rails, reconcile.",
    no_args_is_help=True,
)

DAY = date(2026, 12, 7)
OTHER_BANKS = ("102100099996", "103100000026", "104100000004", "105100000017")
RETURNED = "6222020000000077"
REJECTED = "6222020000000088"
RETURNED_DEBIT = "6222020000000099"
ENTRUSTED_THRESHOLD_FEN = 300_000_00


def _uscc(rng: random.Random) -> str:
    head = "91" + "".join(rng.choice("0123456789") for _ in range(6))
    org = "".join(rng.choice("0123456789") for _ in range(8))
    first17 = head + org + org_code_check_char(org)
    return first17 + uscc_check_char(first17)


def _enterprise(session: Session, clock: FixedClock, rng: random.Random, name: str) -> uuid.UUID:
    enterprise = parties_service.create_enterprise(
        session,
        clock,
        EnterpriseCreate(
            name=name,
            uscc=_uscc(rng),
            industry_section="F",
            region_code="330100",
            region_name="浙江省杭州市",
            registered_capital_fen=500_000_000,
            established_date=date(2017, 5, 1),
            size_class="small",
        ),
    )
    return enterprise.id


def _line(session: Session, clock: FixedClock, enterprise_id: uuid.UUID) -> uuid.UUID:
    line = lending.create_line_from_offer(
        session,
        clock,
        enterprise_id=enterprise_id,
        product_code="weiyedai",
        limit_fen=1_000_000_00,
        rate_bp=435,
        term_months=12,
        expiry_date=business_date(clock) + timedelta(days=365),
        decision_id=uuid.uuid4(),
        repayment_method=RepaymentMethod.INTEREST_FIRST,
    )
    lending.activate_after_signing(session, clock, line.id, uuid.uuid4())
    return line.id


def _account(
    session: Session,
    rt: Runtime,
    clock: FixedClock,
    enterprise_id: uuid.UUID,
    holder: str,
    number: str,
    bank: str,
) -> Any:
    account = accounts.register_account(
        session, clock, rt.cipher, enterprise_id, accounts.AccountInput(holder, number, bank)
    )
    return accounts.verify_by_name(session, clock, rt.cipher, account, accounts.SandboxNameCheck())


def _at(clock: FixedClock, day: date, hour: int) -> None:
    clock.set(shanghai_midnight_utc(day) + timedelta(hours=hour))


def _collections_due(
    session: Session, rt: Runtime, clock: FixedClock, rng: random.Random
) -> list[tuple[uuid.UUID, uuid.UUID, str]]:
    """Two loans drawn a month before the day, so an instalment's interest falls due on it."""
    start = DAY - timedelta(days=30)
    _at(clock, start, 10)
    due: list[tuple[uuid.UUID, uuid.UUID, str]] = []
    for k, number in enumerate(("6222020000000055", RETURNED_DEBIT)):
        name = f"杭州代扣示范{k + 1}号商贸有限公司"
        enterprise_id = _enterprise(session, clock, rng, name)
        line_id = _line(session, clock, enterprise_id)
        out = lending.draw(
            session,
            clock,
            line_id,
            200_000_00 + 10_000_00 * k,
            idempotency_key=f"demo-day-collect-{k}",
        )
        _spend(session, clock, enterprise_id)  # paid its suppliers: nothing left to auto-debit
        account = _account(session, rt, clock, enterprise_id, name, number, OTHER_BANKS[k])
        accounts.sign_mandate(session, clock, account)
        due.append((out.loan_id, account.id, name))
    day = start
    while day < DAY:
        day += timedelta(days=1)
        _at(clock, day, 20)
        lending.simulate_day(session, clock, day)
    return due


def _spend(session: Session, clock: FixedClock, enterprise_id: uuid.UUID) -> None:
    balance = lending.settlement_balance(session, enterprise_id)
    ledger_service.post(
        session,
        clock,
        kind="transfer_out",
        business_date=business_date(clock),
        legs=[
            Leg.debit(payments.settlement_account(enterprise_id), balance),
            Leg.credit(payments.BANK_CLEARING, balance),
        ],
        memo="示范：付给供应商（行内结算）",
    )


def _disbursements(session: Session, rt: Runtime, clock: FixedClock, rng: random.Random) -> None:
    for k, (number, amount) in enumerate(
        (
            ("6222020000000011", 150_000_00),
            ("6222020000000022", 80_000_00),
            (RETURNED, 120_000_00),
            (REJECTED, 60_000_00),
        )
    ):
        name = f"杭州放款示范{k + 1}号科技有限公司"
        enterprise_id = _enterprise(session, clock, rng, name)
        line_id = _line(session, clock, enterprise_id)
        account = _account(session, rt, clock, enterprise_id, name, number, OTHER_BANKS[k % 4])
        lending.draw(
            session,
            clock,
            line_id,
            amount,
            idempotency_key=f"demo-day-draw-{k}",
            payout_account_id=account.id,
            purpose=LoanPurpose.WORKING_CAPITAL,
        )
    name = "宁波受托示范制造有限公司"
    enterprise_id = _enterprise(session, clock, rng, name)
    line_id = _line(session, clock, enterprise_id)
    supplier = _account(
        session,
        rt,
        clock,
        enterprise_id,
        "宁波某某原料供应有限公司",
        "6222020000000033",
        OTHER_BANKS[2],
    )
    # the invoice is checked against the data hub's tax invoices (a sandbox register here)
    # under the borrower's consent to its tax data
    register = SandboxInvoices()
    register.issue(
        Invoice("26332000000012345678", supplier.holder_name, name, ENTRUSTED_THRESHOLD_FEN, DAY)
    )
    consents_service.grant(
        session,
        clock,
        enterprise_id=enterprise_id,
        source=SourceName.TAX,
        purpose=Purpose.POST_LOAN_MONITORING,
    )
    with use_source(register):
        lending.draw(
            session,
            clock,
            line_id,
            ENTRUSTED_THRESHOLD_FEN,
            idempotency_key="demo-day-entrusted",
            payout_account_id=supplier.id,
            purpose=LoanPurpose.RAW_MATERIALS,
            invoice_number="26332000000012345678",
        )
    pending = accounts.register_account(
        session,
        clock,
        rt.cipher,
        enterprise_id,
        accounts.AccountInput(name, "6222020000000044", OTHER_BANKS[3]),
    )
    amount = accounts.start_micro_credit(
        session, clock, rt.cipher, pending, amount_fen=rng.randint(1, 99)
    )
    payments.create_verification_credit(session, clock, pending, amount)


def _run_day(rt: Runtime, seed: int) -> dict[str, Any]:
    clock = FixedClock(shanghai_midnight_utc(DAY) + timedelta(hours=9))
    rng = random.Random(seed)
    behaviour = SandboxBehaviour(
        return_accounts=frozenset({RETURNED, RETURNED_DEBIT}),
        reject_accounts=frozenset({REJECTED}),
        timeouts=1,  # the first submission's answer is lost: resubmitted, paid once
        seed=seed,
    )
    rail = SandboxRail(behaviour, account=PaymentSettings().own_account)
    os.environ["PUHUI_PAYMENTS_ENTRUSTED_THRESHOLD_FEN"] = str(ENTRUSTED_THRESHOLD_FEN)
    with use_rail(rail), unit_of_work(rt.session_factory) as session:
        audit.set_clock(session, clock)
        plan = _receivables(session, rt, clock, rng)
        due = _collections_due(session, rt, clock, rng)
        _at(clock, DAY, 9)
        _disbursements(session, rt, clock, rng)
        payments_receivables.on_the_day(session, clock, rt, plan)
        for loan_id, account_id, _ in due:
            owed = lending.amount_due(session, loan_id)
            assert owed > 0, "the demo's loans have an instalment due on the day"
            payment_flows.request_collection(
                session, clock, loan_id, account_id, owed, f"demo-day-dd-{loan_id}"
            )
        for hour in (10, 11, 14, 16):
            _at(clock, DAY, hour)
            payments.cycle(session, clock, rt.cipher, rail)
        _in_house(session, clock, rng)
        _at(clock, DAY, 18)
        run = reconciliation.reconcile_day(session, clock, DAY, rail)
        paid_on = [
            p.status
            for p in payments.recent_payments(session)
            if p.source_type.startswith("receivables_")
        ]
        return {
            "matched": run.matched,
            "breaks": run.breaks,
            "rail_submissions": rail.submissions,
            "receivables_payouts": {status: paid_on.count(status) for status in sorted(paid_on)},
        }


def _receivables(
    session: Session, rt: Runtime, clock: FixedClock, rng: random.Random
) -> payments_receivables.ReceivablesDay:
    """A month before the day: a core enterprise's certificates to a supplier (receivables)."""
    _at(clock, DAY - timedelta(days=30), 9)
    core = _enterprise(session, clock, rng, "杭州核心制造示范集团有限公司")
    name = "杭州应收款示范供应有限公司"
    supplier = _enterprise(session, clock, rng, name)
    account = _account(
        session, rt, clock, supplier, name, payments_receivables.SUPPLIER_ACCOUNT, OTHER_BANKS[3]
    )
    return payments_receivables.set_up(session, clock, rt, core, supplier, account, DAY)


def _in_house(session: Session, clock: FixedClock, rng: random.Random) -> None:
    """A collection inside the bank: the borrower's own money, then a prepayment from it."""
    name = "杭州本行结算示范有限公司"
    enterprise_id = _enterprise(session, clock, rng, name)
    line_id = _line(session, clock, enterprise_id)
    out = lending.draw(session, clock, line_id, 50_000_00, idempotency_key="demo-day-inhouse")
    lending.repay(
        session,
        clock,
        out.loan_id,
        10_000_00,
        idempotency_key="demo-day-inhouse-prepay",
        kind="prepayment",
    )


def _write(rt: Runtime, out: Path) -> dict[str, Any]:
    out.mkdir(parents=True, exist_ok=True)
    counts: Counter[str] = Counter()
    sums: Counter[str] = Counter()
    with unit_of_work(rt.session_factory) as session:
        messages = payments.messages_between(session, DAY - timedelta(days=31), DAY)
        for index, message in enumerate(messages, start=1):
            name = (
                f"{index:03d}_{message.direction}_{message.message_type}_{message.message_ref}.xml"
            )
            (out / name).write_text(message.xml, encoding="utf-8")
            counts[message.message_type] += 1
            sums[message.message_type] += _amount(message.xml.encode())
    return {"counts": dict(sorted(counts.items())), "sums_fen": dict(sorted(sums.items()))}


def _amount(xml: bytes) -> int:
    kind = iso20022.message_type_of(xml)
    if kind in (iso20022.MessageType.PAIN_001, iso20022.MessageType.PAIN_008):
        return sum(i.amount_fen for i in iso20022.parse_initiation(xml).items)
    if kind is iso20022.MessageType.CAMT_054:
        return sum(e.amount_fen for e in iso20022.parse_camt054(xml))
    if kind is iso20022.MessageType.CAMT_053:
        return sum(e.amount_fen for e in iso20022.parse_camt053(xml).entries)
    return 0


def demo_day(out: Path, seed: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="puhui-payments-day-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'payments.db'}"
        settings = Settings(
            database_url=url,
            var_dir=Path(tmp) / "var",
            environment="demo",
            data_key=base64.b64encode(random.Random(seed).randbytes(32)).decode(),
        )
        upgrade(url)
        rt = build_runtime(settings)
        day = _run_day(rt, seed)
        written = _write(rt, out)
        rt.engine.dispose()
    invalid = [p.name for p in sorted(out.glob("*.xml")) if iso20022.schema_errors(p.read_bytes())]
    return {"day": DAY.isoformat(), "seed": seed, **day, **written, "invalid": invalid}


@payments_app.command("demo-day")
def demo_day_cmd(
    out: Annotated[Path, typer.Argument(help="directory for the messages (created)")],
    seed: Annotated[int, typer.Option(help="random seed")] = 7,
) -> None:
    """One business day of sandbox payments in a throwaway database; every ISO 20022 message
    into OUT, one file each; the last line is JSON with counts and sums by message type."""
    result = demo_day(out, seed)
    for kind, count in result["counts"].items():
        typer.echo(f"{kind:18} {count:4d} messages  {result['sums_fen'][kind] / 100:>16,.2f} CNY")
    typer.echo(f"reconciliation: {result['matched']} matched, {result['breaks']} breaks")
    typer.echo(json.dumps(result, ensure_ascii=False))


@payments_app.command("run")
def run_cmd() -> None:
    """Send the payments that wait and apply what the bank sent (configured database and rail)."""
    rt = build_runtime()
    result = payments.run_rails(rt.session_factory, rt.clock, rt.cipher)
    typer.echo(json.dumps({"sent": result.sent, "timeouts": result.timeouts, **result.changed}))


@payments_app.command("reconcile")
def reconcile_cmd(
    day: Annotated[str, typer.Option("--date", help="business date YYYY-MM-DD")],
) -> None:
    """Reconcile a business date's camt.053 against the ledger's clearing account."""
    rt = build_runtime()
    with unit_of_work(rt.session_factory) as session:
        audit.set_clock(session, rt.clock)
        run = reconciliation.reconcile_day(session, rt.clock, date.fromisoformat(day))
        typer.echo(json.dumps({"day": day, "matched": run.matched, "breaks": run.breaks}))


@payments_app.command("rail-job")
def rail_job_cmd(
    every: Annotated[
        int, typer.Option(min=0, help="seconds between runs (0: run the due slot once and stop)")
    ] = 0,
) -> None:
    """The periodic rail job: submit waiting payments and fetch the bank's reports as a recorded,
    resumable job run per slot (PUHUI_PAYMENTS_RAIL_JOB_SLOT_MINUTES). Run it from a scheduler
    (cron, a systemd timer) every slot, or as a worker with --every."""
    import time

    from puhui.payments import rail_job

    rt = build_runtime()
    while True:
        for result in rail_job.run_due(rt.session_factory, rt.clock, rt.cipher):
            totals: dict[str, int] = {}
            for step in result.steps:
                for key, value in step.totals.items():
                    totals[key] = totals.get(key, 0) + value
            line = {
                "job": result.job,
                "day": result.business_date.isoformat(),
                "already_completed": result.already_completed,
                "attempts": result.attempts,
                **totals,
            }
            typer.echo(json.dumps(line))
        if not every:
            return
        time.sleep(every)
