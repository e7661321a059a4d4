"""Tickets admitting one participant to an interview's signalling socket (pure).

The page, behind the usual guards, hands its script a ticket; the script sends it as the
socket's first message (never in the URL, so no access log keeps it). A ticket names the
interview, the user and the party, expires after `TICKET_SECONDS` and is signed with HMAC-SHA256
under a key derived from the data key. The socket also refuses a ticket it has seen before
(`TicketBook`), so a copied ticket cannot open a second connection."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass

from puhui.interviews.states import Party

TICKET_SECONDS = 60


@dataclass(frozen=True)
class Claim:
    interview_id: uuid.UUID
    user_id: uuid.UUID
    party: Party
    nonce: str


def _sign(key: bytes, payload: str) -> str:
    return hmac.new(key, payload.encode(), hashlib.sha256).hexdigest()


def issue(key: bytes, interview_id: uuid.UUID, user_id: uuid.UUID, party: Party, now: float) -> str:
    expires = int(now) + TICKET_SECONDS
    payload = f"{interview_id}.{user_id}.{party.value}.{expires}.{secrets.token_urlsafe(12)}"
    return f"{payload}.{_sign(key, payload)}"


def verify(key: bytes, ticket: object, interview_id: uuid.UUID, now: float) -> Claim | None:
    """The claim of a genuine, unexpired ticket for this interview, else None."""
    if not isinstance(ticket, str) or len(ticket) > 400:
        return None
    payload, _, signature = ticket.rpartition(".")
    if not hmac.compare_digest(_sign(key, payload), signature):
        return None
    try:
        iid, uid, party, expires, nonce = payload.split(".")
        claim = Claim(uuid.UUID(iid), uuid.UUID(uid), Party(party), nonce)
        if int(expires) < now or claim.interview_id != interview_id:
            return None
    except ValueError:
        return None
    return claim


class TicketBook:
    """Nonces of tickets already used (in this process), forgotten after they expire."""

    def __init__(self) -> None:
        self._seen: dict[str, float] = {}

    def first_use(self, claim: Claim, now: float) -> bool:
        self._seen = {n: t for n, t in self._seen.items() if t > now - TICKET_SECONDS}
        if claim.nonce in self._seen:
            return False
        self._seen[claim.nonce] = now
        return True
