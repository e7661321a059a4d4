"""ISO 20022 messages: build and read pain.001, pain.002, pain.008, camt.054 and camt.053.

Pure (no database, no I/O but reading the bundled schemas). The messages are built and parsed
with the `pyiso20022` bindings (xsdata dataclasses generated from the ISO schemas, MIT) and
serialized by `xsdata`; `validate` checks a document against the official XSD bundled in
`payments/xsd/` (lxml), so the tests validate offline.

Versions: the ISO 20022 2019/2020 release that CBPR+ and most domestic schemes adopted —
pain.001.001.10, pain.002.001.11, pain.008.001.09, camt.053.001.08, camt.054.001.08. Amounts
go out in yuan with two decimals (`CNY`) and come back to integer fen; an account is its number
(`Othr/Id`), a bank its CNAPS code 行号 (`ClrSysMmbId/MmbId`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

from lxml import etree
from pyiso20022.camt.camt_053_001_08 import camt_053_001_08 as c053
from pyiso20022.camt.camt_054_001_08 import camt_054_001_08 as c054
from pyiso20022.pain.pain_001_001_10 import pain_001_001_10 as p001
from pyiso20022.pain.pain_002_001_11 import pain_002_001_11 as p002
from pyiso20022.pain.pain_008_001_09 import pain_008_001_09 as p008
from xsdata.formats.dataclass.parsers import XmlParser
from xsdata.formats.dataclass.serializers import XmlSerializer
from xsdata.formats.dataclass.serializers.config import SerializerConfig
from xsdata.models.datatype import XmlDate, XmlDateTime

XSD_DIR = Path(__file__).parent / "xsd"
CURRENCY = "CNY"


class MessageType(StrEnum):
    PAIN_001 = "pain.001.001.10"  # credit transfer initiation (we → our bank)
    PAIN_002 = "pain.002.001.11"  # payment status report (bank → us)
    PAIN_008 = "pain.008.001.09"  # direct debit initiation (we → bank)
    CAMT_054 = "camt.054.001.08"  # debit/credit notification (bank → us)
    CAMT_053 = "camt.053.001.08"  # end-of-day statement (bank → us)


_MODULES: dict[MessageType, ModuleType] = {
    MessageType.PAIN_001: p001,
    MessageType.PAIN_002: p002,
    MessageType.PAIN_008: p008,
    MessageType.CAMT_054: c054,
    MessageType.CAMT_053: c053,
}


class TxStatus(StrEnum):
    """The ISO external status codes a pain.002 carries for one transaction."""

    ACCEPTED = "ACSP"  # accepted, settlement in process
    SETTLED = "ACSC"  # accepted, settlement completed
    REJECTED = "RJCT"


@dataclass(frozen=True)
class Party:
    name: str
    account: str  # the account number (plain: messages are built only to be sent)
    bank_code: str  # CNAPS 行号


@dataclass(frozen=True)
class Instruction:
    """One credit transfer (pain.001) or direct debit (pain.008)."""

    end_to_end_id: str
    amount_fen: int
    debtor: Party
    creditor: Party
    remittance: str = ""
    mandate_id: str = ""  # direct debits only
    mandate_signed: date | None = None


@dataclass(frozen=True)
class StatusLine:
    end_to_end_id: str
    status: TxStatus
    reason: str = ""  # ISO reason code (AC04 closed account, AM04 insufficient funds, ...)


@dataclass(frozen=True)
class Entry:
    """One booked entry of a camt.054 notification or a camt.053 statement."""

    end_to_end_id: str
    amount_fen: int
    credit: bool  # CRDT to our account, else DBIT
    booking_date: date
    reversal: bool = False  # a return of an earlier entry (RvslInd)
    reference: str = ""  # the bank's own reference (AcctSvcrRef)
    reason: str = ""  # return reason code, when a reversal


@dataclass(frozen=True)
class Statement:
    message_id: str
    account: str
    day: date
    opening_fen: int
    closing_fen: int
    entries: tuple[Entry, ...]


def to_yuan(fen: int) -> Decimal:
    return (Decimal(fen) / 100).quantize(Decimal("0.01"))


def to_fen(amount: Decimal) -> int:
    return int((amount * 100).to_integral_value())


def _dt(at: datetime) -> XmlDateTime:
    return XmlDateTime.from_datetime(at.replace(microsecond=0))


def _d(day: date) -> XmlDate:
    return XmlDate.from_date(day)


def _party(m: ModuleType, name: str) -> Any:
    return m.PartyIdentification135(nm=name[:140])


def _account(m: ModuleType, number: str) -> Any:
    return m.CashAccount38(
        id=m.AccountIdentification4Choice(othr=m.GenericAccountIdentification1(id=number)),
        ccy=CURRENCY,
    )


def _agent(m: ModuleType, bank_code: str) -> Any:
    member = m.ClearingSystemMemberIdentification2(mmb_id=bank_code)
    return m.BranchAndFinancialInstitutionIdentification6(
        fin_instn_id=m.FinancialInstitutionIdentification18(clr_sys_mmb_id=member)
    )


def _amount(m: ModuleType, fen: int) -> Any:
    return m.ActiveOrHistoricCurrencyAndAmount(value=to_yuan(fen), ccy=CURRENCY)


def _serialize(document: Any, message_type: MessageType) -> bytes:
    config = SerializerConfig(indent="  ", xml_declaration=True, encoding="UTF-8")
    text = XmlSerializer(config=config).render(
        document, ns_map={None: f"urn:iso:std:iso:20022:tech:xsd:{message_type.value}"}
    )
    return text.encode("utf-8")


def _parse(xml: bytes, message_type: MessageType) -> Any:
    return XmlParser().from_bytes(xml, _MODULES[message_type].Document)


def message_type_of(xml: bytes) -> MessageType:
    """The message type a document declares by its namespace."""
    root = etree.fromstring(xml)
    namespace = etree.QName(root).namespace or ""
    return MessageType(namespace.rsplit(":", 1)[-1])


# ---------------------------------------------------------------- validation


@cache
def _schema(message_type: MessageType) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(XSD_DIR / f"{message_type.value}.xsd")))


def schema_errors(xml: bytes, message_type: MessageType | None = None) -> list[str]:
    """The document's violations of its ISO 20022 schema (empty: valid)."""
    kind = message_type or message_type_of(xml)
    schema = _schema(kind)
    document = etree.fromstring(xml)
    if schema.validate(document):
        return []
    return [f"{e.line}: {e.message}" for e in schema.error_log]


