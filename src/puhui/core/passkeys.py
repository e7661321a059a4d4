"""WebAuthn (security keys, passkeys) as an optional alternative second factor for staff.

A staff member enrolled in TOTP may register security keys on the security page; at login the
second-factor page then offers "use a security key" beside the code. The server side is
py_webauthn: registration verifies the attestation (format "none" asked: Puhui trusts the key the
person registers while signed in with both factors, not a vendor list) and stores the credential's
public key; an assertion is verified against it, its signature counter must grow (a cloned key
shows up), and user presence is required.

The challenge is random per ceremony and travels in the signed session cookie, used once.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass

import webauthn
from sqlalchemy import select
from sqlalchemy.orm import Session
from webauthn.helpers import bytes_to_base64url
from webauthn.helpers.exceptions import InvalidAuthenticationResponse, InvalidRegistrationResponse
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from puhui.core import audit
from puhui.core.clock import Clock
from puhui.core.errors import DomainError
from puhui.core.models import User, WebAuthnCredential

RP_NAME = "Puhui 普惠"


class KeyRefused(DomainError):
    code = "security_key_refused"
    status = 400
    title_zh = "安全密钥验证失败"
    title_en = "Security key refused"
    message_zh = "安全密钥的应答无效或已过期，请重试。"
    message_en = "The security key's answer is not valid or has expired; try again."


@dataclass(frozen=True)
class RelyingParty:
    """Who the browser is talking to: the RP ID (the host name) and the page's origin."""

    rp_id: str
    origin: str


def _credentials(session: Session, user: User) -> list[WebAuthnCredential]:
    return list(
        session.scalars(
            select(WebAuthnCredential)
            .where(WebAuthnCredential.user_id == user.id)
            .order_by(WebAuthnCredential.created_at)
        )
    )


def list_keys(session: Session, user: User) -> list[WebAuthnCredential]:
    return _credentials(session, user)


def has_keys(session: Session, user: User) -> bool:
    return bool(_credentials(session, user))


def registration_options(session: Session, rp: RelyingParty, user: User) -> tuple[str, bytes]:
    """The options for `navigator.credentials.create` (JSON) and their challenge."""
    options = webauthn.generate_registration_options(
        rp_id=rp.rp_id,
        rp_name=RP_NAME,
        user_id=user.id.bytes,
        user_name=user.username,
        user_display_name=user.display_name,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.DISCOURAGED,
            user_verification=UserVerificationRequirement.PREFERRED,
        ),
        exclude_credentials=[
            PublicKeyCredentialDescriptor(id=webauthn.base64url_to_bytes(c.credential_id))
            for c in _credentials(session, user)
        ],
    )
    return webauthn.options_to_json(options), options.challenge


def register(
    session: Session,
    clock: Clock,
    rp: RelyingParty,
    user: User,
    *,
    credential: dict[str, object],
    challenge: bytes,
    label: str,
) -> WebAuthnCredential:
    try:
        verified = webauthn.verify_registration_response(
            credential=json.dumps(credential),
            expected_challenge=challenge,
            expected_rp_id=rp.rp_id,
            expected_origin=rp.origin,
        )
    except (InvalidRegistrationResponse, ValueError, KeyError, TypeError) as exc:
        raise KeyRefused() from exc
    row = WebAuthnCredential(
        user_id=user.id,
        credential_id=bytes_to_base64url(verified.credential_id),
        public_key=verified.credential_public_key,
        sign_count=verified.sign_count,
        label=(label.strip() or "security key")[:64],
        created_at=clock.now(),
    )
    session.add(row)
    session.flush()
    audit.record(session, "auth.webauthn_register", "user", user.id, after={"label": row.label})
    return row


def authentication_options(session: Session, rp: RelyingParty, user: User) -> tuple[str, bytes]:
    """The options for `navigator.credentials.get` (the user's keys) and their challenge."""
    options = webauthn.generate_authentication_options(
        rp_id=rp.rp_id,
        allow_credentials=[
            PublicKeyCredentialDescriptor(id=webauthn.base64url_to_bytes(c.credential_id))
            for c in _credentials(session, user)
        ],
        user_verification=UserVerificationRequirement.PREFERRED,
    )
    return webauthn.options_to_json(options), options.challenge


def verify_assertion(
    session: Session,
    clock: Clock,
    rp: RelyingParty,
    user: User,
    *,
    credential: dict[str, object],
    challenge: bytes,
) -> bool:
    """True when one of the user's keys signed this challenge (its counter moves on)."""
    key_id = credential.get("id")
    row = session.scalar(
        select(WebAuthnCredential).where(
            WebAuthnCredential.user_id == user.id,
            WebAuthnCredential.credential_id == str(key_id),
        )
    )
    if row is None:
        return False
    try:
        verified = webauthn.verify_authentication_response(
            credential=json.dumps(credential),
            expected_challenge=challenge,
            expected_rp_id=rp.rp_id,
            expected_origin=rp.origin,
            credential_public_key=row.public_key,
            credential_current_sign_count=row.sign_count,
        )
    except (InvalidAuthenticationResponse, ValueError, KeyError, TypeError):
        return False
    row.sign_count = verified.new_sign_count
    row.last_used_at = clock.now()
    return True


def remove_key(session: Session, user: User, key_id: uuid.UUID) -> None:
    row = session.scalar(
        select(WebAuthnCredential).where(
            WebAuthnCredential.user_id == user.id, WebAuthnCredential.id == key_id
        )
    )
    if row is not None:
        session.delete(row)
        audit.record(session, "auth.webauthn_remove", "user", user.id, after={"label": row.label})
