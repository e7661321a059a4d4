"""A Mosquitto broker of the tests' own, on a free port of 127.0.0.1 (anonymous, no
persistence), started once per session and stopped at the end."""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest


@dataclass(frozen=True)
class Broker:
    host: str
    port: int


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _binary() -> str | None:
    return shutil.which("mosquitto") or next(
        (p for p in ("/usr/sbin/mosquitto", "/usr/bin/mosquitto") if Path(p).exists()), None
    )


@contextmanager
def running_broker() -> Iterator[Broker]:
    """A broker for the duration of the block (also used by bench/iot.py)."""
    binary = _binary()
    if binary is None:
        raise FileNotFoundError("mosquitto is not installed (scripts/bootstrap.sh --test)")
    port = _free_port()
    with tempfile.TemporaryDirectory(prefix="puhui-mqtt-") as tmp:
        conf = Path(tmp) / "mosquitto.conf"
        conf.write_text(
            f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n"
            "max_queued_messages 100000\nmax_inflight_messages 0\n"
        )
        proc = subprocess.Popen(
            [binary, "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        try:
            _wait_listening(proc, port)
            yield Broker("127.0.0.1", port)
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()


def _wait_listening(proc: subprocess.Popen[bytes], port: int) -> None:
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                err = proc.stderr.read().decode() if proc.stderr else ""
                raise RuntimeError(f"mosquitto did not start: {err}") from None
            time.sleep(0.05)


@pytest.fixture(scope="session")
def mqtt_broker() -> Iterator[Broker]:
    if _binary() is None:
        pytest.skip("mosquitto is not installed (make test installs it: scripts/bootstrap.sh)")
    with running_broker() as broker:
        yield broker
