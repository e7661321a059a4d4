"""Public functions of the consents domain. They never commit; the caller owns the transaction.

`grant_bundles` grants several bundles (one screen of consents each: sources under one scope and
person, e.g. an application's enterprise sources and its legal representative's credit report) at
once: every check of every bundle comes first, so a refused call writes nothing; then one multi-row
INSERT of the new consents and one UPDATE … RETURNING that supersedes the live consents they
replace (plus one query of the legal representatives' ids when a bundle is a legal
representative's), and one `consent.grant` audit event per bundle, on the enterprise, listing each
consent with its source, scope, person, text and the ids it superseded. `grant_bundle` and `grant`
are one bundle.

`consents_for_pull` is what the data hub asks before a pull (plain `ConsentRef`s, consents handed
over by the caller checked here); `live_consent` / `live_consents` / `live_consents_many` the
look-ups behind it: a consent is live when it was granted, has not expired, and was neither
revoked nor superseded.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from itertools import islice
from typing import Any, cast

from sqlalchemy import Select, Table, Update, and_, bindparam, case, inspect, or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

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
from puhui.consents.schemas import (
    DEFAULT_VALID_DAYS,
    MAX_VALID_DAYS,
    ConsentOut,
    ConsentRef,
    ConsentTextOut,
)
from puhui.consents.sources import SourceName
from puhui.core import audit
from puhui.core.auth import Principal
from puhui.core.clock import Clock
from puhui.core.db import add_persistent
from puhui.core.errors import InvalidInput
from puhui.core.i18n import Lang
from puhui.core.ids import new_id
from puhui.identity import service as identity_service
from puhui.parties import service as parties_service


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


@dataclass(frozen=True)
class Bundle:
    """One screen of consents: several sources under one scope (and person). See `grant_bundles`."""

    sources: Sequence[SourceName]
    scope: ConsentScope = ConsentScope.ENTERPRISE
    person_id: uuid.UUID | None = None
    text_versions: Mapping[SourceName, str] | None = None
    text_sha256: Mapping[SourceName, str] | None = None


def _sources_of(bundle: Bundle) -> list[SourceName]:
    sources = list(dict.fromkeys(SourceName(s) for s in bundle.sources))
    if not sources:
        raise InvalidInput(field="sources")
    return sources


def _check_person_shape(bundle: Bundle) -> None:
    if ConsentScope(bundle.scope) == ConsentScope.LEGAL_REPRESENTATIVE:
        if bundle.person_id is None:
            raise PersonNotLegalRepresentative(field="person_id")
    elif bundle.person_id is not None:
        raise InvalidInput(field="person_id")


def _texts_to_agree(
    bundle: Bundle, sources: Sequence[SourceName], purpose: Purpose, lang: Lang
) -> list[tuple[SourceName, texts.ConsentText]]:
    scope = ConsentScope(bundle.scope)
    versions = bundle.text_versions or {}
    hashes = bundle.text_sha256 or {}
    agreed: list[tuple[SourceName, texts.ConsentText]] = []
    for source in sources:
        if not texts.scope_allowed(source, scope, purpose):
            raise ScopeNotAllowed(field="scope", source=source.value, scope=scope.value)
        agreed.append(
            (
                source,
                _text_to_agree(source, purpose, versions.get(source), lang, hashes.get(source)),
            )
        )
    return agreed


def _check_people(session: Session, enterprise_id: uuid.UUID, people: set[uuid.UUID]) -> None:
    """Every person must be a legal representative of the enterprise (one query for all)."""
    if not people:
        return
    if not people <= set(parties_service.legal_representatives_of(session, enterprise_id)):
        raise PersonNotLegalRepresentative(field="person_id")


@cache
def _supersede_statement(people: tuple[bool, ...]) -> Update:
    """The UPDATE of `_supersede` for new consents with (True) or without a person, built once
    per shape with bound parameters (building it cost more than running it)."""
    consents = cast(Table, Consent.__table__)
    column = consents.c
    keys = [
        and_(
            column.source == bindparam(f"b_source_{i}", type_=column.source.type),
            column.scope == bindparam(f"b_scope_{i}", type_=column.scope.type),
            column.person_id == bindparam(f"b_person_{i}", type_=column.person_id.type)
            if has_person
            else column.person_id.is_(None),
        )
        for i, has_person in enumerate(people)
    ]
    new_ids = [bindparam(f"b_id_{i}", type_=column.id.type) for i in range(len(people))]
    return (
        update(consents)
        .where(
            column.enterprise_id == bindparam("b_enterprise_id", type_=column.enterprise_id.type),
            column.purpose == bindparam("b_purpose", type_=column.purpose.type),
            column.revoked_at.is_(None),
            column.superseded_by_id.is_(None),
            column.granted_at <= bindparam("b_now", type_=column.granted_at.type),
            column.expires_at > bindparam("b_now", type_=column.expires_at.type),
            column.id.not_in(new_ids),
            or_(*keys),
        )
        .values(superseded_by_id=case(*zip(keys, new_ids, strict=True)))
        .returning(column.id, column.superseded_by_id)
    )


def _supersede(
    session: Session,
    now: datetime,
    enterprise_id: uuid.UUID,
    purpose: Purpose,
    granted: Sequence[Consent],
) -> dict[uuid.UUID, list[uuid.UUID]]:
    """Mark every live consent that a new one replaces (same source, purpose, scope and person)
    as superseded by it, in one UPDATE … RETURNING. Returns new id → ids it superseded."""
    statement = _supersede_statement(tuple(c.person_id is not None for c in granted))
    params: dict[str, Any] = {
        "b_enterprise_id": enterprise_id,
        "b_purpose": purpose.value,
        "b_now": now,
    }
    for i, consent in enumerate(granted):
        params.update({f"b_source_{i}": consent.source, f"b_scope_{i}": consent.scope})
        params[f"b_id_{i}"] = consent.id
        if consent.person_id is not None:
            params[f"b_person_{i}"] = consent.person_id
    superseded: dict[uuid.UUID, list[uuid.UUID]] = {}
    for old_id, by_id in session.execute(statement, params).all():
        superseded.setdefault(by_id, []).append(old_id)
        # A Core UPDATE bypasses the ORM: bring a loaded copy of the old row up to date.
        old = session.identity_map.get(identity_key(Consent, old_id))
        if old is not None:
            set_committed_value(old, "superseded_by_id", by_id)
    for ids in superseded.values():
        ids.sort()
    return superseded


def grant_bundles(
    session: Session,
    clock: Clock,
    enterprise_id: uuid.UUID,
    bundles: Sequence[Bundle],
    purpose: Purpose,
    *,
    channel: Channel = Channel.API,
    granted_by: uuid.UUID | None = None,
    text_lang: Lang = "zh",
    valid_days: int = DEFAULT_VALID_DAYS,
) -> list[list[Consent]]:
    """Grant several bundles of consents for one enterprise and purpose at once (an application's
    enterprise sources and its legal representative's own consent), in a few statements.

    Every check of every bundle happens before anything is written, so a refused call changes
    nothing. A live consent for the same source, purpose, scope and person is superseded by the
    new one. The same source, scope and person may not appear in two bundles of one call. Writes:
    one multi-row INSERT of the new consents, one UPDATE of the superseded ones (plus one query
    of the enterprise's legal representatives when a bundle is for one of them), and one
    `consent.grant` audit event per bundle listing its consents and what each superseded.
    Returns the new consents, bundle by bundle, in the order of each bundle's sources.
    """
    purpose = Purpose(purpose)
    channel = Channel(channel)
    now = clock.now()
    agreed = _checked_bundles(session, now, enterprise_id, bundles, purpose, text_lang, valid_days)
    grant = _Grant(
        enterprise_id,
        purpose,
        channel,
        text_lang,
        granted_by,
        now,
        now + timedelta(days=valid_days),
    )
    rows = [_consent_rows(grant, b, items) for b, items in zip(bundles, agreed, strict=True)]
    # One multi-row INSERT; the consents are then persistent rows of the session, as after a
    # flush (ids are made here, not by the database).
    every = add_persistent(session, Consent, [row for group in rows for row in group])
    in_order = iter(every)
    granted = [list(islice(in_order, len(group))) for group in rows]
    superseded = _supersede(session, now, enterprise_id, purpose, every)
    for bundle, group in zip(bundles, granted, strict=True):
        audit.record(
            session,
            "consent.grant",
            "enterprise",
            enterprise_id,
            after=_grant_event(grant, bundle, group, superseded),
        )
    return granted


@dataclass(frozen=True, slots=True)
class _Grant:
    """What every consent of one `grant_bundles` call shares."""

    enterprise_id: uuid.UUID
    purpose: Purpose
    channel: Channel
    text_lang: Lang
    granted_by: uuid.UUID | None
    granted_at: datetime
    expires_at: datetime


def _checked_bundles(
    session: Session,
    now: datetime,
    enterprise_id: uuid.UUID,
    bundles: Sequence[Bundle],
    purpose: Purpose,
    text_lang: Lang,
    valid_days: int,
) -> list[list[tuple[SourceName, texts.ConsentText]]]:
    """Every check of every bundle, in the order `grant_bundle` always made them, before
    anything is written; the texts each bundle agrees to, source by source."""
    if not bundles:
        raise InvalidInput(field="sources")
    sources = [_sources_of(b) for b in bundles]
    if not 1 <= valid_days <= MAX_VALID_DAYS:
        raise InvalidInput(field="valid_days")
    parties_service.get_enterprise(session, enterprise_id)
    for bundle in bundles:
        _check_person_shape(bundle)
    people = {
        b.person_id
        for b in bundles
        if b.person_id is not None and b.scope == ConsentScope.LEGAL_REPRESENTATIVE
    }
    _check_people(session, enterprise_id, people)
    # A consent to a person's own data (the credit bureau) counts only from a person who passed
    # carrier three-factor verification (issue 15: not whoever knows a name and a USCC).
    for person_id in sorted(people):
        identity_service.require_verified_rep(session, now, person_id)
    agreed = [
        _texts_to_agree(b, s, purpose, text_lang) for b, s in zip(bundles, sources, strict=True)
    ]
    _check_distinct(bundles, agreed)
    return agreed


def _check_distinct(
    bundles: Sequence[Bundle], agreed: Sequence[Sequence[tuple[SourceName, object]]]
) -> None:
    """InvalidInput when one source, scope and person comes twice in one call: one consent
    would supersede the other within the same call."""
    seen: set[tuple[SourceName, str, uuid.UUID | None]] = set()
    for bundle, items in zip(bundles, agreed, strict=True):
        for source, _ in items:
            key = (source, ConsentScope(bundle.scope).value, bundle.person_id)
            if key in seen:
                raise InvalidInput(field="sources")
            seen.add(key)


def _consent_rows(
    grant: _Grant, bundle: Bundle, items: Sequence[tuple[SourceName, texts.ConsentText]]
) -> list[dict[str, Any]]:
    """The new consents' rows of one bundle, complete (ids made here)."""
    return [
        {
            "id": new_id(),
            "enterprise_id": grant.enterprise_id,
            "person_id": bundle.person_id,
            "source": source.value,
            "purpose": grant.purpose.value,
            "scope": ConsentScope(bundle.scope).value,
            "channel": grant.channel.value,
            "text_version": text.version,
            "text_lang": grant.text_lang,
            "text_sha256": text.sha256(grant.text_lang),
            "granted_at": grant.granted_at,
            "expires_at": grant.expires_at,
            "granted_by_user_id": grant.granted_by,
            "revoked_at": None,
            "revoked_by_user_id": None,
            "revoke_reason": None,
            "superseded_by_id": None,
        }
        for source, text in items
    ]


def _grant_event(
    grant: _Grant,
    bundle: Bundle,
    group: Sequence[Consent],
    superseded: Mapping[uuid.UUID, list[uuid.UUID]],
) -> dict[str, Any]:
    """The `consent.grant` audit event of one bundle: its consents and what each superseded."""
    return {
        "enterprise_id": grant.enterprise_id,
        "person_id": bundle.person_id,
        "purpose": grant.purpose.value,
        "scope": ConsentScope(bundle.scope).value,
        "channel": grant.channel.value,
        "text_lang": grant.text_lang,
        "granted_at": grant.granted_at,
        "expires_at": grant.expires_at,
        "granted_by_user_id": grant.granted_by,
        "consents": [
            {
                "id": c.id,
                "source": c.source,
                "scope": c.scope,
                "person_id": c.person_id,
                "text_version": c.text_version,
                "text_sha256": c.text_sha256,
                "superseded_ids": superseded.get(c.id, []),
            }
            for c in group
        ],
    }


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
    One bundle of `grant_bundles`.
    """
    bundle = Bundle(sources, scope, person_id, text_versions, text_sha256)
    return grant_bundles(
        session,
        clock,
        enterprise_id,
        [bundle],
        purpose,
        channel=channel,
        granted_by=granted_by,
        text_lang=text_lang,
        valid_days=valid_days,
    )[0]


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


def live_consents_many(
    session: Session,
    now: datetime,
    enterprise_id: uuid.UUID,
    purpose: Purpose,
    asks: Sequence[tuple[Iterable[SourceName], ConsentScope, uuid.UUID | None]],
) -> list[dict[SourceName, Consent]]:
    """`live_consents` for several (sources, scope, person) at once, in one query (none when no
    source is asked). One dict per ask, in order; for each source the newest live consent."""
    wanted = [
        ([SourceName(s).value for s in sources], ConsentScope(scope), person_id)
        for sources, scope, person_id in asks
    ]
    found: list[dict[SourceName, Consent]] = [{} for _ in wanted]
    conditions = [
        and_(
            Consent.scope == scope.value,
            Consent.source.in_(sources),
            *([Consent.person_id == person_id] if person_id is not None else []),
        )
        for sources, scope, person_id in wanted
        if sources
    ]
    if not conditions:
        return found
    query = select(Consent).where(
        Consent.enterprise_id == enterprise_id,
        Consent.purpose == Purpose(purpose).value,
        Consent.revoked_at.is_(None),
        Consent.superseded_by_id.is_(None),
        Consent.granted_at <= now,
        Consent.expires_at > now,
        or_(*conditions),
    )
    for consent in session.scalars(query.order_by(Consent.granted_at.desc(), Consent.id.desc())):
        for (sources, scope, person_id), into in zip(wanted, found, strict=True):
            if (
                consent.source in sources
                and consent.scope == scope.value
                and (person_id is None or consent.person_id == person_id)
            ):
                into.setdefault(SourceName(consent.source), consent)  # newest first
    return found


def _given_usable(
    session: Session, consent: object, now: datetime, enterprise_id: uuid.UUID, purpose: Purpose
) -> bool:
    """Can a consent the caller hands over stand in for the look-up? Only a row of this session
    as stored (flushed, no pending change), for this enterprise and purpose, live now."""
    if not isinstance(consent, Consent):
        return False
    state = inspect(consent, raiseerr=False)
    return (
        state is not None
        and state.persistent
        and consent in session
        and not state.modified
        and consent.enterprise_id == enterprise_id
        and consent.purpose == purpose.value
        and consent.is_live(now)
    )


def _given_for(
    given: Sequence[Consent],
    sources: Sequence[SourceName],
    scope: ConsentScope,
    person_id: uuid.UUID | None,
) -> dict[SourceName, Consent]:
    """The given consents covering an ask's sources (the newest per source)."""
    if scope == ConsentScope.LEGAL_REPRESENTATIVE and person_id is None:
        return {}  # the person is resolved from the stored consents, as `live_consents` does
    found: dict[SourceName, Consent] = {}
    for consent in sorted(given, key=lambda c: (c.granted_at, c.id), reverse=True):
        source = SourceName(consent.source)
        if source in sources and consent.scope == scope.value and consent.person_id == person_id:
            found.setdefault(source, consent)
    return found


def consents_for_pull(
    session: Session,
    now: datetime,
    enterprise_id: uuid.UUID,
    purpose: Purpose,
    asks: Sequence[tuple[Sequence[SourceName], ConsentScope, uuid.UUID | None]],
    given: Iterable[object] = (),
) -> list[dict[SourceName, ConsentRef]]:
    """For each ask (sources, scope, person), the newest live consent of each source that has
    one (a source without is absent), as plain data.

    `given`: consents the caller granted in this unit of work (what `grant_bundles` returned);
    one stands in for the look-up only if it is a flushed, unchanged row of this session, for
    this enterprise and purpose, live now. What they do not cover is looked up in one query
    (none when they cover everything)."""
    purpose = Purpose(purpose)
    usable = [c for c in given if _given_usable(session, c, now, enterprise_id, purpose)]
    checked = cast(list[Consent], usable)
    found = [_given_for(checked, sources, scope, person_id) for sources, scope, person_id in asks]
    looked_up = live_consents_many(
        session,
        now,
        enterprise_id,
        purpose,
        [
            ([s for s in sources if s not in have], scope, person_id)
            for (sources, scope, person_id), have in zip(asks, found, strict=True)
        ],
    )
    for have, more in zip(found, looked_up, strict=True):
        for source, consent in more.items():
            have.setdefault(source, consent)
    return [
        {
            source: ConsentRef(c.id, SourceName(c.source), ConsentScope(c.scope), c.person_id)
            for source, c in have.items()
        }
        for have in found
    ]


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
