"""Public functions of the identity domain. They never commit; the caller owns the transaction.

* `verify_three_factor` / `verify_two_factor` / `verify_face`: ask the provider, record the
  outcome with its evidence hash (a failed check is recorded too, in a side unit of work, and
  then refused with `VerificationFailed`). A face check's raw recording is kept encrypted
  (FieldCipher) until `purge_after`; `purge_expired_captures` empties the expired ones.
* `require_verified_rep(session, person_id)`: the legal representative's passed three-factor
  check (consents and contract signing call it), `verified_mobile` the mobile it confirmed.
* `require_face(...)`: a passed face check within the policy's window when a rule requires one.
* Agents: `grant_authorisation` (only the verified legal representative, signed in with the
  verified mobile), `revoke_authorisation`, `require_authority` (the representative, or an
  agent with a live authorisation in the scope).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from puhui.core import audit, codes
from puhui.core.canonical import canonical_json
from puhui.core.clock import Clock
from puhui.core.crypto import FieldCipher, mask_mobile, sha256_hex
from puhui.core.db import record_despite_failure
from puhui.core.errors import InvalidInput
from puhui.identity.adapters import (
    CheckResult,
    FaceVerifier,
    IdentitySettings,
    ThreeFactorVerifier,
    TwoFactorVerifier,
)
from puhui.identity.errors import (
    AgentNotAuthorised,
    AuthorisationNotFound,
    CaptureRefused,
    FaceCheckRequired,
    IdentityNotVerified,
    NotTheLegalRepresentative,
    VerificationFailed,
)
from puhui.identity.models import (
    AgentAuthorisation,
    IdentityCapture,
    IdentityVerification,
    VerificationKind,
)
from puhui.identity.rules import (
    MAX_AUTHORISATION_DAYS,
    AgentScope,
    FacePolicy,
    FaceReason,
    face_check_reasons,
)
from puhui.parties import service as parties_service

CAPTURE_FIELD = "identity_capture"
MAX_CAPTURE_BYTES = 8 * 1024 * 1024
THREE_FACTOR_VALID = timedelta(days=365)

REASONS: dict[str, tuple[str, str]] = {
    "match": ("一致", "match"),
    "not_found": ("查无此人或姓名与身份证号不一致", "no such person, or name and ID differ"),
    "name_mismatch": ("姓名与身份证号不一致", "the name does not match the resident ID"),
    "mobile_mismatch": (
        "手机号未登记在本人名下（请用法定代表人本人实名手机号登录）",
        "the mobile is not registered to this person (sign in with their own mobile)",
    ),
    "too_short": ("视频过短", "the video is too short"),
    "not_video": ("不是视频", "not a video"),
    "no_face": ("未检测到人脸", "no face found"),
}


def id_hash(cipher: FieldCipher, resident_id: str) -> str:
    """The keyed hash of a resident ID, the same as `parties_person.resident_id_hash`."""
    return cipher.lookup_hash(codes.normalize_resident_id(resident_id), "resident_id")


def mobile_hash(cipher: FieldCipher, mobile: str) -> str:
    """The keyed hash of a mobile, the same as `parties_person.mobile_hash`."""
    return cipher.lookup_hash(codes.normalize_mobile(mobile), "mobile")


@dataclass(frozen=True)
class _Asked:
    kind: VerificationKind
    name: str
    resident_id: str
    mobile: str | None = None
    user_id: uuid.UUID | None = None
    device_hash: str | None = None


def _evidence(asked: _Asked, result: CheckResult, cipher: FieldCipher, extra: str = "") -> str:
    """SHA-256 of what was asked (keyed hashes, never the clear identifiers) and answered."""
    return sha256_hex(
        canonical_json(
            {
                "kind": asked.kind.value,
                "resident_id_hash": id_hash(cipher, asked.resident_id),
                "mobile_hash": mobile_hash(cipher, asked.mobile) if asked.mobile else None,
                "name": asked.name,
                "provider": result.provider,
                "provider_ref": result.provider_ref,
                "passed": result.passed,
                "reason": result.reason,
                "score_bp": result.score_bp,
                "capture_sha256": extra or None,
            }
        )
    )


def _row(
    cipher: FieldCipher, clock: Clock, asked: _Asked, result: CheckResult, capture_sha: str = ""
) -> IdentityVerification:
    mobile = codes.normalize_mobile(asked.mobile) if asked.mobile else None
    return IdentityVerification(
        kind=asked.kind.value,
        resident_id_hash=id_hash(cipher, asked.resident_id),
        name=asked.name,
        mobile_hash=mobile_hash(cipher, mobile) if mobile else None,
        mobile_enc=cipher.encrypt(mobile, "mobile") if mobile else None,
        mobile_masked=mask_mobile(mobile) if mobile else None,
        passed=result.passed,
        reason=result.reason,
        score_bp=result.score_bp,
        provider=result.provider[:32],
        provider_ref=result.provider_ref[:64],
        is_sandbox=result.is_sandbox,
        evidence_sha256=_evidence(asked, result, cipher, capture_sha),
        requested_by_user_id=asked.user_id,
        device_hash=asked.device_hash,
        created_at=clock.now(),
    )


def _audit_after(row: IdentityVerification) -> dict[str, Any]:
    return {
        "kind": row.kind,
        "passed": row.passed,
        "reason": row.reason,
        "provider": row.provider,
        "sandbox": row.is_sandbox,
        "evidence_sha256": row.evidence_sha256,
        "mobile": row.mobile_masked,
    }


def _refuse(session: Session, row: IdentityVerification) -> VerificationFailed:
    """Keep the failed check (a side unit of work: the refusal rolls the request back)."""

    def keep(side: Session) -> None:
        side.add(row)
        side.flush()
        audit.record(side, "identity.verify_failed", "identity", row.id, after=_audit_after(row))

    record_despite_failure(session, keep)
    zh, en = REASONS.get(row.reason, (row.reason, row.reason))
    return VerificationFailed(reason_zh=zh, reason_en=en)


def _record(
    session: Session, clock: Clock, cipher: FieldCipher, asked: _Asked, result: CheckResult
) -> IdentityVerification:
    row = _row(cipher, clock, asked, result)
    if not result.passed:
        raise _refuse(session, row)
    session.add(row)
    session.flush()
    audit.record(session, "identity.verify", "identity", row.id, after=_audit_after(row))
    return row


def _clean(name: str, resident_id: str) -> tuple[str, str]:
    name = name.strip()
    resident_id = codes.normalize_resident_id(resident_id)
    if not name:
        raise InvalidInput(field="name")
    if not codes.is_valid_resident_id(resident_id):
        raise InvalidInput(field="resident_id")
    return name, resident_id


def verify_two_factor(
    session: Session,
    clock: Clock,
    cipher: FieldCipher,
    provider: TwoFactorVerifier,
    *,
    name: str,
    resident_id: str,
    user_id: uuid.UUID | None = None,
) -> IdentityVerification:
    name, resident_id = _clean(name, resident_id)
    asked = _Asked(VerificationKind.TWO_FACTOR, name, resident_id, user_id=user_id)
    return _record(session, clock, cipher, asked, provider.two_factor(name, resident_id))


def verify_three_factor(
    session: Session,
    clock: Clock,
    cipher: FieldCipher,
    provider: ThreeFactorVerifier,
    *,
    name: str,
    resident_id: str,
    mobile: str,
    user_id: uuid.UUID | None = None,
) -> IdentityVerification:
    """Carrier three-factor: passed → recorded and returned; failed → recorded and refused."""
    name, resident_id = _clean(name, resident_id)
    mobile = codes.normalize_mobile(mobile)
    if not codes.is_valid_mobile(mobile):
        raise InvalidInput(field="mobile")
    asked = _Asked(VerificationKind.THREE_FACTOR, name, resident_id, mobile, user_id)
    result = provider.three_factor(name, resident_id, mobile)
    return _record(session, clock, cipher, asked, result)


def three_factor_of(
    session: Session, cipher: FieldCipher, now: datetime, resident_id_hash: str
) -> IdentityVerification | None:
    """The newest passed three-factor verification of a person, if still valid."""
    return session.scalar(
        select(IdentityVerification)
        .where(
            IdentityVerification.resident_id_hash == resident_id_hash,
            IdentityVerification.kind == VerificationKind.THREE_FACTOR.value,
            IdentityVerification.passed.is_(True),
            IdentityVerification.created_at > now - THREE_FACTOR_VALID,
        )
        .order_by(IdentityVerification.created_at.desc(), IdentityVerification.id.desc())
        .limit(1)
    )


def ensure_three_factor(
    session: Session,
    clock: Clock,
    cipher: FieldCipher,
    provider: ThreeFactorVerifier,
    *,
    name: str,
    resident_id: str,
    mobile: str,
    user_id: uuid.UUID | None = None,
) -> IdentityVerification:
    """A valid passed check for this person and this mobile, asking the carrier only when
    there is none (a returning applicant is not checked again on every application)."""
    name, resident_id = _clean(name, resident_id)
    found = three_factor_of(session, cipher, clock.now(), id_hash(cipher, resident_id))
    if (
        found is not None
        and found.name == name
        and found.mobile_hash == mobile_hash(cipher, mobile)
    ):
        return found
    return verify_three_factor(
        session,
        clock,
        cipher,
        provider,
        name=name,
        resident_id=resident_id,
        mobile=mobile,
        user_id=user_id,
    )


def require_verified_rep(
    session: Session, now: datetime, person_id: uuid.UUID
) -> IdentityVerification:
    """The person's passed three-factor verification, else IdentityNotVerified (403)."""
    person = parties_service.get_person(session, person_id)
    found = session.scalar(
        select(IdentityVerification)
        .where(
            IdentityVerification.resident_id_hash == person.resident_id_hash,
            IdentityVerification.kind == VerificationKind.THREE_FACTOR.value,
            IdentityVerification.passed.is_(True),
            IdentityVerification.name == person.name,
            IdentityVerification.created_at > now - THREE_FACTOR_VALID,
        )
        .order_by(IdentityVerification.created_at.desc(), IdentityVerification.id.desc())
        .limit(1)
    )
    if found is None:
        raise IdentityNotVerified(field="legal_representative")
    return found


