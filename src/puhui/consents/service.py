"""Public functions of the consents domain. They never commit; the caller owns the transaction.

`live_consent` / `live_consents` are what the data hub asks before every pull: a consent is live
when it was granted, has not expired, and was neither revoked nor superseded.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from puhui.consents import texts
from puhui.consents.errors import (
    ConsentAlreadyEnded,
    ConsentNotFound,
    ConsentTextMismatch,
    ConsentTextOutdated,
    ConsentTextUnknown,
    PersonNotLegalRepresentative,
    PurposeNotAllowed,
    ScopeNotAllowed,
)
from puhui.consents.models import Channel, Consent, ConsentScope, Purpose
from puhui.consents.schemas import DEFAULT_VALID_DAYS, MAX_VALID_DAYS, ConsentOut, ConsentTextOut
from puhui.core import audit
from puhui.core.auth import Principal
from puhui.core.clock import Clock
from puhui.core.errors import InvalidInput
from puhui.core.i18n import Lang
from puhui.datahub.payloads import SourceName
from puhui.parties import service as parties_service
from puhui.parties.models import RelationKind


def _check_person(session: Session, enterprise_id: uuid.UUID, person_id: uuid.UUID) -> None:
    for rel in parties_service.relationships_of(session, enterprise_id):
        if rel.kind == RelationKind.LEGAL_REPRESENTATIVE.value and rel.person_id == person_id:
            return
    raise PersonNotLegalRepresentative(field="person_id")


def _text_to_agree(
    source: SourceName,
    purpose: Purpose,
    version: str | None,
    lang: Lang,
    shown_sha256: str | None,
) -> texts.ConsentText:
    current = texts.current_text(source, purpose)
    if current is None:
        raise PurposeNotAllowed(field="purpose", source=source.value, purpose=purpose.value)
    if version is not None and version != current.version:
        if texts.find_text(source, purpose, version) is None:
            raise ConsentTextUnknown(field="text_versions", source=source.value, version=version)
        raise ConsentTextOutdated(
            field="text_versions", source=source.value, current=current.version
        )
    if shown_sha256 is not None and shown_sha256.lower() != current.sha256(lang):
        raise ConsentTextMismatch(field="text_sha256", source=source.value)
    return current


def _live_query(
    now: datetime,
    enterprise_id: uuid.UUID,
    purpose: Purpose,
    scope: ConsentScope,
    person_id: uuid.UUID | None,
) -> Select[Consent]:
    query = select(Consent).where(
        Consent.enterprise_id == enterprise_id,
        Consent.purpose == purpose.value,
        Consent.scope == scope.value,
        Consent.revoked_at.is_(None),
        Consent.superseded_by_id.is_(None),
        Consent.granted_at <= now,
        Consent.expires_at > now,
    )
    if person_id is not None:
        query = query.where(Consent.person_id == person_id)
    return query.order_by(Consent.granted_at.desc(), Consent.id.desc())


def grant_bundle(
    session: Session,
    clock: Clock,
    enterprise_id: uuid.UUID,
    sources: Sequence[SourceName],
    purpose: Purpose,
    *,
    scope: ConsentScope = ConsentScope.ENTERPRISE,
    person_id: uuid.UUID | None = None,
    channel: Channel = Channel.API,
    granted_by: uuid.UUID | None = None,
    text_lang: Lang = "zh",
    text_versions: dict[SourceName, str] | None = None,
    text_sha256: dict[SourceName, str] | None = None,
    valid_days: int = DEFAULT_VALID_DAYS,
) -> list[Consent]:
    """Grant consents for several sources at once (the one-screen consent of an application).

    Everything is checked before anything is written, so a refused bundle changes nothing. A
    live consent for the same source, purpose, scope and person is superseded by the new one.
    """
    sources = list(dict.fromkeys(SourceName(s) for s in sources))
    if not sources:
        raise InvalidInput(field="sources")
    if not 1 <= valid_days <= MAX_VALID_DAYS:
        raise InvalidInput(field="valid_days")
    parties_service.get_enterprise(session, enterprise_id)
    if scope == ConsentScope.LEGAL_REPRESENTATIVE:
        if person_id is None:
            raise PersonNotLegalRepresentative(field="person_id")
        _check_person(session, enterprise_id, person_id)
    elif person_id is not None:
        raise InvalidInput(field="person_id")
    versions = text_versions or {}
    hashes = text_sha256 or {}
    agreed: list[tuple[SourceName, texts.ConsentText]] = []
    for source in sources:
        if not texts.scope_allowed(source, scope):
            raise ScopeNotAllowed(field="scope", source=source.value, scope=scope.value)
        agreed.append(
            (
                source,
                _text_to_agree(
                    source, purpose, versions.get(source), text_lang, hashes.get(source)
                ),
            )
        )

    now = clock.now()
    previous = {
        SourceName(c.source): c
        for c in session.scalars(
            _live_query(now, enterprise_id, purpose, scope, person_id).where(
                Consent.source.in_([s.value for s in sources])
            )
        )
        if c.person_id == person_id
    }
    granted: list[Consent] = []
    for source, text in agreed:
        consent = Consent(
            enterprise_id=enterprise_id,
            person_id=person_id,
            source=source.value,
            purpose=purpose.value,
            scope=scope.value,
            channel=Channel(channel).value,
            text_version=text.version,
            text_lang=text_lang,
            text_sha256=text.sha256(text_lang),
            granted_at=now,
            expires_at=now + timedelta(days=valid_days),
            granted_by_user_id=granted_by,
        )
        session.add(consent)
        granted.append(consent)
    session.flush()
    for consent in granted:
        old = previous.get(SourceName(consent.source))
        if old is not None:
            old.superseded_by_id = consent.id
            audit.record(
                session,
                "consent.supersede",
                "consent",
                old.id,
                before={"status": "live"},
                after={"status": "superseded", "superseded_by_id": consent.id},
            )
        audit.record(
            session,
            "consent.grant",
            "consent",
            consent.id,
            after={
                "enterprise_id": enterprise_id,
                "person_id": person_id,
                "source": consent.source,
                "purpose": consent.purpose,
                "scope": consent.scope,
                "channel": consent.channel,
                "text_version": consent.text_version,
                "text_lang": consent.text_lang,
                "text_sha256": consent.text_sha256,
                "granted_at": consent.granted_at,
                "expires_at": consent.expires_at,
                "granted_by_user_id": granted_by,
            },
        )
    session.flush()
    return granted


def grant(
    session: Session,
    clock: Clock,
    *,
    enterprise_id: uuid.UUID,
    source: SourceName,
    purpose: Purpose,
    scope: ConsentScope = ConsentScope.ENTERPRISE,
    person_id: uuid.UUID | None = None,
    channel: Channel = Channel.API,
    granted_by: uuid.UUID | None = None,
    text_lang: Lang = "zh",
    text_version: str | None = None,
    text_sha256: str | None = None,
    valid_days: int = DEFAULT_VALID_DAYS,
) -> Consent:
    """Grant one consent (one source). See `grant_bundle`."""
    source = SourceName(source)
    return grant_bundle(
        session,
        clock,
        enterprise_id,
        [source],
        purpose,
        scope=scope,
        person_id=person_id,
        channel=channel,
        granted_by=granted_by,
        text_lang=text_lang,
        text_versions={source: text_version} if text_version else None,
        text_sha256={source: text_sha256} if text_sha256 else None,
        valid_days=valid_days,
    )[0]


def get_consent(session: Session, consent_id: uuid.UUID) -> Consent:
    consent = session.get(Consent, consent_id)
    if consent is None:
        raise ConsentNotFound()
    return consent


def get_consent_for(session: Session, principal: Principal, consent_id: uuid.UUID) -> Consent:
    """A consent as the principal may see it: a borrower only its own enterprises' (else 404)."""
    consent = session.get(Consent, consent_id)
    if consent is None or not principal.can_act_for(consent.enterprise_id):
        raise ConsentNotFound()
    return consent