# ---------------------------------------------------------------- pain.001 / pain.008


def build_pain001(
    message_id: str, at: datetime, initiator: str, execution: date, items: list[Instruction]
) -> bytes:
    """One pain.001 with one payment block per debtor account (usually one)."""
    m = p001
    blocks = []
    for index, (debtor, group) in enumerate(_by_debtor(items).items()):
        txs = [
            m.CreditTransferTransaction40(
                pmt_id=m.PaymentIdentification6(
                    instr_id=i.end_to_end_id, end_to_end_id=i.end_to_end_id
                ),
                amt=m.AmountType4Choice(instd_amt=_amount(m, i.amount_fen)),
                cdtr_agt=_agent(m, i.creditor.bank_code),
                cdtr=_party(m, i.creditor.name),
                cdtr_acct=_account(m, i.creditor.account),
                rmt_inf=m.RemittanceInformation16(ustrd=[i.remittance[:140]])
                if i.remittance
                else None,
            )
            for i in group
        ]
        blocks.append(
            m.PaymentInstruction34(
                pmt_inf_id=f"{message_id}-{index + 1}",
                pmt_mtd=m.PaymentMethod3Code.TRF,
                nb_of_txs=str(len(group)),
                ctrl_sum=to_yuan(sum(i.amount_fen for i in group)),
                reqd_exctn_dt=m.DateAndDateTime2Choice(dt=_d(execution)),
                dbtr=_party(m, debtor.name),
                dbtr_acct=_account(m, debtor.account),
                dbtr_agt=_agent(m, debtor.bank_code),
                cdt_trf_tx_inf=txs,
            )
        )
    document = m.Document(
        cstmr_cdt_trf_initn=m.CustomerCreditTransferInitiationV10(
            grp_hdr=m.GroupHeader95(
                msg_id=message_id,
                cre_dt_tm=_dt(at),
                nb_of_txs=str(len(items)),
                ctrl_sum=to_yuan(sum(i.amount_fen for i in items)),
                initg_pty=_party(m, initiator),
            ),
            pmt_inf=blocks,
        )
    )
    return _serialize(document, MessageType.PAIN_001)


