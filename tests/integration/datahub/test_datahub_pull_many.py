"""`pull_many`: several requests (the enterprise's sources and its legal representative's credit
report) in a few statements; consents the caller just granted in this unit of work save the
consent query, but only when they are real, live, matching rows of this session."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from datahub_world import WorldFirm
from pydantic import BaseModel
from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session
from tests.support.sql import statements

from puhui.consents import service as consents_service
from puhui.consents.errors import ConsentMissing
from puhui.consents.models import Consent, ConsentScope, Purpose
from puhui.core.clock import FixedClock
from puhui.core.runtime import Runtime
from puhui.datahub import service as hub
from puhui.datahub.connectors import Connectors, SandboxConnector
from puhui.datahub.errors import ProviderUnavailable
from puhui.datahub.models import PullRow, SnapshotRow
from puhui.datahub.payloads import SourceName
from puhui.parties import service as parties_service

DECISION = Purpose.CREDIT_DECISION
TAX = SourceName.TAX
BUREAU = SourceName.CREDIT_BUREAU
LEGAL_REP = ConsentScope.LEGAL_REPRESENTATIVE
ENTERPRISE_SOURCES = list(SourceName)  # all seven, as an application asks for them


def _consent_selects(statements: list[str]) -> list[str]:
    return [s for s in statements if s.startswith("SELECT") and "consents_consent" in s]


def _count(session: Session, model: type) -> int:
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


def _requests(firm: WorldFirm) -> list[hub.PullRequest]:
    return [
        hub.PullRequest(ENTERPRISE_SOURCES),
        hub.PullRequest([BUREAU], LEGAL_REP, firm.person_id),
    ]


def _grant_both(session: Session, runtime: Runtime, firm: WorldFirm) -> list[Consent]:
    granted = consents_service.grant_bundles(
        session,
        runtime.clock,
        firm.enterprise_id,
        [
            consents_service.Bundle(ENTERPRISE_SOURCES),
            consents_service.Bundle([BUREAU], LEGAL_REP, firm.person_id),
        ],
        DECISION,
    )
    return [c for bundle in granted for c in bundle]


def _pull_many(
    session: Session,
    runtime: Runtime,
    connectors: Connectors,
    firm: WorldFirm,
    requests: list[hub.PullRequest],
    consents: list[Consent] | None = None,
) -> list[dict[SourceName, hub.Snapshot]]:
    return hub.pull_many(
        session,
        runtime.clock,
        connectors,
        enterprise_id=firm.enterprise_id,
        requests=requests,
        purpose=DECISION,
        cipher=runtime.cipher,
        consents=consents or (),
    )


@pytest.fixture
def held(session: Session, firm: WorldFirm) -> tuple[Any, Any]:
    """The firm's enterprise and person loaded in the session, as a decision has them."""
    return (
        parties_service.get_enterprise(session, firm.enterprise_id),
        parties_service.get_person(session, firm.person_id),
    )


def test_given_consents_save_the_consent_query_and_give_what_pull_all_gives(
    session: Session,
    runtime: Runtime,
    engine: Engine,
    connectors: Connectors,
    firm: WorldFirm,
    held: Any,
) -> None:
    granted = _grant_both(session, runtime, firm)
    with statements(engine) as seen:
        ent, rep = _pull_many(session, runtime, connectors, firm, _requests(firm), granted)
    assert not _consent_selects(seen), seen
    # Nothing reusable: one query of snapshots, one INSERT of snapshots, one INSERT of pulls.
    assert [s.split()[0] for s in seen] == ["SELECT", "INSERT", "INSERT"], seen

    consent_of = {(c.source, c.scope): c.id for c in granted}
    assert list(ent) == ENTERPRISE_SOURCES and list(rep) == [BUREAU]
    assert all(not s.reused and s.subject_key == firm.uscc for s in ent.values())
    assert all(s.consent_id == consent_of[(s.source.value, "enterprise")] for s in ent.values())
    bureau = rep[BUREAU]
    assert bureau.person_id == firm.person_id and bureau.subject_type == "person"
    assert bureau.consent_id == consent_of[("credit_bureau", "legal_representative")]
    assert bureau.payload.subject_id == firm.resident_id
    assert bureau.subject_key != firm.resident_id  # the keyed hash, never the clear number
    assert ent[BUREAU].id != bureau.id  # the enterprise's report and the person's are distinct
    pulls = session.scalars(select(PullRow)).all()
    assert len(pulls) == 8 and not any(p.reused for p in pulls)
    assert {p.id for p in pulls} == {s.pull_id for s in [*ent.values(), bureau]}
    assert _count(session, SnapshotRow) == 8
    session.commit()

    # pull_all / pull (the wrappers) give the same snapshots: they reuse these ones.
    again = hub.pull_all(
        session,
        runtime.clock,
        connectors,
        enterprise_id=firm.enterprise_id,
        sources=ENTERPRISE_SOURCES,
        purpose=DECISION,
        cipher=runtime.cipher,
    )
    rep_again = hub.pull(
        session,
        runtime.clock,
        connectors,
        enterprise_id=firm.enterprise_id,
        source=BUREAU,
        purpose=DECISION,
        scope=LEGAL_REP,
        person_id=firm.person_id,
        cipher=runtime.cipher,
    )
    for mine, theirs in [*((ent[s], again[s]) for s in ENTERPRISE_SOURCES), (bureau, rep_again)]:
        assert theirs.reused and theirs.id == mine.id
        assert theirs.model_dump(exclude={"pull_id", "reused"}) == mine.model_dump(
            exclude={"pull_id", "reused"}
        )


