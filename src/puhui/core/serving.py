"""Run the ASGI server: uvicorn, with worker sockets that are TCP sockets and share the load.

With `workers > 1` uvicorn's supervisor binds one listening socket and hands it to every worker.
Two things then go wrong on Linux, both measured with `bench/decision.py`:

* The socket is made with protocol 0; accepted connections inherit it, and asyncio enables
  TCP_NODELAY only on sockets reporting `IPPROTO_TCP`. Nagle's algorithm stays on, and every
  keep-alive request after the first waits for the client's delayed ACK: ~40 ms, whatever the
  endpoint costs (uvicorn issue #3149, open).
* asyncio accepts every pending connection at once when the socket becomes readable, so the
  worker that wakes first takes a whole burst of keep-alive connections and keeps them: under
  16 clients one worker ran at 74 % of a core and the other at 6 %.

Here each worker opens its own listening socket on the address with SO_REUSEPORT, and the
kernel spreads new connections over them. The supervisor still binds the address first (so a
taken port fails at once) and passes a `WorkerSocket`; unpickled in a worker — uvicorn's
workers are spawned — it becomes that worker's own socket. uvicorn's supervisor is otherwise
untouched (health checks, restarts, signals). Without SO_REUSEPORT, or for a Unix socket or a
given file descriptor, the shared socket is used, re-wrapped as IPPROTO_TCP when it is TCP.
"""

from __future__ import annotations

import socket
from typing import Any

import uvicorn
from uvicorn.supervisors import Multiprocess

_TCP_FAMILIES = (socket.AF_INET, socket.AF_INET6)


def _reuseport_socket(family: int, address: tuple[Any, ...]) -> socket.socket:
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind(address)
    sock.set_inheritable(True)
    return sock


class WorkerSocket(socket.socket):
    """The supervisor's bound (not listening) SO_REUSEPORT socket; pickled into a worker it
    becomes a new socket of that worker, bound to the same address."""

    def __reduce__(self) -> tuple[Any, ...]:
        return _reuseport_socket, (self.family, self.getsockname())


def _as_tcp(sock: socket.socket) -> socket.socket:
    if sock.family not in _TCP_FAMILIES or sock.proto == socket.IPPROTO_TCP:
        return sock
    family, kind, inheritable = sock.family, sock.type, sock.get_inheritable()
    tcp = socket.socket(family, kind, socket.IPPROTO_TCP, fileno=sock.detach())
    tcp.set_inheritable(inheritable)
    return tcp


def listening_socket(config: uvicorn.Config) -> socket.socket:
    """The socket the supervisor hands its workers (see the module docstring)."""
    if config.uds or config.fd is not None or not hasattr(socket, "SO_REUSEPORT"):
        return _as_tcp(config.bind_socket())
    family = socket.AF_INET6 if ":" in config.host else socket.AF_INET
    first = _reuseport_socket(family, (config.host, config.port))
    return WorkerSocket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP, fileno=first.detach())


def serve(app: str, *, host: str, port: int, workers: int = 1, **options: Any) -> None:
    """`uvicorn.run(app, ...)` for an import string, with `listening_socket` for workers > 1."""
    config = uvicorn.Config(app, host=host, port=port, workers=workers, **options)
    if config.workers <= 1:
        uvicorn.Server(config).run()
        return
    Multiprocess(config, sockets=[listening_socket(config)]).run()
