"""The relay: which client messages pass, and a room's seats."""

from __future__ import annotations

import asyncio
import json
import uuid
from concurrent.futures import ThreadPoolExecutor

from puhui.interviews.signalling import MAX_MESSAGE_CHARS, Hub, parse_signal
from puhui.interviews.states import Party


def test_only_webrtc_signals_and_refresh_are_accepted() -> None:
    offer = {"type": "signal", "kind": "offer", "data": {"type": "offer", "sdp": "v=0"}}
    assert parse_signal(json.dumps(offer)) == offer
    assert parse_signal('{"type": "refresh", "x": 1}') == {"type": "refresh"}
    for bad in (
        "not json",
        "[]",
        '{"type": "signal", "kind": "sql", "data": {}}',
        '{"type": "signal", "kind": "offer", "data": "x"}',
        '{"type": "state", "status": "completed"}',
        json.dumps({"type": "signal", "kind": "candidate", "data": {"c": "x" * MAX_MESSAGE_CHARS}}),
    ):
        assert parse_signal(bad) is None


class FakeSocket:
    def __init__(self) -> None:
        self.sent: list[dict] = []
        self.closed: int | None = None

    async def send_text(self, data: str) -> None:
        self.sent.append(json.loads(data))

    async def close(self, code: int = 1000, reason: str | None = None) -> None:
        self.closed = code


def test_a_room_relays_to_the_other_party_only_and_a_new_tab_replaces_the_old() -> None:
    async def scenario() -> None:
        hub, iid = Hub(), uuid.uuid4()
        officer, applicant, tab2, stranger = (FakeSocket() for _ in range(4))
        await hub.join(iid, Party.OFFICER, officer)
        await hub.join(iid, Party.APPLICANT, applicant)
        await hub.join(uuid.uuid4(), Party.APPLICANT, stranger)
        assert hub.present(iid) == {Party.OFFICER, Party.APPLICANT}
        assert await hub.send(iid, Party.APPLICANT, {"kind": "offer"})
        assert applicant.sent == [{"kind": "offer"}] and not officer.sent and not stranger.sent
        await hub.join(iid, Party.APPLICANT, tab2)
        assert applicant.closed == 4409
        await hub.leave(iid, Party.APPLICANT, applicant)  # the old tab leaving changes nothing
        assert hub.present(iid) == {Party.OFFICER, Party.APPLICANT}
        await hub.leave(iid, Party.APPLICANT, tab2)
        assert not await hub.send(iid, Party.APPLICANT, {"kind": "offer"})

    # in a thread of its own: a browser test in the same worker may hold a running loop
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, scenario()).result()