def _by_debtor(items: list[Instruction]) -> dict[Party, list[Instruction]]:
    groups: dict[Party, list[Instruction]] = {}
    for item in items:
        groups.setdefault(item.debtor, []).append(item)
    return groups


def _by_creditor(items: list[Instruction]) -> dict[Party, list[Instruction]]:
    groups: dict[Party, list[Instruction]] = {}
    for item in items:
        groups.setdefault(item.creditor, []).append(item)
    return groups


def build_pain008(
    message_id: str, at: datetime, initiator: str, collection: date, items: list[Instruction]
) -> bytes:
    """One pain.008: we (the creditor) collect from each debtor's account under a mandate."""
    m = p008
    blocks = []
    for index, (creditor, group) in enumerate(_by_creditor(items).items()):
        txs = [
            m.DirectDebitTransactionInformation23(
                pmt_id=m.PaymentIdentification6(
                    instr_id=i.end_to_end_id, end_to_end_id=i.end_to_end_id
                ),
                instd_amt=_amount(m, i.amount_fen),
                drct_dbt_tx=m.DirectDebitTransaction10(
                    mndt_rltd_inf=m.MandateRelatedInformation14(
                        mndt_id=i.mandate_id or None,
                        dt_of_sgntr=_d(i.mandate_signed) if i.mandate_signed else None,
                    )
                ),
                dbtr_agt=_agent(m, i.debtor.bank_code),
                dbtr=_party(m, i.debtor.name),
                dbtr_acct=_account(m, i.debtor.account),
                rmt_inf=m.RemittanceInformation16(ustrd=[i.remittance[:140]])
                if i.remittance
                else None,
            )
            for i in group
        ]
        blocks.append(
            m.PaymentInstruction37(
                pmt_inf_id=f"{message_id}-{index + 1}",
                pmt_mtd=m.PaymentMethod2Code.DD,
                nb_of_txs=str(len(group)),
                ctrl_sum=to_yuan(sum(i.amount_fen for i in group)),
                pmt_tp_inf=m.PaymentTypeInformation29(seq_tp=m.SequenceType3Code.RCUR),
                reqd_colltn_dt=_d(collection),
                cdtr=_party(m, creditor.name),
                cdtr_acct=_account(m, creditor.account),
                cdtr_agt=_agent(m, creditor.bank_code),
                drct_dbt_tx_inf=txs,
            )
        )
    document = m.Document(
        cstmr_drct_dbt_initn=m.CustomerDirectDebitInitiationV09(
            grp_hdr=m.GroupHeader83(
                msg_id=message_id,
                cre_dt_tm=_dt(at),
                nb_of_txs=str(len(items)),
                ctrl_sum=to_yuan(sum(i.amount_fen for i in items)),
                initg_pty=_party(m, initiator),
            ),
            pmt_inf=blocks,
        )
    )
    return _serialize(document, MessageType.PAIN_008)


def _account_number(account: Any) -> str:
    return str(account.id.othr.id) if account and account.id and account.id.othr else ""


def _bank_code(agent: Any) -> str:
    member = agent.fin_instn_id.clr_sys_mmb_id if agent and agent.fin_instn_id else None
    return str(member.mmb_id) if member else ""


def _remittance(info: Any) -> str:
    return str(info.ustrd[0]) if info is not None and info.ustrd else ""


@dataclass(frozen=True)
class Initiation:
    """A pain.001 or pain.008 read back: its id, kind and instructions."""

    message_id: str
    message_type: MessageType
    items: tuple[Instruction, ...]


