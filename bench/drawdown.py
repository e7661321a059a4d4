"""Benchmark of concurrent drawdowns with client retries on ONE revolving credit line, over HTTP.

    uv run python bench/drawdown.py                          # 5 rounds of 50 concurrent drawdowns
    uv run python bench/drawdown.py --rounds 10 --requests 100 --concurrency 50 --workers 2
    uv run python bench/drawdown.py --lost 0 --replays 0     # no lost responses, no replays
    uv run python bench/drawdown.py --lines 5                # 5 rounds at once, 5 lines

What runs: a throwaway PostgreSQL cluster (tests/support/pgcluster.py), the migrations, then per
round (plus a warm-up) an enterprise with a settlement account (an opening deposit) and an ACTIVE
微业贷 revolving line (created from an offer and activated as after signing, through the lending
service, as the integration tests do), one borrower login for all of them, and a real uvicorn
server (`--workers` processes) on loopback.

Each round fires `--requests` drawdowns, `--concurrency` in flight, all released at once at one
line (with `--lines K`, K rounds run at once, each at its own line: the bank-wide load, where the
lines must not wait on each other) through `POST /api/v1/credit-lines/{id}/drawdowns`, each with
its own Idempotency-Key. The amounts add up to `--oversubscribe` times the line's limit, so some
must be refused (409 credit_limit_exceeded). The client retries the SAME request with the SAME key
(backoff with jitter, up to `--attempts` attempts) on a timeout, a connection error, a 5xx or a
retryable 409 (drawdown_failed, conflict). A `--lost` fraction of first attempts lose their
response (a read timeout of `--lost-after-ms`: the request reaches the server, the answer is
dropped), so the retry races the original or finds it committed. A `--replays` fraction of accepted
drawdowns is sent again at once with the same key (while the round still runs) and must return the
first result (`Idempotent-Replayed: true`, the same drawdown); each round ends with the same key
sent with another amount, which must be a 409 idempotency_key_reused.

Then the books are checked from the database and the API. A violation is: used > limit; the
posted drawdowns add up to more than the limit or to other than used; used + available != limit
(API); a reservation left neither posted nor voided; two posted drawdowns for one key; a
drawdown the client was told was refused, or another than the one it was told; loans or the
ledger's loan principal not equal to used; the settlement account not equal to the deposit plus
used; a replay not returning the first result; the ledger's trial balance not balanced or a cached
balance differing from its postings.

Prints per round and overall: violations (must be 0), accepted / refused, retries, drawdown
decisions (accepted + refused) per second and accepted per second (median over the rounds and
overall), p50 / p99 latency of a drawdown as the client sees it (first send to final answer,
retries included); the last line is one JSON object. Exit code 1 on a violation, 2 when requests
stayed unresolved or got unexpected answers, 3 when the overall `--deadline` passed (the server
and the cluster are stopped in every case).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from _support import ROOT, create_database, free_port, pct, start_server, stop_server, wait_up

sys.path.insert(0, str(ROOT))  # tests.support

BENCH_PASSWORD = "Bench-password-1"
OPENING_DEPOSIT_FEN = 100_000  # opens the settlement account (1,000 yuan)
RETRYABLE_409 = frozenset({"drawdown_failed", "conflict"})
FAR = date(2099, 12, 31)


# --------------------------------------------------------------------------- deadline


class Guard:
    """The overall deadline: a watchdog thread that, when it passes, says so, stops the server
    and the cluster and ends the process (exit 3) whatever the main thread is blocked on."""

    def __init__(self, deadline_s: float) -> None:
        self.deadline_s = deadline_s
        self.started = time.monotonic()
        self.phase = "start"
        self.server: subprocess.Popen[bytes] | None = None
        self.cluster: Any = None
        self.var_dir: Path | None = None
        self._lock = threading.Lock()
        self._cleaned = False
        self._timer = threading.Timer(deadline_s, self._expired)
        self._timer.daemon = True
        self._timer.start()

    def remaining(self) -> float:
        return self.deadline_s - (time.monotonic() - self.started)

    def cleanup(self) -> None:
        with self._lock:
            if self._cleaned:
                return
            self._cleaned = True
            try:
                stop_server(self.server)
            finally:
                if self.cluster is not None:
                    self.cluster.stop()
                if self.var_dir is not None:
                    shutil.rmtree(self.var_dir, ignore_errors=True)

    def done(self) -> None:
        self._timer.cancel()
        self.cleanup()

    def _expired(self) -> None:
        msg = (
            f"drawdown bench FAILED: the overall deadline of {self.deadline_s:.0f} s passed "
            f"during '{self.phase}'; stopping the server and the PostgreSQL cluster"
        )
        print(msg, file=sys.stderr, flush=True)
        stopper = threading.Thread(target=self.cleanup, daemon=True)
        stopper.start()
        stopper.join(60)
        print(json.dumps({"bench": "drawdown", "error": "deadline", "phase": self.phase}))
        sys.stdout.flush()
        os._exit(3)


# --------------------------------------------------------------------------- plan and setup


@dataclass
class Plan:
    label: str
    amounts: list[int]
    limit_fen: int
    lost: list[bool]
    replay: list[bool]
    line_id: str = ""
    enterprise_id: str = ""


def _plan(label: str, n: int, args: argparse.Namespace, rng: random.Random) -> Plan:
    """`n` amounts of 1,000 to 6,000 yuan (微业贷 draws 1,000 yuan at least) and a limit of
    their sum / `--oversubscribe`; which first attempts lose their answer, which are replayed."""
    amounts = [rng.randint(10, 60) * 10_000 for _ in range(n)]
    limit = max(max(amounts), int(sum(amounts) / args.oversubscribe) // 100 * 100)
    return Plan(
        label=label,
        amounts=amounts,
        limit_fen=min(limit, 300_000_000),
        lost=[rng.random() < args.lost for _ in range(n)],
        replay=[rng.random() < args.replays for _ in range(n)],
    )


def _setup(url: str, var_dir: Path, plans: list[Plan], seed: int) -> str:
    """Migrations, products, per plan an enterprise, its settlement account and an active line;
    one borrower user acting for all of them. Returns the borrower's bearer token."""
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
    rng = random.Random(seed)
    try:
        with unit_of_work(rt.session_factory) as session:
            audit.set_clock(session, rt.clock)
            lending_service.ensure_default_products(session, rt.clock)
            today = business_date(rt.clock)
            for k, plan in enumerate(plans):
                ent = parties_service.create_enterprise(
                    session,
                    rt.clock,
                    EnterpriseCreate(
                        name=f"用款基准测试企业{k}有限公司",
                        uscc=random_uscc(rng),
                        industry_section="F",
                        region_code="330100",
                        region_name="浙江省杭州市",
                        registered_capital_fen=100_000_000,
                        established_date=date(2018, 3, 1),
                        size_class=SizeClass.SMALL,
                    ),
                )
                lending_service.deposit(
                    session, rt.clock, ent.id, OPENING_DEPOSIT_FEN, idempotency_key=f"open-{k}"
                )
                line = lending_service.create_line_from_offer(
                    session,
                    rt.clock,
                    enterprise_id=ent.id,
                    product_code=WEIYEDAI,
                    limit_fen=plan.limit_fen,
                    rate_bp=435,
                    term_months=12,
                    expiry_date=today + timedelta(days=365),
                    decision_id=uuid.uuid4(),
                    repayment_method=RepaymentMethod.INTEREST_FIRST,
                )
                lending_service.activate_after_signing(session, rt.clock, line.id, uuid.uuid4())
                plan.line_id, plan.enterprise_id = str(line.id), str(ent.id)
            user = auth.create_user(
                session,
                rt.clock,
                username="bench-borrower",
                password=BENCH_PASSWORD,
                role=Role.BORROWER,
                enterprise_ids=[uuid.UUID(p.enterprise_id) for p in plans],
            )
            token, _ = auth.issue_token(session, rt.clock, user, 24 * 60)
    finally:
        rt.engine.dispose()
    return token


