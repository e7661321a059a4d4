"""Payment rails: where the ISO 20022 messages go and where the answers come from.

`PaymentRail` is message-level: `submit(xml)` sends a pain.001 or pain.008 and returns the
bank's pain.002 (or raises `RailTimeout` when no answer came: the message may or may not have
arrived); `poll(day)` fetches what the bank sent since (pain.002 settlement reports, camt.054
debit/credit notifications); `statement(day)` the day's camt.053.

* `SandboxRail` (沙箱) is a simulated clearing house behind the same messages: it reads each
  initiation, clears it with configurable behaviour (a settlement delay counted in polls,
  rejected accounts, accounts whose payment is returned after settlement, lost answers, every
  notification delivered twice), books the entries of our account at the clearing bank and
  writes the camt.053 from them — with breaks injected on demand for the reconciliation. Like a
  real bank it treats a repeated end-to-end id as a duplicate and answers with the first
  submission's status, so a resubmission after a timeout never pays twice. Development, demo
  and test only (`refuse_sandbox_outside_development`).
* `HttpRail` speaks to a bank's gateway over HTTP (httpx): `POST /iso20022/messages` (XML body,
  the message id as `Idempotency-Key`; answers `{"report": "<pain.002>"}`), `GET
  /iso20022/inbox` (`{"messages": [...]}`), `GET /iso20022/statements/{day}`
  (`{"statement": "<camt.053>"}`). A transport timeout or a 5xx is a `RailTimeout`.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Protocol

import httpx

from puhui.core.clock import Clock, SystemClock
from puhui.core.config import Settings, get_settings
from puhui.core.ids import new_id
from puhui.core.sms import refuse_sandbox_outside_development
from puhui.payments import iso20022 as iso
from puhui.payments.config import PaymentSettings
from puhui.payments.iso20022 import Entry, Instruction, MessageType, StatusLine, TxStatus

SANDBOX = "sandbox"
HTTP = "iso20022_http"
# our own account at the clearing bank (备付金/清算账户) and its bank code, sandbox defaults
OWN_ACCOUNT = "900000000001"
OWN_BANK_CODE = "313100000013"
OWN_NAME = "普惠银行"


class RailTimeout(Exception):
    """No answer from the rail: the message may or may not have arrived."""


class PaymentRail(Protocol):
    name: str
    sandbox: bool

    def submit(self, xml: bytes) -> bytes: ...

    def poll(self, day: date) -> list[bytes]: ...

    def statement(self, day: date) -> bytes: ...


@dataclass
class SandboxBehaviour:
    """How the simulated clearing behaves (tests and the demo set it)."""

    settle_after_polls: int = 0  # the delay: polls between acceptance and settlement
    reject_accounts: frozenset[str] = frozenset()  # creditor (payouts) / debtor (debits) accounts
    return_accounts: frozenset[str] = frozenset()  # settled, then sent back
    timeouts: int = 0  # the next N submissions are cleared but their answer is lost
    duplicate_notifications: bool = False  # every camt.054 is delivered twice
    reject_rate: float = 0.0  # random rejections (seeded)
    seed: int = 0


@dataclass
class _Tx:
    item: Instruction
    debit: bool  # a direct debit (money comes in); else a credit transfer (money goes out)
    message_id: str
    status: TxStatus
    reason: str = ""
    polls: int = 0
    returned: bool = False


@dataclass
class _Break:
    entry: Entry


@dataclass
class SandboxRail:
    """The simulated clearing house (沙箱). Thread-safe; state lives in the process."""

    behaviour: SandboxBehaviour = field(default_factory=SandboxBehaviour)
    account: str = OWN_ACCOUNT
    name: str = SANDBOX
    sandbox: bool = True
    submissions: int = 0  # every initiation received, duplicates included
    clock: Clock = field(default_factory=SystemClock)  # the messages' creation stamps

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._txs: dict[str, _Tx] = {}
        self._outbox: list[bytes] = []
        self._booked: list[Entry] = []
        self._random = random.Random(self.behaviour.seed)

    # -- the bank side of a submission
    def submit(self, xml: bytes) -> bytes:
        initiation = iso.parse_initiation(xml)
        debit = initiation.message_type is MessageType.PAIN_008
        with self._lock:
            self.submissions += 1
            lines = [self._clear(item, debit, initiation.message_id) for item in initiation.items]
            report = iso.build_pain002(
                f"SBX-{new_id().hex[:20]}",
                self.clock.now(),
                initiation.message_id,
                initiation.message_type,
                lines,
            )
            if self.behaviour.timeouts > 0:
                self.behaviour.timeouts -= 1
                raise RailTimeout("sandbox: the answer was lost (simulated timeout)")
        return report

    def _clear(self, item: Instruction, debit: bool, message_id: str) -> StatusLine:
        seen = self._txs.get(item.end_to_end_id)
        if seen is not None:  # a duplicate: the first submission's status, nothing new
            return StatusLine(item.end_to_end_id, seen.status, seen.reason)
        account = item.debtor.account if debit else item.creditor.account
        rejected = account in self.behaviour.reject_accounts or (
            self.behaviour.reject_rate > 0 and self._random.random() < self.behaviour.reject_rate
        )
        status = TxStatus.REJECTED if rejected else TxStatus.ACCEPTED
        reason = ("AM04" if debit else "AC04") if rejected else ""
        self._txs[item.end_to_end_id] = _Tx(item, debit, message_id, status, reason)
        return StatusLine(item.end_to_end_id, status, reason)

    # -- what the bank sends afterwards
    def poll(self, day: date) -> list[bytes]:
        with self._lock:
            entries: list[Entry] = []
            settled: list[StatusLine] = []
            for tx in self._txs.values():
                entries.extend(self._advance(tx, day, settled))
            if settled:
                self._outbox.append(
                    iso.build_pain002(
                        f"SBX-{new_id().hex[:20]}",
                        self.clock.now(),
                        "SETTLEMENT",
                        MessageType.PAIN_001,
                        settled,
                    )
                )
            if entries:
                note = iso.build_camt054(
                    f"SBX-{new_id().hex[:20]}", self.clock.now(), self.account, entries
                )
                self._outbox.append(note)
                if self.behaviour.duplicate_notifications:
                    self._outbox.append(note)
            out, self._outbox = self._outbox, []
        return out

    def _advance(self, tx: _Tx, day: date, settled: list[StatusLine]) -> list[Entry]:
        if tx.status is TxStatus.ACCEPTED:
            if tx.polls < self.behaviour.settle_after_polls:
                tx.polls += 1
                return []
            tx.status = TxStatus.SETTLED
            settled.append(StatusLine(tx.item.end_to_end_id, TxStatus.SETTLED))
            entry = Entry(
                tx.item.end_to_end_id,
                tx.item.amount_fen,
                credit=tx.debit,
                booking_date=day,
                reference=f"BK{new_id().hex[:16]}",
            )
            self._booked.append(entry)
            return [entry]
        account = tx.item.debtor.account if tx.debit else tx.item.creditor.account
        if (
            tx.status is TxStatus.SETTLED
            and not tx.returned
            and account in self.behaviour.return_accounts
        ):
            tx.returned = True
            entry = Entry(
                tx.item.end_to_end_id,
                tx.item.amount_fen,
                credit=not tx.debit,
                booking_date=day,
                reversal=True,
                reference=f"BK{new_id().hex[:16]}",
                reason="MD06" if tx.debit else "AC04",
            )
            self._booked.append(entry)
            return [entry]
        return []

    def statement(self, day: date) -> bytes:
        with self._lock:
            entries = tuple(e for e in self._booked if e.booking_date == day)
        return statement_xml(self.account, day, entries, self.clock.now())

    # -- test and demo controls
    def inject_break(self, entry: Entry) -> None:
        """Book an entry the ledger never saw (or with another amount): a reconciliation break."""
        with self._lock:
            self._booked.append(entry)

    def status_of(self, end_to_end_id: str) -> TxStatus | None:
        tx = self._txs.get(end_to_end_id)
        return tx.status if tx else None

    def settlements(self, end_to_end_id: str) -> int:
        """How many times the payment was booked as settled (never more than once)."""
        return sum(1 for e in self._booked if e.end_to_end_id == end_to_end_id and not e.reversal)


def statement_xml(
    account: str, day: date, entries: tuple[Entry, ...], created_at: datetime
) -> bytes:
    net = sum(e.amount_fen if e.credit else -e.amount_fen for e in entries)
    statement = iso.Statement(
        message_id=f"STMT-{day.isoformat()}",
        account=account,
        day=day,
        opening_fen=0,
        closing_fen=net,
        entries=entries,
    )
    return iso.build_camt053(f"STMT-{day:%Y%m%d}-{new_id().hex[:8]}", created_at, statement)


class HttpRail:
    """A bank's ISO 20022 gateway over HTTP (see the module docstring)."""

    sandbox = False
    name = HTTP

    def __init__(self, base_url: str, api_key: str, *, timeout_s: float = 10.0) -> None:
        self._client = httpx.Client(
            base_url=base_url.rstrip("/"),
            timeout=timeout_s,
            headers={"Authorization": f"Bearer {api_key}"},
        )

    def _call(self, method: str, path: str, **kwargs: object) -> dict[str, object]:
        try:
            response = self._client.request(method, path, **kwargs)  # type: ignore[arg-type]
        except httpx.TransportError as exc:
            raise RailTimeout(f"{method} {path}: {type(exc).__name__}") from exc
        if response.status_code >= 500 or response.status_code == 429:
            raise RailTimeout(f"{method} {path}: HTTP {response.status_code}")
        response.raise_for_status()
        body = response.json()
        return body if isinstance(body, dict) else {}

    def submit(self, xml: bytes) -> bytes:
        message_id = iso.parse_initiation(xml).message_id
        body = self._call(
            "POST",
            "/iso20022/messages",
            content=xml,
            headers={"Content-Type": "application/xml", "Idempotency-Key": message_id},
        )
        return str(body["report"]).encode()

    def poll(self, day: date) -> list[bytes]:
        body = self._call("GET", "/iso20022/inbox", params={"date": day.isoformat()})
        messages = body.get("messages") or []
        return [str(m).encode() for m in messages] if isinstance(messages, list) else []

    def statement(self, day: date) -> bytes:
        body = self._call("GET", f"/iso20022/statements/{day.isoformat()}")
        return str(body["statement"]).encode()