def parse_initiation(xml: bytes) -> Initiation:
    kind = message_type_of(xml)
    if kind is MessageType.PAIN_001:
        doc = _parse(xml, kind).cstmr_cdt_trf_initn
        items = [
            Instruction(
                end_to_end_id=tx.pmt_id.end_to_end_id,
                amount_fen=to_fen(tx.amt.instd_amt.value),
                debtor=Party(
                    block.dbtr.nm or "",
                    _account_number(block.dbtr_acct),
                    _bank_code(block.dbtr_agt),
                ),
                creditor=Party(
                    tx.cdtr.nm or "", _account_number(tx.cdtr_acct), _bank_code(tx.cdtr_agt)
                ),
                remittance=_remittance(tx.rmt_inf),
            )
            for block in doc.pmt_inf
            for tx in block.cdt_trf_tx_inf
        ]
    elif kind is MessageType.PAIN_008:
        doc = _parse(xml, kind).cstmr_drct_dbt_initn
        items = [
            Instruction(
                end_to_end_id=tx.pmt_id.end_to_end_id,
                amount_fen=to_fen(tx.instd_amt.value),
                debtor=Party(
                    tx.dbtr.nm or "", _account_number(tx.dbtr_acct), _bank_code(tx.dbtr_agt)
                ),
                creditor=Party(
                    block.cdtr.nm or "",
                    _account_number(block.cdtr_acct),
                    _bank_code(block.cdtr_agt),
                ),
                remittance=_remittance(tx.rmt_inf),
                mandate_id=(tx.drct_dbt_tx.mndt_rltd_inf.mndt_id or "")
                if tx.drct_dbt_tx and tx.drct_dbt_tx.mndt_rltd_inf
                else "",
            )
            for block in doc.pmt_inf
            for tx in block.drct_dbt_tx_inf
        ]
    else:
        raise ValueError(f"{kind.value} is not an initiation")
    return Initiation(message_id=doc.grp_hdr.msg_id, message_type=kind, items=tuple(items))


# ---------------------------------------------------------------- pain.002


def build_pain002(
    message_id: str,
    at: datetime,
    original_id: str,
    original_type: MessageType,
    lines: list[StatusLine],
) -> bytes:
    m = p002
    txs = [
        m.PaymentTransaction126(
            orgnl_end_to_end_id=line.end_to_end_id,
            tx_sts=line.status.value,
            sts_rsn_inf=[m.StatusReasonInformation12(rsn=m.StatusReason6Choice(cd=line.reason))]
            if line.reason
            else [],
        )
        for line in lines
    ]
    document = m.Document(
        cstmr_pmt_sts_rpt=m.CustomerPaymentStatusReportV11(
            grp_hdr=m.GroupHeader86(msg_id=message_id, cre_dt_tm=_dt(at)),
            orgnl_grp_inf_and_sts=m.OriginalGroupHeader17(
                orgnl_msg_id=original_id, orgnl_msg_nm_id=original_type.value
            ),
            orgnl_pmt_inf_and_sts=[
                m.OriginalPaymentInstruction38(
                    orgnl_pmt_inf_id=f"{original_id}-1", tx_inf_and_sts=txs
                )
            ],
        )
    )
    return _serialize(document, MessageType.PAIN_002)


def parse_pain002(xml: bytes) -> tuple[str, list[StatusLine]]:
    """(the original message's id, the status of each transaction)."""
    report = _parse(xml, MessageType.PAIN_002).cstmr_pmt_sts_rpt
    lines = [
        StatusLine(
            end_to_end_id=tx.orgnl_end_to_end_id or "",
            status=TxStatus(tx.tx_sts),
            reason=(tx.sts_rsn_inf[0].rsn.cd or "")
            if tx.sts_rsn_inf and tx.sts_rsn_inf[0].rsn
            else "",
        )
        for block in report.orgnl_pmt_inf_and_sts
        for tx in block.tx_inf_and_sts
    ]
    return report.orgnl_grp_inf_and_sts.orgnl_msg_id, lines


# ---------------------------------------------------------------- camt.054 / camt.053

_BOOKED = "BOOK"


def _entry(m: ModuleType, e: Entry) -> Any:
    code = "RETURN" if e.reversal else "TRANSFER"
    return m.ReportEntry10(
        ntry_ref=e.reference or None,
        amt=_amount(m, e.amount_fen),
        cdt_dbt_ind=m.CreditDebitCode.CRDT if e.credit else m.CreditDebitCode.DBIT,
        rvsl_ind=True if e.reversal else None,
        sts=m.EntryStatus1Choice(cd=_BOOKED),
        bookg_dt=m.DateAndDateTime2Choice(dt=_d(e.booking_date)),
        acct_svcr_ref=e.reference or None,
        bk_tx_cd=m.BankTransactionCodeStructure4(
            prtry=m.ProprietaryBankTransactionCodeStructure1(cd=code)
        ),
        ntry_dtls=[
            m.EntryDetails9(
                tx_dtls=[
                    m.EntryTransaction10(
                        refs=m.TransactionReferences6(end_to_end_id=e.end_to_end_id),
                        amt=_amount(m, e.amount_fen),
                        cdt_dbt_ind=m.CreditDebitCode.CRDT if e.credit else m.CreditDebitCode.DBIT,
                    )
                ]
            )
        ],
        addtl_ntry_inf=e.reason or None,
    )


