"""Signalling tickets: signed, bound to interview/user/party, expiring, single use."""

from __future__ import annotations

import uuid

from puhui.interviews import tickets
from puhui.interviews.states import Party

KEY = b"t" * 32
NOW = 1_800_000_000.0


def test_a_ticket_verifies_for_its_interview_within_its_minute() -> None:
    iid, uid = uuid.uuid4(), uuid.uuid4()
    ticket = tickets.issue(KEY, iid, uid, Party.APPLICANT, NOW)
    claim = tickets.verify(KEY, ticket, iid, NOW + 59)
    assert claim is not None
    assert (claim.interview_id, claim.user_id, claim.party) == (iid, uid, Party.APPLICANT)
    assert tickets.verify(KEY, ticket, iid, NOW + tickets.TICKET_SECONDS + 1) is None


def test_a_ticket_is_refused_for_another_interview_key_or_after_any_edit() -> None:
    iid, uid = uuid.uuid4(), uuid.uuid4()
    ticket = tickets.issue(KEY, iid, uid, Party.APPLICANT, NOW)
    assert tickets.verify(KEY, ticket, uuid.uuid4(), NOW) is None
    assert tickets.verify(b"x" * 32, ticket, iid, NOW) is None
    promoted = ticket.replace(".applicant.", ".officer.")
    assert tickets.verify(KEY, promoted, iid, NOW) is None
    for bad in (None, 42, "", "a.b.c", ticket + "0", "x" * 500):
        assert tickets.verify(KEY, bad, iid, NOW) is None


def test_the_book_admits_each_ticket_once() -> None:
    iid = uuid.uuid4()
    book = tickets.TicketBook()
    one = tickets.verify(KEY, tickets.issue(KEY, iid, uuid.uuid4(), Party.OFFICER, NOW), iid, NOW)
    two = tickets.verify(KEY, tickets.issue(KEY, iid, uuid.uuid4(), Party.OFFICER, NOW), iid, NOW)
    assert one is not None and two is not None
    assert book.first_use(one, NOW) and not book.first_use(one, NOW + 1)
    assert book.first_use(two, NOW + 1)
