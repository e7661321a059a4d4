"""The pure steps of `grant_bundles`: no source, scope and person twice in one call, the rows
written and the audit event of each bundle."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from puhui.consents import texts
from puhui.consents.models import Channel, Consent, ConsentScope, Purpose
from puhui.consents.service import (
    Bundle,
    _check_distinct,
    _consent_rows,
    _Grant,
    _grant_event,
)
from puhui.core.errors import InvalidInput
from puhui.datahub.payloads import SourceName

NOW = datetime(2026, 12, 1, 8, tzinfo=UTC)
ENT = uuid.UUID(int=1)
REP = uuid.UUID(int=2)
TAX, BUREAU = SourceName.TAX, SourceName.CREDIT_BUREAU


def _grant() -> _Grant:
    return _Grant(
        ENT, Purpose.CREDIT_DECISION, Channel.H5, "en", None, NOW, NOW + timedelta(days=90)
    )


def _text(source: SourceName) -> texts.ConsentText:
    text = texts.current_text(source, Purpose.CREDIT_DECISION)
    assert text is not None
    return text


def test_the_same_source_may_come_again_under_another_scope_or_person() -> None:
    bundles = [
        Bundle([TAX, BUREAU]),
        Bundle([BUREAU], ConsentScope.LEGAL_REPRESENTATIVE, REP),
        Bundle([BUREAU], ConsentScope.LEGAL_REPRESENTATIVE, uuid.UUID(int=3)),
    ]
    _check_distinct(bundles, [[(TAX, None), (BUREAU, None)], [(BUREAU, None)], [(BUREAU, None)]])


def test_the_same_source_scope_and_person_twice_is_refused() -> None:
    bundles = [Bundle([TAX]), Bundle([BUREAU, TAX])]
    with pytest.raises(InvalidInput):
        _check_distinct(bundles, [[(TAX, None)], [(BUREAU, None), (TAX, None)]])


def test_consent_rows_are_complete_and_in_source_order() -> None:
    bundle = Bundle([BUREAU, TAX], ConsentScope.LEGAL_REPRESENTATIVE, REP)
    rows = _consent_rows(_grant(), bundle, [(BUREAU, _text(BUREAU)), (TAX, _text(TAX))])
    assert [r["source"] for r in rows] == ["credit_bureau", "tax"]
    assert set(rows[0]) == set(Consent.__table__.columns.keys())
    assert rows[0]["id"] != rows[1]["id"]
    assert rows[1]["text_sha256"] == _text(TAX).sha256("en")
    assert rows[1]["text_version"] == _text(TAX).version
    assert {(r["scope"], r["person_id"], r["channel"]) for r in rows} == {
        ("legal_representative", REP, "h5")
    }
    assert {r["expires_at"] for r in rows} == {NOW + timedelta(days=90)}


def test_grant_event_lists_each_consent_with_what_it_superseded() -> None:
    bundle = Bundle([TAX, BUREAU])
    rows = _consent_rows(_grant(), bundle, [(TAX, _text(TAX)), (BUREAU, _text(BUREAU))])
    consents = [Consent(**r) for r in rows]
    old = uuid.UUID(int=9)
    event = _grant_event(_grant(), bundle, consents, {consents[1].id: [old]})
    assert event["scope"] == "enterprise" and event["person_id"] is None
    assert event["purpose"] == "credit_decision" and event["text_lang"] == "en"
    assert [(c["source"], c["superseded_ids"]) for c in event["consents"]] == [
        ("tax", []),
        ("credit_bureau", [old]),
    ]
