"""Convenience queries (便民服务): the signed-in legal representative's own housing-fund and
social-security contribution records, read through the data hub under his or her own consent
for the purpose `convenience_query`.

Who: only a borrower whose sign-in mobile is the registered mobile of a legal representative
of one of the enterprises it acts for (`representative_of`); an agent of the enterprise, a
member of staff or a visitor gets no one's records. What: the hub's `pull_many` with scope
legal_representative and that person (the consent is checked, the payload stored encrypted and
the pull logged), from the personal connectors (`datahub.personal`). Without a live consent the
assistant and the /m page offer it (`give_consent`); a revoked one ends the reading at once.

`topics` (pure) says which records a question is about: the recogniser's 24 intents stay as
they are, and a question about one's own 公积金 / 社保 that it files under `out_of_scope` is
answered here (a sub-intent of `out_of_scope`).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from puhui.consents import service as consents_service
from puhui.consents.schemas import Channel, ConsentScope, ConsentTextOut, Purpose
from puhui.core.auth import Principal
from puhui.core.clock import Clock
from puhui.core.crypto import FieldCipher
from puhui.core.i18n import Lang
from puhui.core.models import User
from puhui.core.money import format_fen
from puhui.datahub import service as datahub_service
from puhui.datahub.connectors import Connectors
from puhui.datahub.payloads import (
    PersonHousingFundPayload,
    PersonSocialSecurityPayload,
    SourceName,
)
from puhui.parties import service as parties_service

SOURCES: tuple[SourceName, ...] = (SourceName.HOUSING_FUND, SourceName.SOCIAL_SECURITY)
PAGE = "/m/convenience"
PURPOSE = Purpose.CONVENIENCE_QUERY

_HOUSING = re.compile(r"公积金|公基金|住房基金|gjj|housing[- ]?fund|provident[- ]?fund", re.I)
_SOCIAL = re.compile(
    r"社保|社会保险|养老保险|医保|医疗保险|失业保险|social[- ]?(security|insurance)", re.I
)


def topics(text: str) -> tuple[SourceName, ...]:
    """Which of the person's records a question names (empty when neither)."""
    if "五险一金" in text:
        return SOURCES
    found = []
    if _HOUSING.search(text):
        found.append(SourceName.HOUSING_FUND)
    if _SOCIAL.search(text):
        found.append(SourceName.SOCIAL_SECURITY)
    return tuple(found)


class Access:
    """What reading the records needs beyond the session: the field cipher (the resident ID,
    the snapshot) and the personal connectors, given or built by `build` on first use (the
    sandbox's world is generated only when someone's records are read)."""

    def __init__(
        self,
        cipher: FieldCipher,
        connectors: Connectors | None = None,
        build: Callable[[], Connectors] | None = None,
    ) -> None:
        if connectors is None and build is None:
            raise ValueError("Access needs connectors or a way to build them")
        self.cipher = cipher
        self._connectors = connectors
        self._build = build

    @property
    def connectors(self) -> Connectors:
        if self._connectors is None:
            assert self._build is not None
            self._connectors = self._build()
        return self._connectors


@dataclass(frozen=True)
class Representative:
    person_id: uuid.UUID
    enterprise_id: uuid.UUID
    name: str
    resident_id_masked: str


def representative_of(
    session: Session, cipher: FieldCipher, principal: Principal | None
) -> Representative | None:
    """The legal representative the signed-in borrower is (by its sign-in mobile), or None."""
    if principal is None or principal.is_staff or not principal.enterprise_ids:
        return None
    user = session.get(User, principal.user_id)
    if user is None or user.mobile_enc is None:
        return None
    mobile = cipher.decrypt(user.mobile_enc, "core_user.mobile")
    people = {p.id: p for p in parties_service.find_people_by_mobile(session, cipher, mobile)}
    if not people:
        return None
    for enterprise_id in sorted(principal.enterprise_ids):
        for person_id in parties_service.legal_representatives_of(session, enterprise_id):
            person = people.get(person_id)
            if person is not None:
                return Representative(
                    person.id, enterprise_id, person.name, person.resident_id_masked
                )
    return None


def live_consents(session: Session, now: datetime, rep: Representative) -> dict[SourceName, object]:
    return dict(
        consents_service.live_consents(
            session,
            now,
            rep.enterprise_id,
            SOURCES,
            PURPOSE,
            ConsentScope.LEGAL_REPRESENTATIVE,
            rep.person_id,
        )
    )


def has_consent(session: Session, clock: Clock, rep: Representative) -> bool:
    return set(live_consents(session, clock.now(), rep)) == set(SOURCES)


def consent_texts(lang: Lang) -> list[ConsentTextOut]:
    """The texts the representative agrees to (one per source), as shown on the /m page."""
    return [consents_service.text_for(source, PURPOSE, lang) for source in SOURCES]


def give_consent(
    session: Session,
    clock: Clock,
    principal: Principal,
    rep: Representative,
    lang: Lang,
    shown_sha256: dict[SourceName, str] | None = None,
) -> None:
    """The representative's own consent to both sources; `shown_sha256` proves which texts
    were on the screen (a changed text is refused)."""
    consents_service.grant_bundle(
        session,
        clock,
        rep.enterprise_id,
        list(SOURCES),
        PURPOSE,
        scope=ConsentScope.LEGAL_REPRESENTATIVE,
        person_id=rep.person_id,
        channel=Channel.H5,
        granted_by=principal.user_id,
        text_lang=lang,
        text_sha256=shown_sha256,
    )