def revoke(
    session: Session,
    clock: Clock,
    consent_id: uuid.UUID,
    *,
    revoked_by: uuid.UUID | None,
    reason: str | None = None,
) -> Consent:
    """Revoke a consent: from now on the hub refuses pulls (and reuse) under it."""
    consent = get_consent(session, consent_id)
    if consent.revoked_at is not None or consent.superseded_by_id is not None:
        raise ConsentAlreadyEnded()
    now = clock.now()
    status_before = consent.status_at(now).value
    consent.revoked_at = now
    consent.revoked_by_user_id = revoked_by
    consent.revoke_reason = reason
    session.flush()
    audit.record(
        session,
        "consent.revoke",
        "consent",
        consent.id,
        before={"status": status_before},
        after={
            "status": "revoked",
            "revoked_at": now,
            "revoked_by_user_id": revoked_by,
            "reason": reason,
        },
    )
    return consent


def live_consent(
    session: Session,
    now: datetime,
    enterprise_id: uuid.UUID,
    source: SourceName,
    purpose: Purpose,
    scope: ConsentScope = ConsentScope.ENTERPRISE,
    person_id: uuid.UUID | None = None,
) -> Consent | None:
    """The consent that allows this use right now, or None. For the legal representative scope,
    `person_id` narrows to that person's consent."""
    query = _live_query(now, enterprise_id, Purpose(purpose), ConsentScope(scope), person_id)
    return session.scalars(query.where(Consent.source == SourceName(source).value).limit(1)).first()