def verified_mobile(cipher: FieldCipher, verification: IdentityVerification) -> str:
    """The mobile the carrier confirmed (clear, for sending a code; never for display)."""
    if verification.mobile_enc is None:
        raise IdentityNotVerified(field="legal_representative")
    return cipher.decrypt(verification.mobile_enc, "mobile")


# ----------------------------------------------------------------------------------- face


def verify_face(
    session: Session,
    clock: Clock,
    cipher: FieldCipher,
    provider: FaceVerifier,
    *,
    person_id: uuid.UUID,
    video: bytes,
    content_type: str,
    retention: timedelta,
    user_id: uuid.UUID | None = None,
    device_hash: str | None = None,
) -> IdentityVerification:
    """Liveness and comparison with the identity photo, from a short selfie recording. The
    recording is kept encrypted until `retention` has passed, then purged."""
    if not video or len(video) > MAX_CAPTURE_BYTES:
        raise CaptureRefused(field="video")
    person = parties_service.get_person(session, person_id)
    resident_id = cipher.decrypt(person.resident_id_enc, "resident_id")
    asked = _Asked(
        VerificationKind.FACE, person.name, resident_id, user_id=user_id, device_hash=device_hash
    )
    result = provider.face(person.name, resident_id, video, content_type)
    digest = sha256_hex(video)
    row = _row(cipher, clock, asked, result, digest)
    if not result.passed:
        raise _refuse(session, row)
    session.add(row)
    session.flush()
    now = clock.now()
    session.add(
        IdentityCapture(
            verification_id=row.id,
            content_enc=cipher.encrypt(video.hex(), CAPTURE_FIELD),
            content_type=content_type[:64] or "video/webm",
            sha256=digest,
            size_bytes=len(video),
            created_at=now,
            purge_after=now + retention,
        )
    )
    session.flush()
    audit.record(session, "identity.verify", "identity", row.id, after=_audit_after(row))
    return row


