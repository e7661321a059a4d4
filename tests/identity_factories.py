"""Test setup for real-name verification: pass a person through the sandbox provider.

The sandbox provider answers from a directory; tests' people (made up, not in the synthetic
world) are listed in one here, so the checks run for real through `identity.service`.
"""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from puhui.core.clock import Clock
from puhui.core.crypto import FieldCipher
from puhui.identity import service as identity_service
from puhui.identity.adapters import ListedPeople, SandboxIdentityProvider
from puhui.identity.models import IdentityVerification

# A WebM (EBML) header and enough bytes to pass the sandbox's size rule: what Chromium's fake
# camera records in about a second.
FAKE_WEBM = b"\x1a\x45\xdf\xa3" + bytes(range(256)) * 32


def verify_rep(
    session: Session,
    clock: Clock,
    cipher: FieldCipher,
    *,
    name: str,
    resident_id: str,
    mobile: str,
    person_id: uuid.UUID | None = None,
    face: bool = True,
) -> IdentityVerification:
    """Three-factor (and, with `person_id` and `face`, a face check) for a person."""
    people = ListedPeople()
    people.add(name, resident_id, mobile)
    provider = SandboxIdentityProvider(people)
    verification = identity_service.verify_three_factor(
        session, clock, cipher, provider, name=name, resident_id=resident_id, mobile=mobile
    )
    if person_id is not None and face:
        from datetime import timedelta

        identity_service.verify_face(
            session,
            clock,
            cipher,
            provider,
            person_id=person_id,
            video=FAKE_WEBM,
            content_type="video/webm",
            retention=timedelta(days=30),
        )
    return verification