_rail: PaymentRail | None = None
_override: PaymentRail | None = None  # a test's or the demo's rail (`use_rail`)
_rail_lock = threading.Lock()


def build_rail(core: Settings, settings: PaymentSettings | None = None) -> PaymentRail:
    """The rail the settings name (`PUHUI_PAYMENTS_RAIL`: sandbox or iso20022_http); the
    sandbox is refused outside development, demo and test."""
    settings = settings or PaymentSettings()
    if settings.rail == HTTP:
        return HttpRail(settings.rail_url, settings.rail_api_key, timeout_s=settings.rail_timeout_s)
    refuse_sandbox_outside_development(core, "payment rail (PUHUI_PAYMENTS_RAIL)")
    return SandboxRail(account=settings.own_account)


def configure(core: Settings) -> PaymentRail:
    """Build the process's rail at start-up (`create_app`) from the settings: production
    refuses the sandbox here, before serving anything."""
    global _rail
    with _rail_lock:
        rail = build_rail(core)
        if _override is not None:
            return _override
        _rail = rail
        return rail


def get_rail() -> PaymentRail:
    """The process's rail (`use_rail`'s while one is in use), built on first use."""
    global _rail
    with _rail_lock:
        if _override is not None:
            return _override
        if _rail is None:
            _rail = build_rail(get_settings())
        return _rail


@contextmanager
def use_rail(rail: PaymentRail) -> Iterator[PaymentRail]:
    """Tests and the demo: run with `rail` as the process's rail."""
    global _override
    previous = _override
    _override = rail
    try:
        yield rail
    finally:
        _override = previous