def _read_entry(raw: Any) -> Entry:
    details = raw.ntry_dtls[0].tx_dtls[0] if raw.ntry_dtls and raw.ntry_dtls[0].tx_dtls else None
    e2e = details.refs.end_to_end_id if details is not None and details.refs else ""
    return Entry(
        end_to_end_id=e2e or "",
        amount_fen=to_fen(raw.amt.value),
        credit=raw.cdt_dbt_ind.value == "CRDT",
        booking_date=raw.bookg_dt.dt.to_date(),
        reversal=bool(raw.rvsl_ind),
        reference=raw.acct_svcr_ref or "",
        reason=raw.addtl_ntry_inf or "",
    )


def _cash_account(m: ModuleType, number: str) -> Any:
    return m.CashAccount39(
        id=m.AccountIdentification4Choice(othr=m.GenericAccountIdentification1(id=number)),
        ccy=CURRENCY,
    )


def build_camt054(message_id: str, at: datetime, account: str, entries: list[Entry]) -> bytes:
    m = c054
    document = m.Document(
        bk_to_cstmr_dbt_cdt_ntfctn=m.BankToCustomerDebitCreditNotificationV08(
            grp_hdr=m.GroupHeader81(msg_id=message_id, cre_dt_tm=_dt(at)),
            ntfctn=[
                m.AccountNotification17(
                    id=message_id,
                    acct=_cash_account(m, account),
                    ntry=[_entry(m, e) for e in entries],
                )
            ],
        )
    )
    return _serialize(document, MessageType.CAMT_054)


def parse_camt054(xml: bytes) -> list[Entry]:
    doc = _parse(xml, MessageType.CAMT_054).bk_to_cstmr_dbt_cdt_ntfctn
    return [_read_entry(raw) for notification in doc.ntfctn for raw in notification.ntry]


def _balance(m: ModuleType, code: str, fen: int, day: date) -> Any:
    return m.CashBalance8(
        tp=m.BalanceType13(cd_or_prtry=m.BalanceType10Choice(cd=code)),
        amt=_amount(m, abs(fen)),
        cdt_dbt_ind=m.CreditDebitCode.CRDT if fen >= 0 else m.CreditDebitCode.DBIT,
        dt=m.DateAndDateTime2Choice(dt=_d(day)),
    )


def build_camt053(message_id: str, at: datetime, statement: Statement) -> bytes:
    m = c053
    document = m.Document(
        bk_to_cstmr_stmt=m.BankToCustomerStatementV08(
            grp_hdr=m.GroupHeader81(msg_id=message_id, cre_dt_tm=_dt(at)),
            stmt=[
                m.AccountStatement9(
                    id=statement.message_id,
                    acct=_cash_account(m, statement.account),
                    bal=[
                        _balance(m, "OPBD", statement.opening_fen, statement.day),
                        _balance(m, "CLBD", statement.closing_fen, statement.day),
                    ],
                    ntry=[_entry(m, e) for e in statement.entries],
                )
            ],
        )
    )
    return _serialize(document, MessageType.CAMT_053)


def parse_camt053(xml: bytes) -> Statement:
    doc = _parse(xml, MessageType.CAMT_053).bk_to_cstmr_stmt
    stmt = doc.stmt[0]
    balances = {
        b.tp.cd_or_prtry.cd: to_fen(b.amt.value) * (1 if b.cdt_dbt_ind.value == "CRDT" else -1)
        for b in stmt.bal
    }
    day = stmt.bal[0].dt.dt.to_date() if stmt.bal else date.min
    return Statement(
        message_id=stmt.id,
        account=_account_number(stmt.acct),
        day=day,
        opening_fen=balances.get("OPBD", 0),
        closing_fen=balances.get("CLBD", 0),
        entries=tuple(_read_entry(raw) for raw in stmt.ntry),
    )
