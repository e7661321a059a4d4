"""Helpers shared by the HTTP benchmarks (bench/decision.py, bench/drawdown.py); not a benchmark.

A throwaway database in a cluster, a free loopback port, a uvicorn server started in its own
process group and always stopped (SIGTERM, then SIGKILL), a bounded wait for /healthz, and
nearest-rank percentiles.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pct(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (`q` in 0..1); NaN for no values."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[k]


def create_database(cluster_url: str, name: str) -> str:
    """CREATE DATABASE `name` in the cluster of `cluster_url`; returns the new database's URL."""
    from sqlalchemy import text

    from puhui.core.db import make_engine

    admin = make_engine(
        cluster_url,
        isolation_level="AUTOCOMMIT",
        pool_size=1,
        max_overflow=0,
        connect_args={"connect_timeout": 10},
    )
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    return cluster_url.rsplit("/", 1)[0] + f"/{name}"


def start_server(cmd: Sequence[str], env: Mapping[str, str]) -> subprocess.Popen[bytes]:
    """Start a server command in its own process group (so its workers are stopped with it)."""
    return subprocess.Popen(list(cmd), env=dict(env), start_new_session=True)


def stop_server(proc: subprocess.Popen[bytes] | None, grace_s: float = 15.0) -> None:
    """SIGTERM the server's process group, SIGKILL it if it has not exited after `grace_s`."""
    if proc is None or proc.poll() is not None:
        return
    for sig, wait_s in ((signal.SIGTERM, grace_s), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=wait_s)
            return
        except subprocess.TimeoutExpired:
            continue


def wait_up(base: str, seconds: float = 120, proc: subprocess.Popen[bytes] | None = None) -> None:
    """Wait for GET /healthz to answer 200; fail fast if the server process has exited."""
    import httpx

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"the server exited with code {proc.returncode} before it came up")
        try:
            if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"the server did not come up within {seconds:.0f} s")