def face_policy(settings: IdentitySettings | None = None) -> FacePolicy:
    """The face-check rules from `PUHUI_IDENTITY_FACE_*`."""
    settings = settings or IdentitySettings()
    return FacePolicy(
        on_first_credit=settings.face_on_first_credit,
        above_fen=settings.face_above_fen,
        on_new_device=settings.face_on_new_device,
        valid_days=settings.face_valid_days,
    )


def face_reasons(
    session: Session,
    now: datetime,
    policy: FacePolicy,
    person_id: uuid.UUID,
    *,
    first_credit: bool,
    amount_fen: int,
    device_hash: str | None,
) -> list[FaceReason]:
    """Why a face check is needed now (empty: not needed, or a valid one was passed)."""
    person = parties_service.get_person(session, person_id)
    new_device = device_hash is not None and not _device_known(
        session, person.resident_id_hash, device_hash
    )
    reasons = face_check_reasons(
        policy, first_credit=first_credit, amount_fen=amount_fen, new_device=new_device
    )
    if not reasons:
        return []
    passed = session.scalars(
        select(IdentityVerification).where(
            IdentityVerification.resident_id_hash == person.resident_id_hash,
            IdentityVerification.kind == VerificationKind.FACE.value,
            IdentityVerification.passed.is_(True),
            IdentityVerification.created_at > now - timedelta(days=policy.valid_days),
        )
    ).all()
    if not passed:
        return reasons
    if FaceReason.NEW_DEVICE in reasons and not any(v.device_hash == device_hash for v in passed):
        return [FaceReason.NEW_DEVICE]
    return []


