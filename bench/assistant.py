"""Benchmark of the assistant's chat endpoint over HTTP: replies per second and latency.

    uv run python bench/assistant.py                      # 400 messages, 2 in flight
    uv run python bench/assistant.py --messages 1000 --concurrency 4

What runs: a throwaway SQLite database (the migrations), one enterprise with an active credit
line and a loan, its borrower's bearer token, and a real uvicorn server (one process) on
loopback. A warm-up message trains the recogniser once (jieba's dictionary, the embedding
weights, the corpus). Then `--messages` questions, cycled from the corpus's held-out split, go
to `POST /api/v1/assistant/conversations/{id}/messages`, `--concurrency` in flight; each reply is
recognition (char n-grams + jieba + USE embedding -> linear SVM), the turn rule, the live
knowledge-base answer and, for the intents that need them, the borrower's own figures read
through the lending and decisioning services. A conversation handed off to the desk is replaced
by a new one (a handed-off conversation only relays to the rep).

Prints replies per second, p50 / p99 / max latency as the client sees it (all replies, and the
knowledge-base answers alone), the reply kinds, and the server's CPU time per reply (its process
group's user + system time over the run: what a reply costs whatever else shares the cores).
The load is stated, not guessed: the 1-minute load average sampled every half second during the
run (min / max), and the machine's busy share of all cores over the run from /proc/stat with the
part of it that was the server itself — on a shared machine the rest is other people's work
queueing ahead of the replies. The last line is one JSON object. Exit code 1 on any non-200
answer.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import sys
import tempfile
import time
import uuid
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _support import ROOT, free_port, pct, start_server, stop_server, wait_up

sys.path.insert(0, str(ROOT))


def _group_cpu_s(pgid: int) -> float:
    """CPU seconds (user + system) of every process in the server's process group: the cost of
    the replies independent of how many other processes share the cores."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[2]) == pgid:  # fields after the name: state, ppid, pgrp, ...
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / tick


def _machine_ticks() -> tuple[int, int]:
    """(busy, total) jiffies of all cores since boot (/proc/stat's first line)."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return sum(values) - idle, sum(values)


class LoadSampler:
    """The load during a run: load averages sampled every half second and the busy ticks."""

    def __init__(self) -> None:
        self.loads: list[float] = []
        self._start = _machine_ticks()
        self.busy_share = 0.0

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            self.loads.append(os.getloadavg()[0])
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 0.5)
        busy, total = _machine_ticks()
        self.busy_share = (busy - self._start[0]) / max(1, total - self._start[1])


def _setup(url: str, var_dir: Path) -> str:
    """Migrations, an enterprise with an active line and a loan, its borrower's token."""
    from tests.integration.lending.lending_factories import random_uscc

    from puhui.core import audit, auth
    from puhui.core.clock import business_date
    from puhui.core.config import Settings
    from puhui.core.db import unit_of_work
    from puhui.core.migrate import upgrade
    from puhui.core.models import Role
    from puhui.core.runtime import build_runtime
    from puhui.lending import service as lending_service
    from puhui.lending.products import WEIYEDAI
    from puhui.lending.schedules import RepaymentMethod
    from puhui.parties import service as parties_service
    from puhui.parties.models import SizeClass
    from puhui.parties.schemas import EnterpriseCreate

    upgrade(url)
    rt = build_runtime(Settings(database_url=url, var_dir=var_dir))
    with unit_of_work(rt.session_factory) as session:
        audit.set_clock(session, rt.clock)
        lending_service.ensure_default_products(session, rt.clock)
        ent = parties_service.create_enterprise(
            session,
            rt.clock,
            EnterpriseCreate(
                name="智能客服基准测试有限公司", uscc=random_uscc(), industry_section="F",
                region_code="330100", region_name="浙江省杭州市",
                registered_capital_fen=100_000_000, established_date=date(2018, 3, 1),
                size_class=SizeClass.SMALL,
            ),
        )  # fmt: skip
        line = lending_service.create_line_from_offer(
            session, rt.clock, enterprise_id=ent.id, product_code=WEIYEDAI,
            limit_fen=50_000_000, rate_bp=435, term_months=12,
            repayment_method=RepaymentMethod.EQUAL_INSTALMENT,
            expiry_date=business_date(rt.clock) + timedelta(days=365), decision_id=uuid.uuid4(),
        )  # fmt: skip
        lending_service.activate_after_signing(session, rt.clock, line.id, uuid.uuid4())
        lending_service.draw(
            session, rt.clock, line.id, 10_000_000, idempotency_key="bench-1", term_months=6
        )
        user = auth.create_user(
            session, rt.clock, username="bench-borrower", password="Bench-password-1",
            role=Role.BORROWER, enterprise_ids=[ent.id],
        )  # fmt: skip
        session.flush()
        token, _ = auth.issue_token(session, rt.clock, user, 240)
    rt.engine.dispose()
    return token


