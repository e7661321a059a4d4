"""Convenience queries (pure parts): which records a question names, and the answer's
sentences from the records (labelled sandbox when they are synthetic)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from puhui.assistant.convenience import Records, summary, topics
from puhui.datahub.payloads import (
    PersonHousingFundPayload,
    PersonSocialSecurityPayload,
    SourceName,
)

HF, SS = SourceName.HOUSING_FUND, SourceName.SOCIAL_SECURITY
RID = "11010519491231002X"


def test_topics_name_the_records_asked_about() -> None:
    assert topics("我的公积金缴了多少") == (HF,)
    assert topics("社保交了几个月了") == (SS,)
    assert topics("医保是不是一直在交") == (SS,)
    assert topics("五险一金查询") == (HF, SS)
    assert topics("how much is in my Housing Fund") == (HF,)
    assert topics("check my social insurance payments") == (SS,)
    assert topics("今天天气怎么样") == ()


def _records(sandbox: bool = True) -> Records:
    common = {"provider": "sandbox" if sandbox else "gov", "sandbox": sandbox, "subject_id": RID}
    month = {"employer_name": "测试贸易有限公司", "base_fen": 1_000_000}
    hf = PersonHousingFundPayload(
        **common,
        as_of=date(2026, 10, 31),
        person_name="陈示例",
        account_status="active",
        balance_fen=5_240_000,
        months=[
            {**month, "month": "2026-09", "personal_fen": 120_000, "employer_fen": 120_000,
             "balance_fen": 5_000_000},
            {**month, "month": "2026-10", "personal_fen": 120_000, "employer_fen": 120_000,
             "balance_fen": 5_240_000},
        ],
    )  # fmt: skip
    ss = PersonSocialSecurityPayload(
        **common,
        as_of=date(2026, 10, 31),
        person_name="陈示例",
        insured_city="浙江省杭州市",
        months=[{**month, "month": "2026-10", "personal_fen": 105_000, "employer_fen": 245_000}],
    )
    return Records(hf, ss, sandbox, datetime(2026, 11, 1, tzinfo=UTC))


def test_the_answer_gives_the_persons_figures_in_both_languages() -> None:
    zh = summary(_records(), (HF,), "zh")
    assert "沙箱" in zh and "余额 ¥52,400.00" in zh and "2026-10" in zh
    assert "个人 ¥1,200.00" in zh and "社会保险" not in zh
    en = summary(_records(), (SS,), "en")
    assert "Sandbox" in en and "you ¥1,050.00" in en and "employer ¥2,450.00" in en
    both = summary(_records(sandbox=False), (), "zh")
    assert "住房公积金" in both and "社会保险" in both and "沙箱" not in both
