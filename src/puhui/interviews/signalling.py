"""The signalling relay: one room an interview, at most one socket a party.

Messages are relayed only between the two parties of one room, only once both have consented
to the recording (`SignalState.media_allowed`), and only of the kinds WebRTC needs. The rooms
live in this process: with several server workers, both participants must reach the same one
(a sticky route by interview id, or one worker for /ws), see docs/architecture.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from dataclasses import dataclass, field
from typing import Any, Protocol

from puhui.interviews.states import Party

SIGNAL_KINDS = frozenset({"ready", "offer", "answer", "candidate", "bye"})
MAX_MESSAGE_CHARS = 64 * 1024
MAX_MESSAGES = 2000  # a call needs a few dozen; a socket over this is closed


class Socket(Protocol):
    async def send_text(self, data: str) -> None: ...

    async def close(self, code: int = 1000, reason: str | None = None) -> None: ...


@dataclass
class Room:
    sockets: dict[Party, Socket] = field(default_factory=dict)


class Hub:
    def __init__(self) -> None:
        self._rooms: dict[uuid.UUID, Room] = {}
        self.states: dict[uuid.UUID, Any] = {}  # the last SignalState read, by interview
        self._lock = asyncio.Lock()

    async def join(self, interview_id: uuid.UUID, party: Party, socket: Socket) -> None:
        """Take the party's seat; a socket already there (an old tab) is closed."""
        async with self._lock:
            room = self._rooms.setdefault(interview_id, Room())
            old = room.sockets.get(party)
            room.sockets[party] = socket
        if old is not None and old is not socket:
            await _quietly(old.close(4409, "replaced"))

    async def leave(self, interview_id: uuid.UUID, party: Party, socket: Socket) -> None:
        async with self._lock:
            room = self._rooms.get(interview_id)
            if room is None or room.sockets.get(party) is not socket:
                return
            del room.sockets[party]
            if not room.sockets:
                del self._rooms[interview_id]

    def present(self, interview_id: uuid.UUID) -> frozenset[Party]:
        room = self._rooms.get(interview_id)
        return frozenset(room.sockets) if room else frozenset()

    async def send(self, interview_id: uuid.UUID, party: Party, message: dict[str, Any]) -> bool:
        room = self._rooms.get(interview_id)
        socket = room.sockets.get(party) if room else None
        if socket is None:
            return False
        await _quietly(socket.send_text(json.dumps(message)))
        return True

    async def broadcast(self, interview_id: uuid.UUID, message: dict[str, Any]) -> None:
        for party in self.present(interview_id):
            await self.send(interview_id, party, message)


async def _quietly(coro: Any) -> None:
    with contextlib.suppress(Exception):  # a socket that went away while we wrote to it
        await coro


def parse_signal(text: str) -> dict[str, Any] | None:
    """A client message, if well formed: `{"type": "signal", "kind": …, "data": {…}}` or
    `{"type": "refresh"}`; anything else (or too long) is None."""
    if len(text) > MAX_MESSAGE_CHARS:
        return None
    try:
        message = json.loads(text)
    except ValueError:
        return None
    if not isinstance(message, dict):
        return None
    if message.get("type") == "refresh":
        return {"type": "refresh"}
    if message.get("type") != "signal" or message.get("kind") not in SIGNAL_KINDS:
        return None
    data = message.get("data", {})
    if not isinstance(data, dict):
        return None
    return {"type": "signal", "kind": message["kind"], "data": data}