def live_consents(
    session: Session,
    now: datetime,
    enterprise_id: uuid.UUID,
    sources: Iterable[SourceName],
    purpose: Purpose,
    scope: ConsentScope = ConsentScope.ENTERPRISE,
    person_id: uuid.UUID | None = None,
) -> dict[SourceName, Consent]:
    """`live_consent` for several sources in one query; sources without consent are absent."""
    wanted = [SourceName(s).value for s in sources]
    query = _live_query(now, enterprise_id, Purpose(purpose), ConsentScope(scope), person_id)
    found: dict[SourceName, Consent] = {}
    for consent in session.scalars(query.where(Consent.source.in_(wanted))):
        found.setdefault(SourceName(consent.source), consent)  # newest first
    return found


def list_for_enterprise(session: Session, enterprise_id: uuid.UUID) -> list[Consent]:
    return list_for_enterprises(session, [enterprise_id])


def list_for_enterprises(session: Session, enterprise_ids: Iterable[uuid.UUID]) -> list[Consent]:
    ids = list(enterprise_ids)
    if not ids:
        return []
    return list(
        session.scalars(
            select(Consent)
            .where(Consent.enterprise_id.in_(ids))
            .order_by(Consent.granted_at.desc(), Consent.id.desc())
        )
    )


def list_for_person(session: Session, person_id: uuid.UUID) -> list[Consent]:
    """A person's own consents (legal-representative scope), for a PIPL request."""
    return list(
        session.scalars(
            select(Consent)
            .where(Consent.person_id == person_id)
            .order_by(Consent.granted_at.desc(), Consent.id.desc())
        )
    )


def consent_out(consent: Consent, now: datetime) -> ConsentOut:
    return ConsentOut.model_validate(
        {
            **{c: getattr(consent, c) for c in ConsentOut.model_fields if c != "status"},
            "status": consent.status_at(now),
        }
    )


def text_for(source: SourceName, purpose: Purpose, lang: Lang) -> ConsentTextOut:
    """The current consent text to show for a source and purpose."""
    text = texts.current_text(SourceName(source), Purpose(purpose))
    if text is None:
        raise PurposeNotAllowed(field="purpose", source=source.value, purpose=purpose.value)
    return ConsentTextOut(
        source=text.source,
        purpose=text.purpose,
        version=text.version,
        lang=lang,
        title=text.title_zh if lang == "zh" else text.title_en,
        text=text.text(lang),
        sha256=text.sha256(lang),
    )