# --------------------------------------------------------------------------- load


@dataclass
class Outcome:
    key: str
    amount_fen: int
    kind: str = "unresolved"  # accepted | refused | error | unresolved
    status: int | None = None
    code: str | None = None
    drawdown_id: str | None = None
    replayed: bool = False  # the final answer was a replay (a retry found the first result)
    attempts: int = 0
    retries: list[str] = field(default_factory=list)
    latency_s: float = 0.0
    ended_at: float = 0.0


@dataclass
class RoundResult:
    plan: Plan
    outcomes: list[Outcome]
    wall_s: float
    replays_sent: int = 0
    replay_failures: list[str] = field(default_factory=list)
    probe: str = "not run"
    api_line: dict[str, Any] = field(default_factory=dict)
    group: int = 0  # rounds of one group run at once, each on its own line (`--lines`)
    group_wall_s: float = 0.0  # the group's wall time


def _problem_code(resp: Any) -> str | None:
    try:
        body = resp.json()
    except ValueError:
        return None
    return body.get("code") if isinstance(body, dict) else None


class Client:
    """The retry policy: the same request with the same key, on timeout, connection error, 5xx
    or a retryable 409, with exponential backoff and jitter, within the overall deadline."""

    def __init__(self, http: Any, args: argparse.Namespace, guard: Guard, seed: int) -> None:
        import httpx

        self.http = http
        self.args = args
        self.guard = guard
        self.rng = random.Random(seed)
        self.lost_timeout = httpx.Timeout(
            args.timeout, read=args.lost_after_ms / 1000, pool=args.timeout
        )

    async def send(
        self, path: str, body: dict[str, Any], key: str, *, lose_first: bool, out: Outcome
    ) -> Any:
        import httpx

        for attempt in range(1, self.args.attempts + 1):
            out.attempts = attempt
            timeout = self.lost_timeout if lose_first and attempt == 1 else self.args.timeout
            try:
                resp = await self.http.post(
                    path, json=body, headers={"Idempotency-Key": key}, timeout=timeout
                )
            except httpx.TimeoutException:
                reason = "lost" if lose_first and attempt == 1 else "timeout"
            except httpx.TransportError as exc:
                reason = f"transport:{type(exc).__name__}"
            else:
                code = _problem_code(resp) if resp.status_code >= 400 else None
                if resp.status_code >= 500 or resp.status_code == 429:
                    reason = f"http_{resp.status_code}"
                elif resp.status_code == 409 and code in RETRYABLE_409:
                    reason = f"409:{code}"
                else:
                    return resp
            out.retries.append(reason)
            if attempt < self.args.attempts and self.guard.remaining() > 10:
                backoff = min(1.0, self.args.backoff * 2 ** (attempt - 1))
                await asyncio.sleep(backoff * (0.5 + self.rng.random()))
            else:
                break
        return None


