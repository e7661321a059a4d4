"""The consent text catalogue and the derived consent status (pure, no database)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from puhui.consents import texts
from puhui.consents.models import Consent, ConsentScope, ConsentStatus, Purpose
from puhui.datahub.payloads import SourceName


def test_every_source_has_a_text_per_purpose_except_bureau_marketing() -> None:
    pairs = set(texts.catalogue())
    expected = {(s, p) for s in SourceName for p in Purpose} - {
        (SourceName.CREDIT_BUREAU, Purpose.MARKETING)
    }
    # the convenience query (便民查询) covers only a person's housing fund and social security
    convenience = {SourceName.HOUSING_FUND, SourceName.SOCIAL_SECURITY}
    expected -= {(s, Purpose.CONVENIENCE_QUERY) for s in SourceName if s not in convenience}
    assert pairs == expected
    assert not texts.is_allowed(SourceName.CREDIT_BUREAU, Purpose.MARKETING)
    assert texts.current_text(SourceName.CREDIT_BUREAU, Purpose.MARKETING) is None


def test_texts_are_bilingual_versioned_and_hashed() -> None:
    text = texts.current_text(SourceName.TAX, Purpose.CREDIT_DECISION)
    assert text is not None
    zh, en = text.text("zh"), text.text("en")
    assert "税务数据" in zh and "纳税信用等级" in zh and "撤回" in zh
    assert "Tax data" not in zh and "tax data" in en and "revoke" in en
    assert text.version in zh and text.version in en
    assert len(text.sha256("zh")) == 64 and text.sha256("zh") != text.sha256("en")
    assert texts.find_text(SourceName.TAX, Purpose.CREDIT_DECISION, text.version) is text
    assert texts.find_text(SourceName.TAX, Purpose.CREDIT_DECISION, "1999.1") is None
    digests = {t.sha256("zh") for versions in texts.catalogue().values() for t in versions}
    assert len(digests) == len(texts.catalogue())  # every text is distinct


def test_only_the_credit_bureau_takes_the_legal_representative_scope() -> None:
    for source in SourceName:
        assert texts.scope_allowed(source, ConsentScope.ENTERPRISE)
        assert texts.scope_allowed(source, ConsentScope.LEGAL_REPRESENTATIVE) == (
            source == SourceName.CREDIT_BUREAU
        )


def test_the_convenience_query_is_the_legal_representatives_own_consent() -> None:
    for source in (SourceName.HOUSING_FUND, SourceName.SOCIAL_SECURITY):
        text = texts.current_text(source, Purpose.CONVENIENCE_QUERY)
        assert text is not None
        assert "本人" in text.text("zh") and "不用于授信审批" in text.text("zh")
        assert "my own" in text.text("en")
        person, firm = ConsentScope.LEGAL_REPRESENTATIVE, ConsentScope.ENTERPRISE
        assert texts.scope_allowed(source, person, Purpose.CONVENIENCE_QUERY)
        assert not texts.scope_allowed(source, firm, Purpose.CONVENIENCE_QUERY)
        assert not texts.scope_allowed(source, person, Purpose.CREDIT_DECISION)
    assert texts.current_text(SourceName.TAX, Purpose.CONVENIENCE_QUERY) is None
    assert texts.current_text(SourceName.CREDIT_BUREAU, Purpose.CONVENIENCE_QUERY) is None


def test_status_is_derived_from_expiry_revocation_and_supersession() -> None:
    granted = datetime(2026, 11, 23, 2, tzinfo=UTC)
    consent = Consent(granted_at=granted, expires_at=granted + timedelta(days=365))
    assert consent.status_at(granted) == ConsentStatus.LIVE and consent.is_live(granted)
    assert not consent.is_live(granted - timedelta(seconds=1))  # not yet granted
    end = granted + timedelta(days=365)
    assert consent.status_at(end) == ConsentStatus.EXPIRED and not consent.is_live(end)
    consent.superseded_by_id = uuid.uuid4()
    assert consent.status_at(granted) == ConsentStatus.SUPERSEDED
    consent.revoked_at = granted + timedelta(days=1)
    assert consent.status_at(granted + timedelta(days=2)) == ConsentStatus.REVOKED
