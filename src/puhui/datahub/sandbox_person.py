"""Sandbox answers about a person's own housing fund and social security (便民查询), fed by the
synthetic world and deterministic per person.

The person's employer is the world enterprise he or she represents (`legal_rep_person_id`); a
person the world does not know (a demo or test applicant) is given one of the world's
enterprises chosen by a hash of the resident ID. The last 12 panel months of that enterprise
say which months were paid: social security when its insured headcount was positive, the
housing fund when it paid contributions. The contribution base is the enterprise's average wage
base (`housing_fund_base_fen`) scaled by a per-person factor between 1.0 and 1.5, rounded to the
yuan; the housing-fund rate is the enterprise's (each side), social security the common
national rates below. The housing-fund balance starts from an opening balance of 6-30 months of
contributions. Every figure is integer fen; rounding half up to the fen.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

from puhui.datahub.payloads import (
    PersonHousingFundPayload,
    PersonSocialSecurityPayload,
    SourceName,
    SourcePayload,
)
from puhui.datahub.validators import is_valid_resident_id

if TYPE_CHECKING:
    from puhui.datahub.sandbox import SandboxProvider

MONTHS = 12
# Pension 8 %, medical 2 %, unemployment 0.5 % (the person); pension 16 %, medical 8 %,
# unemployment 0.5 % (the employer). Real rates differ a little by city.
SOCIAL_PERSONAL_BP = 1050
SOCIAL_EMPLOYER_BP = 2450
UNKNOWN_NAME = "沙箱参保人"


def _share(base_fen: int, bp: int) -> int:
    return (base_fen * bp + 5_000) // 10_000


def _digest(resident_id: str) -> int:
    return int.from_bytes(hashlib.sha256(resident_id.encode()).digest()[:8], "big")


def _employer(provider: SandboxProvider, resident_id: str) -> tuple[int, str]:
    """(enterprise index, the person's name) for a resident ID."""
    people = provider._lazy("people")
    pid = people["by_resident_id"].get(resident_id)
    n = provider.world.n_enterprises
    if pid is not None:
        led = (provider._ent["legal_rep_person_id"] == pid).nonzero()[0]
        eid = int(led[0]) if len(led) else _digest(resident_id) % n
        return eid, str(people["name"][pid])
    return _digest(resident_id) % n, UNKNOWN_NAME


def person_records(
    provider: SandboxProvider, source: SourceName, resident_id: str
) -> SourcePayload:
    """The person's own records of `source` (housing fund or social security)."""
    from puhui.datahub.sandbox import SubjectNotFound

    if not is_valid_resident_id(resident_id):
        raise SubjectNotFound(resident_id)
    eid, name = _employer(provider, resident_id)
    cols, span, labels = provider._panel_rows(eid)
    employer = str(provider._ent["name"][eid])
    digest = _digest(resident_id)
    wage = int(provider._ent["housing_fund_base_fen"][eid]) or 600_000
    base = (wage * (100 + digest % 51) // 100) // 100 * 100
    base_info = {
        "provider": "sandbox",
        "sandbox": True,
        "subject_id": resident_id,
        "as_of": provider._as_of,
        "person_name": name,
    }
    recent = slice(max(span.start, span.stop - MONTHS), span.stop)
    months = labels[len(labels) - (recent.stop - recent.start) :]
    if source is SourceName.SOCIAL_SECURITY:
        insured = cols["headcount"][recent].tolist()
        rows = [
            {
                "month": m,
                "employer_name": employer,
                "base_fen": base,
                "personal_fen": _share(base, SOCIAL_PERSONAL_BP),
                "employer_fen": _share(base, SOCIAL_EMPLOYER_BP),
            }
            for m, h in zip(months, insured, strict=True)
            if h > 0
        ]
        city = str(provider._ent["region_name"][eid])
        return PersonSocialSecurityPayload(**base_info, insured_city=city, months=rows)
    return _housing_fund(provider, eid, base_info, months, recent, base, digest, employer)


def _housing_fund(
    provider: SandboxProvider,
    eid: int,
    base_info: dict[str, object],
    months: list[str],
    recent: slice,
    base: int,
    digest: int,
    employer: str,
) -> PersonHousingFundPayload:
    cols, span, _ = provider._panel_rows(eid)
    paid_all = cols["housing_fund_amount_fen"][span]
    if not (paid_all > 0).any():
        return PersonHousingFundPayload(
            **base_info, account_status="none", balance_fen=0, months=[]
        )
    rate = int(provider._ent["housing_fund_rate_bp"][eid])
    side = _share(base, rate)
    balance = 2 * side * (6 + (digest >> 8) % 25)  # the opening balance
    rows = []
    for month, paid in zip(months, cols["housing_fund_amount_fen"][recent].tolist(), strict=True):
        if paid <= 0:
            continue
        balance += 2 * side
        rows.append(
            {
                "month": month,
                "employer_name": employer,
                "base_fen": base,
                "personal_fen": side,
                "employer_fen": side,
                "balance_fen": balance,
            }
        )
    status = "active" if rows and rows[-1]["month"] == months[-1] else "sealed"
    return PersonHousingFundPayload(
        **base_info, account_status=status, balance_fen=balance, months=rows
    )