async def _round(client: Client, plan: Plan, args: argparse.Namespace) -> RoundResult:
    path = f"/api/v1/credit-lines/{plan.line_id}/drawdowns"
    tag = uuid.uuid4().hex[:8]
    outcomes = [
        Outcome(key=f"bench-{plan.label}-{i}-{tag}", amount_fen=a)
        for i, a in enumerate(plan.amounts)
    ]
    result = RoundResult(plan=plan, outcomes=outcomes, wall_s=0.0)
    gate = asyncio.Event()
    slots = asyncio.Semaphore(args.concurrency)

    async def replay(out: Outcome) -> None:
        result.replays_sent += 1
        probe = Outcome(key=out.key, amount_fen=out.amount_fen)
        resp = await client.send(
            path, {"amount_fen": out.amount_fen}, out.key, lose_first=False, out=probe
        )
        if resp is None:
            result.replay_failures.append(f"{out.key}: replay unresolved ({probe.retries})")
            return
        body = resp.json() if resp.status_code == 201 else {}
        if (
            resp.status_code != 201
            or resp.headers.get("Idempotent-Replayed") != "true"
            or body.get("id") != out.drawdown_id
            or body.get("amount_fen") != out.amount_fen
        ):
            result.replay_failures.append(
                f"{out.key}: replay answered {resp.status_code} "
                f"{body.get('id') or _problem_code(resp)}, first result {out.drawdown_id}"
            )

    async def one(i: int, out: Outcome) -> None:
        await gate.wait()
        async with slots:
            t0 = time.perf_counter()
            resp = await client.send(
                path, {"amount_fen": out.amount_fen}, out.key, lose_first=plan.lost[i], out=out
            )
            out.ended_at = time.perf_counter()
            out.latency_s = out.ended_at - t0
        if resp is None:
            out.kind = "unresolved"
            return
        out.status = resp.status_code
        if resp.status_code == 201:
            body = resp.json()
            out.kind = "accepted"
            out.drawdown_id = body.get("id")
            out.replayed = resp.headers.get("Idempotent-Replayed") == "true"
            if plan.replay[i]:
                await replay(out)
            return
        out.code = _problem_code(resp)
        out.kind = "refused" if out.code == "credit_limit_exceeded" else "error"

    tasks = [asyncio.create_task(one(i, out)) for i, out in enumerate(outcomes)]
    await asyncio.sleep(0)  # every task is waiting at the gate
    started = time.perf_counter()
    gate.set()
    await asyncio.gather(*tasks)
    result.wall_s = max((o.ended_at for o in outcomes), default=started) - started

    accepted = [o for o in outcomes if o.kind == "accepted"]
    if accepted:  # same key, another payload: must be refused, and change nothing
        first = accepted[0]
        probe = Outcome(key=first.key, amount_fen=first.amount_fen + 100)
        resp = await client.send(
            path, {"amount_fen": probe.amount_fen}, first.key, lose_first=False, out=probe
        )
        code = _problem_code(resp) if resp is not None else None
        result.probe = (
            "ok"
            if resp is not None and resp.status_code == 409 and code == "idempotency_key_reused"
            else f"answered {resp.status_code if resp is not None else 'nothing'} {code}"
        )
    import httpx

    try:
        resp = await client.http.get(f"/api/v1/credit-lines/{plan.line_id}", timeout=args.timeout)
        result.api_line = resp.json() if resp.status_code == 200 else {"status": resp.status_code}
    except httpx.HTTPError as exc:
        result.api_line = {"error": type(exc).__name__}
    return result


