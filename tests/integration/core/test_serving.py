"""`puhui.core.serving`: worker sockets are TCP sockets (TCP_NODELAY on what they accept) and
each worker listens on its own SO_REUSEPORT socket, so connections spread over the workers."""

from __future__ import annotations

import asyncio
import io
import os
import socket
import subprocess
import sys
import threading
import time
from multiprocessing.reduction import ForkingPickler
from pathlib import Path

import httpx
import pytest
import uvicorn

from puhui.core.serving import WorkerSocket, _as_tcp, listening_socket

HERE = Path(__file__).parent


def _config(**kw: object) -> uvicorn.Config:
    return uvicorn.Config("serving_app:app", workers=2, log_level="warning", **kw)  # type: ignore[arg-type]


def _in_worker(sock: socket.socket) -> socket.socket:
    """What a spawned worker receives: the socket through multiprocessing's pickler."""
    buf = io.BytesIO()
    ForkingPickler(buf).dump(sock)
    return ForkingPickler.loads(buf.getvalue())  # type: ignore[no-any-return]


def _accepted_nodelay(listener: socket.socket) -> int:
    """TCP_NODELAY of a connection accepted by an asyncio server on `listener`."""
    seen: list[int] = []

    class Probe(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            sock = transport.get_extra_info("socket")
            seen.append(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            transport.close()

    async def main() -> None:
        loop = asyncio.get_running_loop()
        server = await loop.create_server(Probe, sock=listener)
        host, port = listener.getsockname()[:2]
        _, writer = await asyncio.open_connection(host, port)
        for _ in range(200):
            if seen:
                break
            await asyncio.sleep(0.01)
        writer.close()
        server.close()
        await server.wait_closed()

    # On a thread of its own: a browser test in the same worker may leave an event loop running.
    thread = threading.Thread(target=asyncio.run, args=(main(),))
    thread.start()
    thread.join(timeout=30)
    return seen[0]


def test_each_worker_gets_its_own_tcp_socket_on_the_same_port() -> None:
    parent = listening_socket(_config(host="127.0.0.1", port=0))
    try:
        assert isinstance(parent, WorkerSocket)
        port = parent.getsockname()[1]
        first, second = _in_worker(parent), _in_worker(parent)
        try:
            for sock in (first, second):
                assert sock.proto == socket.IPPROTO_TCP
                assert sock.getsockname() == ("127.0.0.1", port)
                assert sock.fileno() != parent.fileno()
            first.listen()
            assert _accepted_nodelay(first) == 1
            second.listen()  # a second listener on the port: SO_REUSEPORT
        finally:
            first.close()
            second.close()
    finally:
        parent.close()


def test_a_taken_port_fails_in_the_supervisor() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        with pytest.raises(OSError):
            listening_socket(_config(host="127.0.0.1", port=taken.getsockname()[1]))


def test_a_shared_socket_is_rewrapped_as_tcp() -> None:
    plain = socket.socket(socket.AF_INET, socket.SOCK_STREAM)  # protocol 0, as uvicorn binds it
    plain.bind(("127.0.0.1", 0))
    assert plain.proto == 0
    tcp = _as_tcp(plain)
    try:
        assert tcp.proto == socket.IPPROTO_TCP
        tcp.listen()
        assert _accepted_nodelay(tcp) == 1
    finally:
        tcp.close()


def _listeners(port: int) -> int:
    """Sockets in LISTEN state on 127.0.0.1:`port` (/proc/net/tcp)."""
    wanted = f"0100007F:{port:04X}"
    rows = Path("/proc/net/tcp").read_text().splitlines()[1:]
    return sum(1 for row in rows if row.split()[1] == wanted and row.split()[3] == "0A")


def test_two_workers_listen_each_on_their_own_socket() -> None:
    """A real supervisor with two workers: two listening sockets on the port (with one shared
    socket there is one), and new connections reach both workers."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]);"
        "from puhui.core.serving import serve;"
        f"serve('serving_app:app', host='127.0.0.1', port={port}, workers=2, log_level='warning')"
    )
    proc = subprocess.Popen([sys.executable, "-c", code, str(HERE)], start_new_session=True)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        pids: set[str] = set()
        while len(pids) < 2 and time.monotonic() < deadline:
            assert proc.poll() is None, "the server exited"
            clients = [httpx.Client(base_url=base, timeout=5) for _ in range(24)]
            try:
                for client in clients:
                    try:
                        pids.add(client.get("/").text)
                    except httpx.TransportError:
                        time.sleep(0.2)  # workers still starting
            finally:
                for client in clients:
                    client.close()
        assert len(pids) == 2, pids
        assert _listeners(port) == 2
    finally:
        os.killpg(proc.pid, 15)
        proc.wait(timeout=20)