def test_without_given_consents_one_consent_query_serves_every_request(
    session: Session,
    runtime: Runtime,
    engine: Engine,
    connectors: Connectors,
    firm: WorldFirm,
    held: Any,
) -> None:
    granted = _grant_both(session, runtime, firm)
    session.commit()
    with statements(engine) as seen:
        ent, rep = _pull_many(session, runtime, connectors, firm, _requests(firm))
    assert len(_consent_selects(seen)) == 1 and len(seen) == 4, seen
    assert {s.consent_id for s in [*ent.values(), *rep.values()]} == {c.id for c in granted}
    # A second call, given the consents, reuses every snapshot: one query of snapshots, one
    # INSERT of pulls.
    with statements(engine) as seen:
        ent2, rep2 = _pull_many(session, runtime, connectors, firm, _requests(firm), granted)
    assert len(seen) == 2 and not _consent_selects(seen), seen
    assert all(s.reused for s in [*ent2.values(), *rep2.values()])
    assert rep2[BUREAU].id == rep[BUREAU].id


def _transient(firm: WorldFirm, runtime: Runtime) -> Consent:
    now = runtime.clock.now()
    return Consent(
        id=uuid.uuid4(),
        enterprise_id=firm.enterprise_id,
        person_id=None,
        source=TAX.value,
        purpose=DECISION.value,
        scope="enterprise",
        channel="api",
        text_version="x",
        text_lang="zh",
        text_sha256="0" * 64,
        granted_at=now,
        expires_at=now + timedelta(days=365),
    )


def _revoked(session: Session, runtime: Runtime, firm: WorldFirm, _: WorldFirm) -> Consent:
    consent = consents_service.grant(
        session, runtime.clock, enterprise_id=firm.enterprise_id, source=TAX, purpose=DECISION
    )
    return consents_service.revoke(session, runtime.clock, consent.id, revoked_by=None)


def _expired(session: Session, runtime: Runtime, firm: WorldFirm, _: WorldFirm) -> Consent:
    consent = consents_service.grant(
        session,
        runtime.clock,
        enterprise_id=firm.enterprise_id,
        source=TAX,
        purpose=DECISION,
        valid_days=1,
    )
    clock = runtime.clock
    assert isinstance(clock, FixedClock)
    clock.advance(timedelta(days=1))
    return consent


def _other_enterprise(
    session: Session, runtime: Runtime, firm: WorldFirm, other: WorldFirm
) -> Consent:
    return consents_service.grant(
        session, runtime.clock, enterprise_id=other.enterprise_id, source=TAX, purpose=DECISION
    )


def _other_purpose(session: Session, runtime: Runtime, firm: WorldFirm, _: WorldFirm) -> Consent:
    return consents_service.grant(
        session,
        runtime.clock,
        enterprise_id=firm.enterprise_id,
        source=TAX,
        purpose=Purpose.MARKETING,
    )


def _other_scope(session: Session, runtime: Runtime, firm: WorldFirm, _: WorldFirm) -> Consent:
    # The legal representative's own consent does not cover the enterprise's tax records.
    return consents_service.grant(
        session,
        runtime.clock,
        enterprise_id=firm.enterprise_id,
        source=BUREAU,
        purpose=DECISION,
        scope=LEGAL_REP,
        person_id=firm.person_id,
    )


def _hand_made(session: Session, runtime: Runtime, firm: WorldFirm, _: WorldFirm) -> Consent:
    return _transient(firm, runtime)