async def _drive(
    base: str, token: str, plans: list[Plan], args: argparse.Namespace, guard: Guard
) -> list[RoundResult]:
    import httpx

    limits = httpx.Limits(
        max_connections=2 * args.concurrency + 4, max_keepalive_connections=2 * args.concurrency
    )
    headers = {"Authorization": f"Bearer {token}", "Accept-Language": "en"}
    results = []
    async with httpx.AsyncClient(
        base_url=base, headers=headers, limits=limits, timeout=args.timeout
    ) as http:
        client = Client(http, args, guard, args.seed + 1)
        # the warm-up alone, then the measured rounds `--lines` at a time, each on its own line
        warm = [p for p in plans if p.label == "warm-up"]
        rest = [p for p in plans if p.label != "warm-up"]
        groups = [[p] for p in warm] + [
            rest[i : i + args.lines] for i in range(0, len(rest), args.lines)
        ]
        for number, group in enumerate(groups):
            guard.phase = "round " + ", ".join(p.label for p in group)
            started = time.perf_counter()
            done = await asyncio.gather(*(_round(client, p, args) for p in group))
            for result in done:
                result.group, result.group_wall_s = number, time.perf_counter() - started
            results.extend(done)
    return results


# --------------------------------------------------------------------------- checks


def _check(url: str, results: list[RoundResult]) -> list[str]:
    """Every violation found in the database and the API answers, as sentences."""
    from sqlalchemy import select

    from puhui.core.db import make_engine, make_session_factory
    from puhui.ledger import service as ledger_service
    from puhui.lending import service as lending_service
    from puhui.lending.models import CreditLine, Drawdown, DrawdownStatus, Loan

    found: list[str] = []
    engine = make_engine(url, pool_size=1, max_overflow=0)
    try:
        with make_session_factory(engine)() as s:
            for r in results:
                p, tag = r.plan, f"round {r.plan.label}"
                line = s.get(CreditLine, uuid.UUID(p.line_id))
                assert line is not None
                limit, used = line.limit_fen, line.used_fen
                columns = (Drawdown.id, Drawdown.idempotency_key, Drawdown.amount_fen)
                rows = s.execute(
                    select(*columns, Drawdown.status).where(Drawdown.line_id == line.id)
                ).all()
                posted = [row for row in rows if row.status == DrawdownStatus.COMPLETED.value]
                posted_sum = sum(row.amount_fen for row in posted)
                if used > limit:
                    found.append(f"{tag}: used {used} exceeds the limit {limit}")
                if posted_sum > limit:
                    found.append(f"{tag}: posted drawdowns {posted_sum} exceed the limit {limit}")
                if posted_sum != used:
                    found.append(f"{tag}: posted drawdowns {posted_sum} != used {used}")
                api = r.api_line
                if (
                    api.get("used_fen", -1) + api.get("available_fen", -1) != limit
                    or api.get("used_fen") != used
                ):
                    found.append(f"{tag}: the API shows used + available != limit: {api}")
                for row in rows:
                    if row.status == DrawdownStatus.RESERVED.value:
                        found.append(f"{tag}: drawdown {row.id} left reserved")
                per_key = Counter(row.idempotency_key for row in posted)
                for key, n in per_key.items():
                    if n > 1:
                        found.append(f"{tag}: {n} posted drawdowns for the key {key}")
                by_key = {row.idempotency_key: row for row in posted}
                planned = {o.key: o for o in r.outcomes}
                for key, row in by_key.items():
                    o = planned.get(key)
                    if o is None:
                        found.append(f"{tag}: drawdown {row.id} for an unknown key {key}")
                    elif row.amount_fen != o.amount_fen:
                        found.append(f"{tag}: {key} drew {row.amount_fen}, asked {o.amount_fen}")
                    elif o.kind == "refused":
                        found.append(f"{tag}: {key} was refused to the client but drew {row.id}")
                    elif o.kind == "accepted" and str(row.id) != o.drawdown_id:
                        found.append(f"{tag}: {key} told {o.drawdown_id}, posted {row.id}")
                for o in r.outcomes:
                    if o.kind == "accepted" and o.key not in by_key:
                        found.append(f"{tag}: {o.key} accepted but no posted drawdown")
                    if o.kind == "accepted" and o.replayed and o.attempts == 1:
                        found.append(f"{tag}: a fresh key {o.key} was answered as a replay")
                loans = s.execute(
                    select(Loan.id, Loan.principal_fen).where(Loan.line_id == line.id)
                ).all()
                if len(loans) != len(posted) or sum(x.principal_fen for x in loans) != used:
                    found.append(f"{tag}: {len(loans)} loans for {len(posted)} drawdowns")
                principal = ledger_service.balances_by_owner(
                    s, "loan_principal", [str(x.id) for x in loans]
                )
                if sum(principal.values()) != used:
                    found.append(
                        f"{tag}: ledger loan principal {sum(principal.values())} != {used}"
                    )
                settlement = lending_service.settlement_balance(s, line.enterprise_id)
                if settlement != OPENING_DEPOSIT_FEN + used:
                    found.append(f"{tag}: settlement {settlement} != deposit + used {used}")
                found.extend(f"{tag}: {x}" for x in r.replay_failures)
                if r.probe not in ("ok", "not run"):
                    found.append(f"{tag}: same key with another amount {r.probe}")
            if not ledger_service.trial_balance(s, FAR).balanced:
                found.append("the ledger's trial balance does not balance")
            found.extend(
                f"cached balance differs: {x}" for x in ledger_service.verify_cached_balances(s)
            )
    finally:
        engine.dispose()
    return found


