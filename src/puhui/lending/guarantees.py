"""Guarantees (保证担保) on credit lines: the guarantor's consent and its own bureau/registry
pull, the guarantee contract signed with a one-time code to the guarantor's verified mobile,
the exposure counted in the guarantor's related-party group, the policy's requirement of a
guarantee before a line is activated, and the calls on it (statuses and the call's amount:
`guarantees_rules`).

* `propose` records a guarantor (a person or an enterprise) for a line with the amount it
  guarantees and renders the guarantee contract's text (deterministic; its SHA-256 stored).
  A person guarantor must be a registered legal representative of an enterprise: that
  enterprise is where its consent is recorded and where the guarantee counts in the group cap.
* `check` grants the guarantor's consent (credit decision purpose) and pulls its own sources
  through the data hub — an enterprise's registry, judicial record and credit report; a
  person's credit report — and keeps the snapshot ids and a short summary.
* `send_code` / `sign`: the same e-contract flow as the loan contract — a one-time code
  (`core.otp`) by SMS (`core.outbox`) to the mobile the carrier confirmed for the signer
  (three-factor verification), the signature recorded with the hash it binds.
* `guaranteed_sum` is the guarantees' exposure as an expression, folded by decisioning into the
  related-party group's exposure (the group cap).
* `require` / `check_activation`: a line whose limit is above the policy's
  ``guarantor_above_fen`` needs signed guarantees covering it before it is activated.
* `call_due` (an end-of-day step) calls the guarantees of every loan written off or 90 days past
  due: one `GuaranteeCall` per guarantee and loan, a claim on the guarantor.

Services never commit. Every change is audited.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, ScalarSelect, Select, func, select
from sqlalchemy.orm import Session

from puhui.consents import service as consents_service
from puhui.consents.schemas import Channel, ConsentScope, Purpose
from puhui.consents.sources import SourceName
from puhui.core import audit, otp, outbox
from puhui.core.auth import Principal
from puhui.core.clock import Clock, business_date
from puhui.core.crypto import FieldCipher, sha256_hex
from puhui.core.ids import new_id, reference_from_id
from puhui.core.money import format_fen
from puhui.datahub import service as datahub_service
from puhui.datahub.connectors import Connectors
from puhui.identity import service as identity_service
from puhui.lending import loans
from puhui.lending.guarantees_errors import (
    GuaranteeNotChecked,
    GuaranteeNotFound,
    GuaranteeRequired,
    GuaranteeWrongStatus,
    GuarantorInvalid,
)
from puhui.lending.guarantees_models import (
    Guarantee,
    GuaranteeCall,
    GuaranteeEvent,
    GuaranteeRequirement,
    GuaranteeSignature,
)
from puhui.lending.guarantees_rules import (
    BINDING,
    GuaranteeStatus,
    GuarantorKind,
    can_move,
)
from puhui.lending.models import CreditLine, LineStatus
from puhui.parties import service as parties_service

OTP_PURPOSE = "guarantee.sign"
SMS_TOPIC = "guarantee.sign_otp"
PURPOSE = Purpose.CREDIT_DECISION
ENTERPRISE_SOURCES = (SourceName.REGISTRY, SourceName.JUDICIAL, SourceName.CREDIT_BUREAU)
PERSON_SOURCES = (SourceName.CREDIT_BUREAU,)
TEMPLATE_VERSION = "guarantee-contract/v1"

_STATUS_ZH = {
    GuaranteeStatus.PROPOSED: "待授权查询",
    GuaranteeStatus.CHECKED: "已查询，待签署",
    GuaranteeStatus.SENT_FOR_SIGNATURE: "待签署",
    GuaranteeStatus.SIGNED: "已签署",
    GuaranteeStatus.CALLED: "已代偿追索",
    GuaranteeStatus.RELEASED: "已解除",
    GuaranteeStatus.CANCELLED: "已作废",
}


def _invalid(why_zh: str, why_en: str, field: str | None = None) -> GuarantorInvalid:
    return GuarantorInvalid(field=field, why_zh=why_zh, why_en=why_en)


# ----------------------------------------------------------------------------- reading


def get_guarantee(session: Session, guarantee_id: uuid.UUID) -> Guarantee:
    row = session.get(Guarantee, guarantee_id)
    if row is None:
        raise GuaranteeNotFound()
    return row


def get_guarantee_for(session: Session, principal: Principal, guarantee_id: uuid.UUID) -> Guarantee:
    """A guarantee as the principal may see it: staff any; a borrower user only one it signs
    for (its enterprise is the guarantor's), else not found."""
    row = get_guarantee(session, guarantee_id)
    if not principal.can_act_for(row.exposure_enterprise_id):
        raise GuaranteeNotFound()
    return row


def guarantees_of_line(session: Session, line_id: uuid.UUID) -> list[Guarantee]:
    return list(
        session.scalars(
            select(Guarantee)
            .where(Guarantee.line_id == line_id)
            .order_by(Guarantee.created_at, Guarantee.id)
        )
    )


def guarantees_to_sign(session: Session, enterprise_ids: Iterable[uuid.UUID]) -> list[Guarantee]:
    """Guarantees waiting for the signature of a guarantor acting for these enterprises."""
    ids = list(enterprise_ids)
    if not ids:
        return []
    waiting = (GuaranteeStatus.CHECKED.value, GuaranteeStatus.SENT_FOR_SIGNATURE.value,
               GuaranteeStatus.PROPOSED.value)  # fmt: skip
    return list(
        session.scalars(
            select(Guarantee)
            .where(Guarantee.exposure_enterprise_id.in_(ids), Guarantee.status.in_(waiting))
            .order_by(Guarantee.created_at)
        )
    )


def history(session: Session, guarantee_id: uuid.UUID) -> list[GuaranteeEvent]:
    return list(
        session.scalars(
            select(GuaranteeEvent)
            .where(GuaranteeEvent.guarantee_id == guarantee_id)
            .order_by(GuaranteeEvent.at, GuaranteeEvent.id)
        )
    )


def signature_of(session: Session, guarantee_id: uuid.UUID) -> GuaranteeSignature | None:
    return session.scalar(
        select(GuaranteeSignature).where(GuaranteeSignature.guarantee_id == guarantee_id)
    )


def calls_of_line(session: Session, line_id: uuid.UUID) -> list[GuaranteeCall]:
    return list(
        session.scalars(
            select(GuaranteeCall)
            .join(Guarantee, Guarantee.id == GuaranteeCall.guarantee_id)
            .where(Guarantee.line_id == line_id)
            .order_by(GuaranteeCall.created_at, GuaranteeCall.id)
        )
    )


def guaranteed_sum(enterprise_id: ColumnElement[Any]) -> ScalarSelect[int]:
    """A scalar subquery: the amounts of the binding guarantees counted on `enterprise_id` (a
    column or a bound parameter), 0 without — decisioning folds it into the related-party
    group's exposure (the group cap)."""
    return (
        select(func.coalesce(func.sum(Guarantee.amount_fen), 0))
        .where(
            Guarantee.exposure_enterprise_id == enterprise_id,
            Guarantee.status.in_([s.value for s in BINDING]),
        )
        .scalar_subquery()
    )


def binding_exposure_ids() -> Select[Any]:
    """The enterprises a binding guarantee is counted on (a person guarantor's: the enterprise
    it leads) -- exposure that post-loan monitoring watches like a line's."""
    return select(Guarantee.exposure_enterprise_id.label("enterprise_id")).where(
        Guarantee.status.in_([s.value for s in BINDING])
    )


def signed_fen(session: Session, line_id: uuid.UUID) -> int:
    return int(
        session.scalar(
            select(func.coalesce(func.sum(Guarantee.amount_fen), 0)).where(
                Guarantee.line_id == line_id,
                Guarantee.status.in_([s.value for s in BINDING]),
            )
        )
        or 0
    )


# ----------------------------------------------------------------------------- status


def _move(
    session: Session, clock: Clock, row: Guarantee, to: GuaranteeStatus, reason: str,
    actor_id: uuid.UUID | None = None,
) -> None:  # fmt: skip
    current = GuaranteeStatus(row.status)
    if not can_move(current, to):
        raise GuaranteeWrongStatus(
            status=current.value, status_zh=_STATUS_ZH[current],
            action_zh=_ACTION_ZH.get(to, "变更"), action_en=_ACTION_EN.get(to, "changed"),
        )  # fmt: skip
    now = clock.now()
    session.add(GuaranteeEvent(guarantee_id=row.id, from_status=current.value,
                               to_status=to.value, at=now, actor_id=actor_id,
                               reason=reason[:500]))  # fmt: skip
    row.status, row.updated_at = to.value, now


_ACTION_ZH = {
    GuaranteeStatus.CHECKED: "授权查询",
    GuaranteeStatus.SENT_FOR_SIGNATURE: "发送签署验证码",
    GuaranteeStatus.SIGNED: "签署",
    GuaranteeStatus.CALLED: "代偿追索",
    GuaranteeStatus.CANCELLED: "作废",
    GuaranteeStatus.RELEASED: "解除",
}
_ACTION_EN = {
    GuaranteeStatus.CHECKED: "checked",
    GuaranteeStatus.SENT_FOR_SIGNATURE: "sent for signature",
    GuaranteeStatus.SIGNED: "signed",
    GuaranteeStatus.CALLED: "called",
    GuaranteeStatus.CANCELLED: "cancelled",
    GuaranteeStatus.RELEASED: "released",
}


def _lock(session: Session, guarantee_id: uuid.UUID) -> Guarantee:
    row = session.scalar(
        select(Guarantee)
        .where(Guarantee.id == guarantee_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if row is None:
        raise GuaranteeNotFound()
    return row


# ----------------------------------------------------------------------------- proposing


@dataclass(frozen=True)
class GuarantorIn:
    kind: GuarantorKind
    amount_fen: int
    person_id: uuid.UUID | None = None
    enterprise_id: uuid.UUID | None = None


@dataclass(frozen=True)
class _Guarantor:
    name: str
    id_text: str  # USCC, or the resident ID masked
    exposure_enterprise_id: uuid.UUID
    signer_person_id: uuid.UUID


def _guarantor(session: Session, line: CreditLine, data: GuarantorIn) -> _Guarantor:
    if data.kind == GuarantorKind.ENTERPRISE:
        if data.enterprise_id is None:
            raise _invalid("请选择担保企业。", "Choose the guarantor enterprise.", "enterprise_id")
        if data.enterprise_id == line.enterprise_id:
            raise _invalid("借款企业不能为自己担保。", "A borrower cannot guarantee itself.",
                           "enterprise_id")  # fmt: skip
        ent = parties_service.get_enterprise(session, data.enterprise_id)
        reps = parties_service.legal_representatives_of(session, ent.id)
        if not reps:
            raise _invalid("担保企业未登记法定代表人，无法签署。",
                           "The guarantor enterprise has no registered legal representative.",
                           "enterprise_id")  # fmt: skip
        return _Guarantor(ent.name, ent.uscc, ent.id, reps[-1])
    if data.person_id is None:
        raise _invalid("请选择保证人。", "Choose the guarantor.", "person_id")
    person = parties_service.get_person(session, data.person_id)
    led = parties_service.enterprises_led_by(session, person.id)
    if not led:
        raise _invalid("个人保证人须为已登记企业的法定代表人（其授权和关联集团以该企业计）。",
                       "A person guarantor must be a registered legal representative of an "
                       "enterprise (its consent and group are that enterprise's).",
                       "person_id")  # fmt: skip
    anchor = line.enterprise_id if line.enterprise_id in led else led[0]
    return _Guarantor(person.name, person.resident_id_masked, anchor, person.id)


def contract_text(
    reference: str, line: CreditLine, borrower_name: str, guarantor: _Guarantor, amount_fen: int
) -> str:
    """The guarantee contract (保证合同) as text: the same terms give the same text and hash."""
    return "\n".join(
        [
            "# 最高额保证合同",
            f"@ 合同编号 {reference} · 模板 {TEMPLATE_VERSION}",
            "## 一、当事人",
            f"| 保证人 | {guarantor.name}（{guarantor.id_text}） |",
            f"| 债务人 | {borrower_name} |",
            f"| 主合同 | 授信额度 {line.reference} |",
            "## 二、担保范围与金额",
            f"保证人为债务人在上述授信项下的全部借款本金、利息、罚息、复利和实现债权的费用提供"
            f"连带责任保证，最高担保金额 {format_fen(amount_fen)}。",
            "## 三、保证期间",
            "自主合同项下每笔借款履行期限届满之日起三年。",
            "## 四、代偿",
            "债务人任一笔借款逾期满90天或被核销时，贷款人有权要求保证人在担保金额内代为清偿。",
            "## 五、签署",
            "保证人以短信验证码签署本合同，与手写签名具有同等法律效力。",
        ]
    )


def propose(
    session: Session, clock: Clock, principal: Principal | None, line_id: uuid.UUID,
    data: GuarantorIn,
) -> Guarantee:  # fmt: skip
    """Record a guarantor for a line (pending signature, active or frozen)."""
    line = loans.lock_line(session, line_id)
    if line.status not in (LineStatus.PENDING_SIGNATURE.value, LineStatus.ACTIVE.value,
                           LineStatus.FROZEN.value):  # fmt: skip
        raise _invalid("该授信已结束，不能再增加保证人。", "The line has ended; no guarantor.")
    if isinstance(data.amount_fen, bool) or not 0 < data.amount_fen <= line.limit_fen:
        raise _invalid(f"担保金额须大于零且不超过授信额度 {format_fen(line.limit_fen)}。",
                       f"The amount must be above zero and at most the limit "
                       f"{format_fen(line.limit_fen)}.", "amount_fen")  # fmt: skip
    kind = GuarantorKind(data.kind)
    who = _guarantor(session, line, GuarantorIn(kind, data.amount_fen, data.person_id,
                                                 data.enterprise_id))  # fmt: skip
    today, row_id, now = business_date(clock), new_id(), clock.now()
    reference = reference_from_id("GU", row_id, today)
    borrower = parties_service.get_enterprise(session, line.enterprise_id)
    text = contract_text(reference, line, borrower.name, who, data.amount_fen)
    row = Guarantee(
        id=row_id, reference=reference, line_id=line.id, enterprise_id=line.enterprise_id,
        guarantor_kind=kind.value,
        guarantor_person_id=data.person_id if kind == GuarantorKind.PERSON else None,
        guarantor_enterprise_id=data.enterprise_id if kind == GuarantorKind.ENTERPRISE else None,
        exposure_enterprise_id=who.exposure_enterprise_id, signer_person_id=who.signer_person_id,
        guarantor_name=who.name, amount_fen=data.amount_fen,
        status=GuaranteeStatus.PROPOSED.value, consent_ids=[], snapshot_ids=[],
        check_summary={}, checked_at=None, document_text=text,
        document_sha256=sha256_hex(text.encode()), created_at=now,
        created_by=principal.user_id if principal else None, sent_at=None, signed_at=None,
        updated_at=now,
    )  # fmt: skip
    session.add(row)
    session.add(GuaranteeEvent(guarantee_id=row.id, from_status=None,
                               to_status=row.status, at=now,
                               actor_id=row.created_by, reason="添加保证人"))  # fmt: skip
    session.flush()
    audit.record(session, "guarantee.propose", "guarantee", row.id,
                 after={"line_id": line.id, "kind": kind.value, "amount_fen": data.amount_fen,
                        "exposure_enterprise_id": who.exposure_enterprise_id,
                        "document_sha256": row.document_sha256})  # fmt: skip
    return row


# ----------------------------------------------------------------------------- consent + pull


def _summary(payloads: dict[SourceName, Any]) -> dict[str, Any]:
    """What the console shows of the guarantor's own data (no personal identifiers)."""
    out: dict[str, Any] = {}
    bureau = payloads.get(SourceName.CREDIT_BUREAU)
    if bureau is not None:
        out["bureau_overdue_accounts"] = int(bureau.summary.accounts_overdue_now)
        out["bureau_overdue_fen"] = int(bureau.summary.overdue_total_fen)
    registry = payloads.get(SourceName.REGISTRY)
    if registry is not None:
        out["registry_status"] = str(registry.status)
        out["abnormal_operations"] = len(registry.abnormal_operations)
    judicial = payloads.get(SourceName.JUDICIAL)
    if judicial is not None:
        out["dishonest_records"] = len(judicial.dishonest_debtor_records)
        out["enforcements"] = len(judicial.enforcements)
    return out


def sources_of(row: Guarantee) -> tuple[SourceName, ...]:
    """The sources the guarantor's consent covers (what `check` pulls)."""
    return (
        PERSON_SOURCES if row.guarantor_kind == GuarantorKind.PERSON.value else ENTERPRISE_SOURCES
    )


def check(
    session: Session, clock: Clock, connectors: Connectors, cipher: FieldCipher,
    principal: Principal | None, guarantee_id: uuid.UUID, *,
    channel: Channel = Channel.CONSOLE, text_lang: str = "zh",
    text_versions: dict[SourceName, str] | None = None,
) -> Guarantee:  # fmt: skip
    """The guarantor's consent (credit decision purpose, the current consent texts) and the pull
    of its own sources through the data hub, as the applicant's are done: an enterprise's
    registry, judicial record and credit report under an enterprise consent; a person's credit
    report under a legal-representative consent of its enterprise."""
    row = _lock(session, guarantee_id)
    if principal is not None and not principal.can_act_for(row.exposure_enterprise_id):
        raise GuaranteeNotFound()
    current = GuaranteeStatus(row.status)
    if current not in (GuaranteeStatus.PROPOSED, GuaranteeStatus.CHECKED):
        _move(session, clock, row, GuaranteeStatus.CHECKED, "")  # raises: wrong status
    person = row.guarantor_kind == GuarantorKind.PERSON.value
    sources = sources_of(row)
    scope = ConsentScope.LEGAL_REPRESENTATIVE if person else ConsentScope.ENTERPRISE
    person_id = row.guarantor_person_id if person else None
    consents = consents_service.grant_bundle(
        session, clock, row.exposure_enterprise_id, list(sources), PURPOSE, scope=scope,
        person_id=person_id, channel=channel,
        granted_by=principal.user_id if principal else None,
        text_lang="en" if text_lang == "en" else "zh", text_versions=text_versions,
    )  # fmt: skip
    pulled = datahub_service.pull_many(
        session, clock, connectors, enterprise_id=row.exposure_enterprise_id,
        requests=[datahub_service.PullRequest(list(sources), scope, person_id)],
        purpose=PURPOSE, cipher=cipher, consents=consents,
    )[0]  # fmt: skip
    row.consent_ids = [str(c.id) for c in consents]
    row.snapshot_ids = [str(s.id) for s in pulled.values()]
    row.check_summary = _summary({k: v.payload for k, v in pulled.items()})
    row.checked_at = clock.now()
    _move(session, clock, row, GuaranteeStatus.CHECKED, "保证人授权并查询征信/工商",
          principal.user_id if principal else None)  # fmt: skip
    session.flush()
    audit.record(session, "guarantee.check", "guarantee", row.id,
                 after={"consent_ids": row.consent_ids, "snapshot_ids": row.snapshot_ids,
                        "summary": row.check_summary})  # fmt: skip
    return row


# ----------------------------------------------------------------------------- signing


@dataclass(frozen=True)
class CodeSent:
    guarantee: Guarantee
    otp_id: uuid.UUID
    message_id: uuid.UUID
    recipient_masked: str


def send_code(
    session: Session, clock: Clock, cipher: FieldCipher, principal: Principal | None,
    guarantee_id: uuid.UUID,
) -> CodeSent:  # fmt: skip
    """A signing code by SMS to the signer's carrier-verified mobile (again: a new code)."""
    row = _lock(session, guarantee_id)
    if principal is not None and not principal.can_act_for(row.exposure_enterprise_id):
        raise GuaranteeNotFound()
    if row.status == GuaranteeStatus.PROPOSED.value:
        raise GuaranteeNotChecked()
    _move(session, clock, row, GuaranteeStatus.SENT_FOR_SIGNATURE, "code sent",
          principal.user_id if principal else None)  # fmt: skip
    verified = identity_service.require_verified_rep(session, clock.now(), row.signer_person_id)
    mobile = identity_service.verified_mobile(cipher, verified)
    issued = otp.issue(session, clock, cipher, purpose=OTP_PURPOSE, subject=str(row.id))
    body = (
        f"【普惠】验证码 {issued.code}，用于签署保证合同 {row.reference}"
        f"（担保金额 {format_fen(row.amount_fen)}，文件摘要 {row.document_sha256[:8]}），"
        f"{int(otp.DEFAULT_TTL.total_seconds() // 60)} 分钟内有效。请勿告诉他人。"
    )
    message = outbox.enqueue_sms(
        session, clock, cipher, mobile, SMS_TOPIC, body,
        {"guarantee_id": str(row.id), "otp_id": str(issued.otp_id)},
        expires_at=issued.expires_at,
    )  # fmt: skip
    otp.attach_message(issued.row, message.id)
    row.sent_at = clock.now()
    session.flush()
    audit.record(session, "guarantee.send_for_signature", "guarantee", row.id,
                 after={"recipient": message.recipient_masked, "otp_id": issued.otp_id,
                        "message_id": message.id})  # fmt: skip
    return CodeSent(row, issued.otp_id, message.id, message.recipient_masked)


def sign(
    session: Session, clock: Clock, cipher: FieldCipher, principal: Principal,
    guarantee_id: uuid.UUID, code: str, *, ip: str, user_agent: str | None = None,
) -> GuaranteeSignature:  # fmt: skip
    """Sign with the code: the signature (user, person, time, IP, the hash signed, the code's
    message) and the guarantee binds the guarantor from now on."""
    row = _lock(session, guarantee_id)
    if not principal.can_act_for(row.exposure_enterprise_id):
        raise GuaranteeNotFound()
    identity_service.require_verified_rep(session, clock.now(), row.signer_person_id)
    if row.status != GuaranteeStatus.SENT_FOR_SIGNATURE.value:
        _move(session, clock, row, GuaranteeStatus.SIGNED, "")  # raises: wrong status
    code_row = otp.verify(session, clock, cipher, purpose=OTP_PURPOSE, subject=str(row.id),
                          code=code)  # fmt: skip
    if sha256_hex(row.document_text.encode()) != row.document_sha256:
        raise _invalid(
            "合同文本与摘要不符，请联系银行。", "The contract text does not match its hash."
        )
    person = parties_service.get_person(session, row.signer_person_id)
    now = clock.now()
    signature = GuaranteeSignature(
        guarantee_id=row.id, signer_user_id=principal.user_id, signer_person_id=person.id,
        signer_name=person.name, signed_at=now, ip=ip[:64],
        user_agent=user_agent[:300] if user_agent else None,
        document_sha256=row.document_sha256, otp_id=code_row.id,
        otp_message_id=code_row.message_id,
    )  # fmt: skip
    session.add(signature)
    _move(session, clock, row, GuaranteeStatus.SIGNED, "保证人以短信验证码签署", principal.user_id)
    row.signed_at = now
    session.flush()
    audit.record(session, "guarantee.sign", "guarantee", row.id,
                 after={"signature_id": signature.id, "signer_person_id": person.id,
                        "document_sha256": row.document_sha256, "ip": signature.ip,
                        "otp_id": code_row.id})  # fmt: skip
    return signature


def cancel(
    session: Session, clock: Clock, principal: Principal | None, guarantee_id: uuid.UUID,
    reason: str = "",
) -> Guarantee:  # fmt: skip
    row = _lock(session, guarantee_id)
    _move(session, clock, row, GuaranteeStatus.CANCELLED, reason or "作废",
          principal.user_id if principal else None)  # fmt: skip
    session.flush()
    audit.record(session, "guarantee.cancel", "guarantee", row.id, after={"reason": reason})
    return row


# ----------------------------------------------------------------------------- requirement


def require(
    session: Session, clock: Clock, line_id: uuid.UUID, required_fen: int, reason: str
) -> GuaranteeRequirement:
    """The decision policy requires signed guarantees of ``required_fen`` before the line is
    activated (idempotent per line)."""
    found = requirement_of(session, line_id)
    if found is not None:
        return found
    row = GuaranteeRequirement(line_id=line_id, required_fen=required_fen, reason=reason[:200],
                               created_at=clock.now())  # fmt: skip
    session.add(row)
    session.flush()
    audit.record(session, "guarantee.required", "credit_line", line_id,
                 after={"required_fen": required_fen, "reason": reason})  # fmt: skip
    return row


def requirement_of(session: Session, line_id: uuid.UUID) -> GuaranteeRequirement | None:
    return session.scalar(
        select(GuaranteeRequirement).where(GuaranteeRequirement.line_id == line_id)
    )


def check_activation(session: Session, line_id: uuid.UUID) -> None:
    """`GuaranteeRequired` while the line's signed guarantees fall short of the requirement."""
    need = requirement_of(session, line_id)
    if need is None:
        return
    signed = signed_fen(session, line_id)
    if signed < need.required_fen:
        raise GuaranteeRequired(signed=format_fen(signed), required=format_fen(need.required_fen))


def status_zh(status: str) -> str:
    return _STATUS_ZH[GuaranteeStatus(status)]