@dataclass(frozen=True)
class Records:
    housing_fund: PersonHousingFundPayload
    social_security: PersonSocialSecurityPayload
    sandbox: bool
    fetched_at: datetime


def read_records(session: Session, clock: Clock, access: Access, rep: Representative) -> Records:
    """Both records through the hub (`ConsentMissing` without a live consent)."""
    snaps = datahub_service.pull_many(
        session,
        clock,
        access.connectors,
        enterprise_id=rep.enterprise_id,
        requests=[
            datahub_service.PullRequest(SOURCES, ConsentScope.LEGAL_REPRESENTATIVE, rep.person_id)
        ],
        purpose=PURPOSE,
        cipher=access.cipher,
    )[0]
    hf, ss = snaps[SourceName.HOUSING_FUND], snaps[SourceName.SOCIAL_SECURITY]
    assert isinstance(hf.payload, PersonHousingFundPayload)
    assert isinstance(ss.payload, PersonSocialSecurityPayload)
    return Records(hf.payload, ss.payload, hf.is_sandbox or ss.is_sandbox, hf.fetched_at)


# --- the assistant's sentences (pure) -----------------------------------------------------------

_HF_STATUS = {
    "active": ("正常缴存", "contributing"),
    "sealed": ("封存", "sealed (no contributions now)"),
    "none": ("未开户", "no account"),
}


def housing_fund_lines(hf: PersonHousingFundPayload, lang: str) -> str:
    status_zh, status_en = _HF_STATUS[hf.account_status]
    if not hf.months:
        return (
            f"住房公积金：账户状态 {status_zh}，余额 {format_fen(hf.balance_fen)}，"
            "近 12 个月没有缴存记录。"
            if lang == "zh"
            else f"Housing fund: {status_en}, balance {format_fen(hf.balance_fen)}, "
            "no contributions in the last 12 months."
        )
    last = hf.months[-1]
    total = sum(m.personal_fen + m.employer_fen for m in hf.months)
    if lang == "zh":
        return (
            f"住房公积金：账户状态 {status_zh}，余额 {format_fen(hf.balance_fen)}。"
            f"最近一次 {last.month} 缴存 {format_fen(last.personal_fen + last.employer_fen)}"
            f"（个人 {format_fen(last.personal_fen)} + 单位 {format_fen(last.employer_fen)}，"
            f"基数 {format_fen(last.base_fen)}，缴存单位 {last.employer_name}）；"
            f"近 12 个月缴存 {len(hf.months)} 个月，合计 {format_fen(total)}。"
        )
    return (
        f"Housing fund: {status_en}, balance {format_fen(hf.balance_fen)}. Last paid "
        f"{last.month}: {format_fen(last.personal_fen + last.employer_fen)} (you "
        f"{format_fen(last.personal_fen)} + employer {format_fen(last.employer_fen)}, base "
        f"{format_fen(last.base_fen)}, employer {last.employer_name}); {len(hf.months)} months "
        f"paid in the last 12, {format_fen(total)} in all."
    )


def social_security_lines(ss: PersonSocialSecurityPayload, lang: str) -> str:
    if not ss.months:
        return (
            f"社会保险：参保地 {ss.insured_city}，近 12 个月没有缴费记录。"
            if lang == "zh"
            else f"Social security: insured in {ss.insured_city}, no contributions in the last "
            "12 months."
        )
    last = ss.months[-1]
    personal = sum(m.personal_fen for m in ss.months)
    employer = sum(m.employer_fen for m in ss.months)
    if lang == "zh":
        return (
            f"社会保险：参保地 {ss.insured_city}。最近一次 {last.month} 缴费 "
            f"{format_fen(last.personal_fen + last.employer_fen)}（个人 "
            f"{format_fen(last.personal_fen)} + 单位 {format_fen(last.employer_fen)}，基数 "
            f"{format_fen(last.base_fen)}，参保单位 {last.employer_name}）；近 12 个月缴费 "
            f"{len(ss.months)} 个月，个人合计 {format_fen(personal)}，单位合计 "
            f"{format_fen(employer)}。"
        )
    return (
        f"Social security: insured in {ss.insured_city}. Last paid {last.month}: "
        f"{format_fen(last.personal_fen + last.employer_fen)} (you "
        f"{format_fen(last.personal_fen)} + employer {format_fen(last.employer_fen)}, base "
        f"{format_fen(last.base_fen)}, employer {last.employer_name}); {len(ss.months)} months "
        f"paid in the last 12: you {format_fen(personal)}, the employer {format_fen(employer)}."
    )


def summary(records: Records, wanted: tuple[SourceName, ...], lang: str) -> str:
    """The answer's sentences for the records asked about (both when the question names
    neither), labelled sandbox when they are synthetic."""
    wanted = wanted or SOURCES
    parts = []
    if records.sandbox:
        parts.append("（沙箱数据，仅供演示）" if lang == "zh" else "(Sandbox data, for the demo)")
    if SourceName.HOUSING_FUND in wanted:
        parts.append(housing_fund_lines(records.housing_fund, lang))
    if SourceName.SOCIAL_SECURITY in wanted:
        parts.append(social_security_lines(records.social_security, lang))
    return "\n".join(parts)