# --------------------------------------------------------------------------- figures


def _figures(r: RoundResult) -> dict[str, Any]:
    outs = r.outcomes
    kinds = Counter(o.kind for o in outs)
    decided = kinds["accepted"] + kinds["refused"]
    lat = [o.latency_s for o in outs if o.kind in ("accepted", "refused")]
    reasons = Counter(reason.split(":")[0] for o in outs for reason in o.retries)
    return {
        "round": r.plan.label,
        "requests": len(outs),
        "accepted": kinds["accepted"],
        "refused": kinds["refused"],
        "errors": kinds["error"],
        "unresolved": kinds["unresolved"],
        "error_samples": [f"{o.status} {o.code}" for o in outs if o.kind == "error"][:5],
        "retried_requests": sum(1 for o in outs if o.retries),
        "retries": dict(sorted(reasons.items())),
        "resolved_by_replay": sum(1 for o in outs if o.replayed),
        "replays": r.replays_sent,
        "replays_ok": r.replays_sent - len(r.replay_failures),
        "limit_fen": r.plan.limit_fen,
        "requested_fen": sum(r.plan.amounts),
        "used_fen": r.api_line.get("used_fen"),
        "wall_s": round(r.wall_s, 4),
        "decisions_per_s": round(decided / r.wall_s, 1) if r.wall_s else 0.0,
        "accepted_per_s": round(kinds["accepted"] / r.wall_s, 1) if r.wall_s else 0.0,
        "p50_ms": round(pct(lat, 0.5) * 1000, 1),
        "p99_ms": round(pct(lat, 0.99) * 1000, 1),
        "_latencies": lat,
    }