def _device_known(session: Session, resident_id_hash: str, device_hash: str) -> bool:
    return (
        session.scalar(
            select(IdentityVerification.id)
            .where(
                IdentityVerification.resident_id_hash == resident_id_hash,
                IdentityVerification.device_hash == device_hash,
                IdentityVerification.passed.is_(True),
            )
            .limit(1)
        )
        is not None
    )


def require_face(
    session: Session,
    now: datetime,
    policy: FacePolicy,
    person_id: uuid.UUID,
    *,
    first_credit: bool,
    amount_fen: int,
    device_hash: str | None = None,
) -> None:
    reasons = face_reasons(
        session,
        now,
        policy,
        person_id,
        first_credit=first_credit,
        amount_fen=amount_fen,
        device_hash=device_hash,
    )
    if reasons:
        raise FaceCheckRequired(
            why_zh="、".join(r.zh for r in reasons), why_en=", ".join(r.en for r in reasons)
        )


def purge_expired_captures(session: Session, clock: Clock) -> int:
    """Empty every raw capture past its `purge_after` (hash and size stay); the count purged.
    For the retention job (one audit event per run)."""
    now = clock.now()
    ids = list(
        session.scalars(
            select(IdentityCapture.id).where(
                IdentityCapture.purge_after <= now, IdentityCapture.purged_at.is_(None)
            )
        )
    )
    if not ids:
        return 0
    session.execute(
        update(IdentityCapture)
        .where(IdentityCapture.id.in_(ids))
        .values(content_enc=None, purged_at=now)
    )
    audit.record(session, "identity.captures_purged", "identity", ids[0], after={"count": len(ids)})
    return len(ids)


def read_capture(cipher: FieldCipher, capture: IdentityCapture) -> bytes | None:
    if capture.content_enc is None:
        return None
    return bytes.fromhex(cipher.decrypt(capture.content_enc, CAPTURE_FIELD))


def verifications_of(
    session: Session, resident_id_hash: str, limit: int = 20
) -> list[IdentityVerification]:
    return list(
        session.scalars(
            select(IdentityVerification)
            .where(IdentityVerification.resident_id_hash == resident_id_hash)
            .order_by(IdentityVerification.created_at.desc())
            .limit(limit)
        )
    )


# --------------------------------------------------------------------------------- agents


def _next_reference(now: datetime) -> str:
    return f"AUTH-{now:%Y%m%d}-{uuid.uuid4().hex[:8].upper()}"


def grant_authorisation(
    session: Session,
    clock: Clock,
    cipher: FieldCipher,
    *,
    enterprise_id: uuid.UUID,
    rep_person_id: uuid.UUID,
    grantor_mobile: str,
    grantor_user_id: uuid.UUID | None,
    agent_name: str,
    agent_mobile: str,
    scopes: Sequence[AgentScope],
    days: int,
) -> AgentAuthorisation:
    """The legal representative (signed in with the mobile their three-factor check confirmed)
    authorises an agent, by mobile, in `scopes` for `days` days."""
    now = clock.now()
    verification = require_verified_rep(session, now, rep_person_id)
    if verification.mobile_hash != mobile_hash(cipher, grantor_mobile):
        raise NotTheLegalRepresentative()
    agent_mobile = codes.normalize_mobile(agent_mobile)
    if not codes.is_valid_mobile(agent_mobile) or agent_mobile == codes.normalize_mobile(
        grantor_mobile
    ):
        raise InvalidInput(field="agent_mobile")
    if not agent_name.strip():
        raise InvalidInput(field="agent_name")
    if not scopes:
        raise InvalidInput(field="scopes")
    if not 1 <= days <= MAX_AUTHORISATION_DAYS:
        raise InvalidInput(field="days")
    scope_text = ",".join(s.value for s in scopes)
    row = AgentAuthorisation(
        reference=_next_reference(now),
        enterprise_id=enterprise_id,
        grantor_person_id=rep_person_id,
        grantor_verification_id=verification.id,
        granted_by_user_id=grantor_user_id,
        agent_name=agent_name.strip()[:100],
        agent_mobile_hash=mobile_hash(cipher, agent_mobile),
        agent_mobile_masked=mask_mobile(agent_mobile),
        scopes=scope_text,
        granted_at=now,
        expires_at=now + timedelta(days=days),
        evidence_sha256=sha256_hex(
            canonical_json(
                {
                    "enterprise_id": str(enterprise_id),
                    "grantor_verification": verification.evidence_sha256,
                    "agent_mobile_hash": mobile_hash(cipher, agent_mobile),
                    "agent_name": agent_name.strip(),
                    "scopes": scope_text,
                    "granted_at": now.isoformat(),
                    "days": days,
                }
            )
        ),
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        "identity.authorise_agent",
        "enterprise",
        enterprise_id,
        after={
            "authorisation_id": row.id,
            "agent": row.agent_mobile_masked,
            "scopes": scope_text,
            "expires_at": row.expires_at,
            "evidence_sha256": row.evidence_sha256,
        },
    )
    return row