def _of_another_session(
    session: Session, runtime: Runtime, firm: WorldFirm, _: WorldFirm
) -> Consent:
    consent = consents_service.grant(
        session, runtime.clock, enterprise_id=firm.enterprise_id, source=TAX, purpose=DECISION
    )
    consents_service.revoke(session, runtime.clock, consent.id, revoked_by=None)
    session.flush()
    session.expunge(consent)
    consent.revoked_at = None  # a detached copy that claims to be live
    return consent


UNUSABLE: dict[str, Callable[[Session, Runtime, WorldFirm, WorldFirm], Consent]] = {
    "revoked": _revoked,
    "expired": _expired,
    "for another enterprise": _other_enterprise,
    "for another purpose": _other_purpose,
    "for another scope": _other_scope,
    "hand-made, never stored": _hand_made,
    "detached, edited": _of_another_session,
}


@pytest.mark.parametrize("case", list(UNUSABLE))
def test_an_unusable_given_consent_is_not_accepted(
    session: Session,
    runtime: Runtime,
    connectors: Connectors,
    firm: WorldFirm,
    other_firm: WorldFirm,
    case: str,
) -> None:
    given = UNUSABLE[case](session, runtime, firm, other_firm)
    if case == "for another scope":
        requests = [hub.PullRequest([BUREAU])]
        missing = "credit_bureau"
    else:
        requests = [hub.PullRequest([TAX])]
        missing = "tax"
    with pytest.raises(ConsentMissing) as err:
        _pull_many(session, runtime, connectors, firm, requests, [given])
    assert err.value.params["sources"] == missing
    assert _count(session, SnapshotRow) == 0 and _count(session, PullRow) == 0


@pytest.mark.parametrize("case", ["revoked", "hand-made, never stored", "detached, edited"])
def test_an_unusable_given_consent_falls_back_to_the_live_one_stored(
    session: Session,
    runtime: Runtime,
    engine: Engine,
    connectors: Connectors,
    firm: WorldFirm,
    other_firm: WorldFirm,
    case: str,
) -> None:
    given = UNUSABLE[case](session, runtime, firm, other_firm)
    live = consents_service.grant(
        session, runtime.clock, enterprise_id=firm.enterprise_id, source=TAX, purpose=DECISION
    )
    with statements(engine) as seen:
        (got,) = _pull_many(session, runtime, connectors, firm, [hub.PullRequest([TAX])], [given])
    assert len(_consent_selects(seen)) == 1, seen
    assert got[TAX].consent_id == live.id != given.id


def test_all_or_nothing_across_requests(
    session: Session,
    runtime: Runtime,
    connectors: Connectors,
    firm: WorldFirm,
) -> None:
    granted = consents_service.grant_bundle(
        session, runtime.clock, firm.enterprise_id, ENTERPRISE_SOURCES, DECISION
    )
    calls: list[SourceName] = []

    class Counting(SandboxConnector):
        def fetch(self, source: SourceName, subject_id: str, *, request_id: str) -> BaseModel:
            calls.append(source)
            return super().fetch(source, subject_id, request_id=request_id)

    counting = Connectors(default=Counting(SandboxConnector.default().provider))
    with pytest.raises(ConsentMissing) as err:  # no consent of the legal representative
        _pull_many(session, runtime, counting, firm, _requests(firm), granted)
    assert err.value.params["sources"] == "credit_bureau"
    assert err.value.params["scope"] == "legal_representative"
    assert calls == []

    # A provider failing on the second request stores nothing of the first either.
    consents_service.grant_bundle(
        session,
        runtime.clock,
        firm.enterprise_id,
        [BUREAU],
        DECISION,
        scope=LEGAL_REP,
        person_id=firm.person_id,
    )

    class Failing(SandboxConnector):
        name = "sandbox"

        def fetch(self, source: SourceName, subject_id: str, *, request_id: str) -> BaseModel:
            if subject_id == firm.resident_id:
                raise ProviderUnavailable(source=source.value)
            return super().fetch(source, subject_id, request_id=request_id)

    failing = Connectors(default=Failing(SandboxConnector.default().provider))
    with pytest.raises(ProviderUnavailable):
        _pull_many(session, runtime, failing, firm, _requests(firm), granted)
    assert _count(session, SnapshotRow) == 0 and _count(session, PullRow) == 0