async def _drive(
    base: str, token: str, texts: list[str], n: int, concurrency: int, pgid: int
) -> dict:
    import httpx

    headers = {"Authorization": f"Bearer {token}"}
    latencies: list[float] = []
    answers: list[float] = []  # the knowledge-base answers alone (kind "answer")
    kinds: Counter[str] = Counter()
    errors = 0
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=60) as http:

        async def start() -> str:
            resp = await http.post("/api/v1/assistant/conversations", json={"lang": "zh"})
            resp.raise_for_status()
            return str(resp.json()["id"])

        warm = await start()
        t0 = time.perf_counter()
        (await http.post(f"/api/v1/assistant/conversations/{warm}/messages",
                         json={"text": "你好"})).raise_for_status()  # fmt: skip
        print(f"warm-up (training the recogniser): {time.perf_counter() - t0:.1f} s", flush=True)

        queue: asyncio.Queue[str] = asyncio.Queue()
        for i in range(n):
            queue.put_nowait(texts[i % len(texts)])

        async def worker() -> None:
            nonlocal errors
            conv = await start()
            while not queue.empty():
                text = queue.get_nowait()
                t = time.perf_counter()
                resp = await http.post(
                    f"/api/v1/assistant/conversations/{conv}/messages", json={"text": text}
                )
                latencies.append((time.perf_counter() - t) * 1000)
                if resp.status_code != 200:
                    errors += 1
                    continue
                body = resp.json()
                kinds[body["kind"]] += 1
                if body["kind"] == "answer":
                    answers.append(latencies[-1])
                if body["status"] != "bot":
                    conv = await start()

        sampler, stop = LoadSampler(), asyncio.Event()
        sampling = asyncio.create_task(sampler.run(stop))
        t1, cpu0 = time.perf_counter(), _group_cpu_s(pgid)
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        wall, cpu = time.perf_counter() - t1, _group_cpu_s(pgid) - cpu0
        stop.set()
        await sampling
    return {
        "latencies": latencies, "answers": answers, "kinds": kinds, "errors": errors,
        "wall": wall, "cpu": cpu, "sampler": sampler,
    }  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=400)
    parser.add_argument("--concurrency", type=int, default=2)
    args = parser.parse_args()

    from puhui.assistant.intents import test_set

    texts = [t for t, _ in test_set()]
    var_dir = Path(tempfile.mkdtemp(prefix="puhui-bench-assistant-"))
    url = f"sqlite:///{var_dir / 'bench.db'}"
    server = None
    try:
        token = _setup(url, var_dir)
        port = free_port()
        env = {
            **os.environ,
            "PUHUI_DATABASE_URL": url,
            "PUHUI_VAR_DIR": str(var_dir),
            "PUHUI_SECRET_KEY": "bench",
            "PUHUI_API_RATE_PER_SECOND": "0",
        }
        server = start_server(
            [sys.executable, "-m", "puhui.cli", "serve", "--host", "127.0.0.1",
             "--port", str(port), "--workers", "1"],
            env,
        )  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        wait_up(base, 120, proc=server)
        out = asyncio.run(_drive(base, token, texts, args.messages, args.concurrency, server.pid))
    finally:
        stop_server(server)
        shutil.rmtree(var_dir, ignore_errors=True)

    lat, sampler = out["latencies"], out["sampler"]
    cores = os.cpu_count() or 1
    server_share = out["cpu"] / max(1e-9, out["wall"] * cores)
    figures = {
        "messages": len(lat),
        "concurrency": args.concurrency,
        "replies_per_s": round(len(lat) / out["wall"], 1),
        "p50_ms": round(pct(lat, 0.50), 1),
        "p99_ms": round(pct(lat, 0.99), 1),
        "max_ms": round(max(lat), 1),
        "answer_p50_ms": round(pct(out["answers"], 0.50), 1) if out["answers"] else None,
        "answer_p99_ms": round(pct(out["answers"], 0.99), 1) if out["answers"] else None,
        "server_cpu_ms_per_reply": round(out["cpu"] * 1000 / max(1, len(lat)), 1),
        "load_average_1m": round(os.getloadavg()[0], 1),
        "load_average_min": round(min(sampler.loads), 1) if sampler.loads else None,
        "load_average_max": round(max(sampler.loads), 1) if sampler.loads else None,
        "cores": cores,
        "machine_busy_pct": round(100 * sampler.busy_share, 1),
        "server_busy_pct": round(100 * server_share, 1),
        "kinds": dict(out["kinds"]),
        "errors": out["errors"],
    }
    print(f"{figures['messages']} replies in {out['wall']:.1f} s with {args.concurrency} in "
          f"flight: {figures['replies_per_s']} replies/s")  # fmt: skip
    print(f"latency p50 {figures['p50_ms']} ms, p99 {figures['p99_ms']} ms, "
          f"max {figures['max_ms']} ms; kinds {figures['kinds']}")  # fmt: skip
    print(f"knowledge-base answers alone: p50 {figures['answer_p50_ms']} ms, "
          f"p99 {figures['answer_p99_ms']} ms")  # fmt: skip
    print(f"server CPU per reply {figures['server_cpu_ms_per_reply']} ms")
    print(f"load during the run: load average {figures['load_average_min']}-"
          f"{figures['load_average_max']} on {cores} cores; the machine was "
          f"{figures['machine_busy_pct']} % busy, of which the server "
          f"{figures['server_busy_pct']} %")  # fmt: skip
    print(json.dumps(figures))
    return 1 if out["errors"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