def revoke_authorisation(
    session: Session,
    clock: Clock,
    cipher: FieldCipher,
    *,
    authorisation_id: uuid.UUID,
    enterprise_ids: frozenset[uuid.UUID],
    grantor_mobile: str,
) -> AgentAuthorisation:
    row = session.get(AgentAuthorisation, authorisation_id)
    if row is None or row.enterprise_id not in enterprise_ids:
        raise AuthorisationNotFound()
    verification = session.get(IdentityVerification, row.grantor_verification_id)
    if verification is None or verification.mobile_hash != mobile_hash(cipher, grantor_mobile):
        raise NotTheLegalRepresentative()
    if row.revoked_at is None:
        row.revoked_at = clock.now()
        session.flush()
        audit.record(
            session,
            "identity.revoke_agent",
            "enterprise",
            row.enterprise_id,
            after={"authorisation_id": row.id},
        )
    return row


def authorisations_of(session: Session, enterprise_id: uuid.UUID) -> list[AgentAuthorisation]:
    return list(
        session.scalars(
            select(AgentAuthorisation)
            .where(AgentAuthorisation.enterprise_id == enterprise_id)
            .order_by(AgentAuthorisation.granted_at.desc())
        )
    )


def authorisations_for_agent(
    session: Session, cipher: FieldCipher, mobile: str
) -> list[AgentAuthorisation]:
    return list(
        session.scalars(
            select(AgentAuthorisation)
            .where(AgentAuthorisation.agent_mobile_hash == mobile_hash(cipher, mobile))
            .order_by(AgentAuthorisation.granted_at.desc())
        )
    )


def is_verified_rep_mobile(
    session: Session, cipher: FieldCipher, now: datetime, person_id: uuid.UUID, mobile: str
) -> bool:
    try:
        verification = require_verified_rep(session, now, person_id)
    except IdentityNotVerified:
        return False
    return verification.mobile_hash == mobile_hash(cipher, mobile)


def require_authority(
    session: Session,
    cipher: FieldCipher,
    now: datetime,
    *,
    enterprise_id: uuid.UUID,
    mobile: str,
    scope: AgentScope,
) -> AgentAuthorisation | None:
    """The signed-in person (`mobile`) may act for the enterprise in `scope`: as its verified
    legal representative (None), or as an agent with a live authorisation (returned).
    Else AgentNotAuthorised (403)."""
    for person_id in parties_service.legal_representatives_of(session, enterprise_id):
        if is_verified_rep_mobile(session, cipher, now, person_id, mobile):
            return None
    for row in session.scalars(
        select(AgentAuthorisation).where(
            AgentAuthorisation.enterprise_id == enterprise_id,
            AgentAuthorisation.agent_mobile_hash == mobile_hash(cipher, mobile),
        )
    ):
        if row.is_live(now) and scope.value in row.scope_list():
            return row
    raise AgentNotAuthorised(scope_zh=scope.zh, scope_en=scope.en)


def require_scope_if_agent(
    session: Session,
    cipher: FieldCipher,
    now: datetime,
    *,
    enterprise_id: uuid.UUID,
    mobile: str,
    scope: AgentScope,
) -> None:
    """An agent (the mobile holds, or held, an authorisation for the enterprise and is not its
    verified legal representative) acts only within a live authorisation's scope; anyone else
    is left to the caller's own access checks."""
    if not mobile:
        return
    held = session.scalar(
        select(AgentAuthorisation.id)
        .where(
            AgentAuthorisation.enterprise_id == enterprise_id,
            AgentAuthorisation.agent_mobile_hash == mobile_hash(cipher, mobile),
        )
        .limit(1)
    )
    if held is not None:
        require_authority(
            session, cipher, now, enterprise_id=enterprise_id, mobile=mobile, scope=scope
        )