def test_a_source_asked_twice_for_one_subject_is_fetched_once(
    session: Session, runtime: Runtime, connectors: Connectors, firm: WorldFirm
) -> None:
    granted = consents_service.grant_bundle(
        session, runtime.clock, firm.enterprise_id, [TAX], DECISION
    )
    first, second = _pull_many(
        session,
        runtime,
        connectors,
        firm,
        [hub.PullRequest([TAX]), hub.PullRequest([TAX])],
        granted,
    )
    assert first[TAX].id == second[TAX].id
    assert not first[TAX].reused and second[TAX].reused
    assert _count(session, SnapshotRow) == 1 and _count(session, PullRow) == 2
    assert _pull_many(session, runtime, connectors, firm, [hub.PullRequest([])]) == [{}]


def test_a_consent_of_another_session_is_not_accepted(
    session: Session, runtime: Runtime, connectors: Connectors, firm: WorldFirm
) -> None:
    other = runtime.session_factory()
    try:
        consent = consents_service.grant(
            other, runtime.clock, enterprise_id=firm.enterprise_id, source=TAX, purpose=DECISION
        )
        # Revoked in the database behind the ORM's back: the object still says live.
        other.execute(
            update(Consent).where(Consent.id == consent.id).values(revoked_at=runtime.clock.now()),
            execution_options={"synchronize_session": False},
        )
        other.commit()  # still a persistent row, of that other session
        assert consent.is_live(runtime.clock.now())
        with pytest.raises(ConsentMissing):
            _pull_many(session, runtime, connectors, firm, [hub.PullRequest([TAX])], [consent])
    finally:
        other.close()


def test_a_consent_not_yet_flushed_is_not_accepted(
    session: Session, runtime: Runtime, connectors: Connectors, firm: WorldFirm
) -> None:
    pending = _transient(firm, runtime)
    session.add(pending)
    with session.no_autoflush, pytest.raises(ConsentMissing):
        _pull_many(session, runtime, connectors, firm, [hub.PullRequest([TAX])], [pending])


def test_a_consent_with_unflushed_changes_is_not_accepted(
    session: Session, runtime: Runtime, connectors: Connectors, firm: WorldFirm
) -> None:
    revoked = _revoked(session, runtime, firm, firm)
    session.flush()
    revoked.revoked_at = None  # says live in memory; the database says revoked
    with session.no_autoflush, pytest.raises(ConsentMissing):
        _pull_many(session, runtime, connectors, firm, [hub.PullRequest([TAX])], [revoked])


def test_a_gate_between_requests_stops_the_later_fetches(
    session: Session,
    runtime: Runtime,
    engine: Engine,
    firm: WorldFirm,
    held: Any,
) -> None:
    """`gate(i, payloads)` sees request i's payloads before request i + 1 is fetched: refusing
    there asks no provider about the person and stores nothing; passing, one call stores all."""
    granted = _grant_both(session, runtime, firm)
    calls: list[tuple[SourceName, str]] = []

    class Counting(SandboxConnector):
        def fetch(self, source: SourceName, subject_id: str, *, request_id: str) -> BaseModel:
            calls.append((source, subject_id))
            return super().fetch(source, subject_id, request_id=request_id)

    counting = Connectors(default=Counting(SandboxConnector.default().provider))
    seen_by_gate: list[tuple[int, list[SourceName]]] = []

    def refuse(index: int, payloads: Any) -> None:
        seen_by_gate.append((index, list(payloads)))
        raise RuntimeError("the registry names someone else")

    with pytest.raises(RuntimeError):
        hub.pull_many(
            session,
            runtime.clock,
            counting,
            enterprise_id=firm.enterprise_id,
            requests=_requests(firm),
            purpose=DECISION,
            cipher=runtime.cipher,
            consents=granted,
            gate=refuse,
        )
    assert seen_by_gate == [(0, ENTERPRISE_SOURCES)]
    assert {subject for _, subject in calls} == {firm.uscc}  # the person was never asked about
    assert _count(session, SnapshotRow) == 0 and _count(session, PullRow) == 0

    calls.clear()
    registry_seen: list[str] = []
    with statements(engine) as seen:
        ent, rep = hub.pull_many(
            session,
            runtime.clock,
            counting,
            enterprise_id=firm.enterprise_id,
            requests=_requests(firm),
            purpose=DECISION,
            cipher=runtime.cipher,
            consents=granted,
            gate=lambda index, payloads: registry_seen.append(payloads[SourceName.REGISTRY].name),
        )
    assert len(registry_seen) == 1 and registry_seen[0] == ent[SourceName.REGISTRY].payload.name
    assert calls[-1] == (BUREAU, firm.resident_id) and len(calls) == len(ENTERPRISE_SOURCES) + 1
    assert len(seen) == 3, seen  # one snapshot query, one INSERT of snapshots, one of pulls
    assert list(rep) == [BUREAU] and not rep[BUREAU].reused