def _run(
    args: argparse.Namespace, plans: list[Plan], guard: Guard
) -> tuple[list[RoundResult], list[str], float]:
    """Cluster, setup, server, the rounds and the checks; the server and the cluster are
    stopped whatever happens."""
    from tests.support.pgcluster import start_cluster

    var_dir = guard.var_dir = Path(tempfile.mkdtemp(prefix="puhui-bench-"))
    try:
        guard.phase = "starting PostgreSQL"
        guard.cluster = start_cluster()
        url = create_database(guard.cluster.url, "puhui_bench_drawdown")
        guard.phase = "setup"
        t0 = time.perf_counter()
        token = _setup(url, var_dir, plans, args.seed)
        setup_s = time.perf_counter() - t0
        print(f"setup: migrations and {len(plans)} active lines in {setup_s:.1f} s", flush=True)

        guard.phase = "starting the server"
        port = free_port()
        env = {
            **os.environ,
            "PUHUI_DATABASE_URL": url,
            "PUHUI_VAR_DIR": str(var_dir),
            "PUHUI_SECRET_KEY": "bench",
            "PUHUI_API_RATE_PER_SECOND": "0",  # one client measuring throughput, not a flood
        }
        guard.server = start_server(
            [
                sys.executable, "-m", "puhui.cli", "serve",
                "--host", "127.0.0.1", "--port", str(port), "--workers", str(args.workers),
            ],
            env,
        )  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        wait_up(base, min(90.0, max(1.0, guard.remaining() - 20)), proc=guard.server)

        guard.phase = "drawdowns"
        budget = guard.remaining() - 20
        if budget <= 0:
            raise RuntimeError("no time left for the drawdowns within --deadline")
        try:
            results = asyncio.run(
                asyncio.wait_for(_drive(base, token, plans, args, guard), timeout=budget)
            )
        except TimeoutError as exc:
            raise RuntimeError(
                f"the drawdowns did not finish within {budget:.0f} s (--deadline {args.deadline})"
            ) from exc
        guard.phase = "checking the books"
        violations = _check(url, results)
    finally:
        guard.done()  # the phase is left as it was, for the failure message

    return results, violations, setup_s


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="measured rounds, a line each")
    parser.add_argument(
        "--lines", type=int, default=1, help="rounds run at once, each at its own line"
    )
    parser.add_argument("--requests", type=int, default=50, help="drawdowns per round")
    parser.add_argument("--concurrency", type=int, default=50, help="drawdowns in flight")
    parser.add_argument("--warmup", type=int, default=10, help="drawdowns of the warm-up round")
    parser.add_argument("--oversubscribe", type=float, default=2.0, help="requested / limit")
    parser.add_argument("--attempts", type=int, default=6, help="attempts per request")
    parser.add_argument("--backoff", type=float, default=0.02, help="first backoff, seconds")
    parser.add_argument("--timeout", type=float, default=15.0, help="per HTTP call, seconds")
    parser.add_argument("--lost", type=float, default=0.2, help="first attempts that time out")
    parser.add_argument("--lost-after-ms", type=float, default=2.0, help="their read timeout")
    parser.add_argument("--replays", type=float, default=0.3, help="accepted ones sent again")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
    parser.add_argument("--seed", type=int, default=20261123)
    parser.add_argument("--deadline", type=float, default=180.0, help="whole run, seconds")
    args = parser.parse_args()
    if min(args.requests, args.concurrency, args.rounds, args.lines) < 1 or args.oversubscribe <= 1:
        parser.error("--requests, --concurrency, --rounds, --lines >= 1 and --oversubscribe > 1")

    guard = Guard(args.deadline)
    # every database connection of this process and of the server: bounded connect and waits
    os.environ.setdefault("PGCONNECT_TIMEOUT", "10")
    os.environ.setdefault(
        "PGOPTIONS", "-c statement_timeout=60000 -c lock_timeout=30000 "
        "-c idle_in_transaction_session_timeout=120000",
    )  # fmt: skip
    rng = random.Random(args.seed)
    plans = [_plan("warm-up", args.warmup, args, rng)] if args.warmup else []
    plans += [_plan(str(k + 1), args.requests, args, rng) for k in range(args.rounds)]
    load_before = os.getloadavg()[0]
    began = time.perf_counter()

    try:
        results, violations, setup_s = _run(args, plans, guard)
    except Exception as exc:
        traceback.print_exc()
        print(f"drawdown bench FAILED during '{guard.phase}': {exc}", file=sys.stderr, flush=True)
        print(json.dumps({"bench": "drawdown", "error": str(exc), "phase": guard.phase}))
        return 3

    figures = [_figures(r) for r in results]
    measured = [f for f in figures if f["round"] != "warm-up"]
    for f in figures:
        print(
            f"round {f['round']:>7}: {f['requests']} drawdowns of {f['requested_fen'] / 100:,.0f}"
            f" yuan at a line of {f['limit_fen'] / 100:,.0f}: {f['accepted']} accepted, "
            f"{f['refused']} refused, {f['errors']} errors, {f['unresolved']} unresolved; "
            f"retried {f['retried_requests']} {f['retries']}, {f['resolved_by_replay']} resolved "
            f"by replay, replays {f['replays_ok']}/{f['replays']} ok; {f['wall_s']:.3f} s, "
            f"{f['decisions_per_s']} decisions/s, {f['accepted_per_s']} accepted/s, "
            f"p50 {f['p50_ms']} ms, p99 {f['p99_ms']} ms"
        )
    latencies = [x for f in measured for x in f["_latencies"]]
    for f in figures:
        del f["_latencies"]
    total = {
        k: sum(f[k] for f in measured) for k in ("accepted", "refused", "errors", "unresolved")
    }
    unresolved = sum(f["unresolved"] + f["errors"] for f in figures)
    wall = sum(f["wall_s"] for f in measured)
    # with --lines > 1 the rounds of a group overlap: all their decisions over the groups' time
    groups_wall = sum(
        {r.group: r.group_wall_s for r in results if r.plan.label != "warm-up"}.values()
    )
    decided = total["accepted"] + total["refused"]
    summary = {
        "bench": "drawdown",
        "violations": len(violations),
        "violation_samples": violations[:20],
        "rounds": len(measured),
        "requests_per_round": args.requests,
        "concurrency": args.concurrency,
        "workers": args.workers,
        **total,
        "unresolved_or_errors_all_rounds": unresolved,
        "retried_requests": sum(f["retried_requests"] for f in measured),
        "retries_all_rounds": dict(sum((Counter(f["retries"]) for f in figures), Counter())),
        "resolved_by_replay": sum(f["resolved_by_replay"] for f in measured),
        "replays": sum(f["replays"] for f in measured),
        "replays_ok": sum(f["replays_ok"] for f in measured),
        "decisions_per_s_median": round(
            statistics.median(f["decisions_per_s"] for f in measured), 1
        ),
        "decisions_per_s": round(decided / wall, 1) if wall else 0,
        "lines_at_once": args.lines,
        "decisions_per_s_all_lines": round(decided / groups_wall, 1) if groups_wall else 0,
        "accepted_per_s_median": round(statistics.median(f["accepted_per_s"] for f in measured), 1),
        "accepted_per_s": round(total["accepted"] / wall, 1) if wall else 0,
        "p50_ms": round(pct(latencies, 0.5) * 1000, 1),
        "p99_ms": round(pct(latencies, 0.99) * 1000, 1),
        "setup_s": round(setup_s, 1),
        "total_s": round(time.perf_counter() - began, 1),
        "cpus": os.cpu_count(),
        "load_before": round(load_before, 2),
        "round_figures": figures,
    }
    print(
        f"over-limit and idempotency violations: {len(violations)} (must be 0)"
        + "".join(f"\n  VIOLATION {v}" for v in violations[:20])
    )
    print(
        f"{len(measured)} rounds: {total['accepted']} accepted, {total['refused']} refused, "
        f"{unresolved} unresolved or unexpected; {summary['decisions_per_s_median']} drawdown "
        f"decisions/s (median of rounds; {summary['decisions_per_s']} overall), "
        f"{summary['accepted_per_s_median']} accepted/s (median; {summary['accepted_per_s']} "
        f"overall); p50 {summary['p50_ms']} ms, p99 {summary['p99_ms']} ms"
    )
    if args.lines > 1:
        print(
            f"{args.lines} lines at once: {summary['decisions_per_s_all_lines']} drawdown "
            f"decisions/s over all lines ({decided} in {groups_wall:.2f} s)"
        )
    server_errors = sum(
        n for reason, n in summary["retries_all_rounds"].items() if reason.startswith("http_5")
    )
    if server_errors:
        print(f"WARNING: {server_errors} answers were server errors (5xx), retried")
    print(f"load average before the run: {load_before:.2f}; cpus {os.cpu_count()}")
    print(json.dumps(summary, ensure_ascii=False))
    if violations:
        return 1
    return 2 if unresolved else 0


if __name__ == "__main__":
    sys.exit(main())
