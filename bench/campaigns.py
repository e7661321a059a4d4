"""Benchmark of campaign sending in the database: ``uv run python bench/campaigns.py [--n N]``.

A fresh SQLite database (migrations), N enterprises each with a legal representative (an
encrypted mobile), the day's segments (all N are 新开户), then:

1. an SMS campaign to the segment sent as the recorded job (opt-out and cap read per recipient,
   the template filled, the SMS written to the outbox): recipients/s;
2. a second SMS campaign after 10 % of the enterprises opted out: recipients/s, and the counts
   (sent / opted out) — the opt-out between two sends;
3. a third (in-app) campaign with the cap at 2 in 30 days: everyone left is capped;
4. the funnel query of a campaign (best of three).

Wall-clock rates on a shared machine include waiting; the CPU time per recipient is given too.

No assertions: figures only; the last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from puhui.core import auth
from puhui.core.clock import FixedClock, business_date
from puhui.core.codes import resident_id_check_char
from puhui.core.crypto import FieldCipher
from puhui.core.db import make_engine, make_session_factory, unit_of_work
from puhui.core.migrate import upgrade
from puhui.core.models import Role
from puhui.engagement import campaigns
from puhui.engagement import service as engagement
from puhui.engagement.campaign_rules import AudienceKind, CampaignChannel
from puhui.parties import service as parties
from puhui.parties.models import RelationKind, SizeClass
from puhui.parties.schemas import EnterpriseCreate, PersonCreate, RelationshipCreate
from puhui.wiring import wire

CIPHER = FieldCipher.from_master(b"c" * 32)


def _uscc(rng: random.Random) -> str:
    from tests.integration.lending.lending_factories import random_uscc

    return random_uscc(rng)


def _world(factory: Any, clock: FixedClock, n: int) -> list[uuid.UUID]:
    rng = random.Random(7)
    ids = []
    with unit_of_work(factory) as s:
        for i in range(n):
            ent = parties.create_enterprise(
                s, clock,
                EnterpriseCreate(name=f"基准{i}贸易有限公司", uscc=_uscc(rng), industry_section="F",
                                 region_code="330100", region_name="浙江省杭州市",
                                 registered_capital_fen=100_000_000,
                                 established_date=datetime(2018, 3, 1).date(),
                                 size_class=SizeClass.SMALL),
            )  # fmt: skip
            first17 = f"33010619850315{i % 1000:03d}"[:14] + f"{i:03d}"[-3:]
            person = parties.create_person(
                s, clock, CIPHER,
                PersonCreate(name="王五", resident_id=first17 + resident_id_check_char(first17),
                             mobile=f"136{i:08d}"),
            )  # fmt: skip
            parties.add_relationship(
                s, clock, ent.id,
                RelationshipCreate(kind=RelationKind.LEGAL_REPRESENTATIVE, person_id=person.id),
            )  # fmt: skip
            ids.append(ent.id)
        engagement.run_segments(s, clock, business_date(clock))
    return ids


def _send(
    factory: Any, clock: FixedClock, makers: list[uuid.UUID], channel: CampaignChannel, cap: int
) -> dict[str, Any]:
    with unit_of_work(factory) as s:
        c = campaigns.create_draft(
            s, clock, makers[0],
            campaigns.CampaignDraft(name="bench", audience_kind=AudienceKind.SEGMENT,
                                    audience={"segment": "new_account"}, channel=channel,
                                    template="{name}您好，详情 {link}", scheduled_at=clock.now()),
        )  # fmt: skip
        campaigns.approve(s, clock, c.id, makers[1])
        cid = c.id
    started, cpu = time.perf_counter(), time.process_time()
    result = campaigns.run_send(factory, clock, CIPHER, cid, cap)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    totals = result.steps[0].totals
    n = max(1, sum(totals.values()))
    return {"campaign": cid, "seconds": round(seconds, 3), "totals": dict(totals),
            "recipients_per_s": round(n / seconds, 1),
            "cpu_ms_per_recipient": round(cpu * 1000 / n, 2)}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=2000)
    args = parser.parse_args()
    wire()
    tmp = Path(tempfile.mkdtemp(prefix="bench-campaigns-"))
    url = f"sqlite:///{tmp / 'bench.db'}"
    upgrade(url)
    engine = make_engine(url)
    factory = make_session_factory(engine)
    clock = FixedClock(datetime(2026, 11, 23, 2, 0, tzinfo=UTC))
    makers = []
    with unit_of_work(factory) as s:  # two staff users: the maker and the checker
        for i in (1, 2):
            u = auth.create_user(s, clock, username=f"bench{i}", password="Bench-pass-2026!x",
                                 role=Role.CUSTOMER_MANAGER)  # fmt: skip
            makers.append(u.id)
    started = time.perf_counter()
    ids = _world(factory, clock, args.n)
    world_s = time.perf_counter() - started
    first = _send(factory, clock, makers, CampaignChannel.SMS, cap=2)
    with unit_of_work(factory) as s:
        engagement.opt_out_of_marketing(s, clock, ids[: args.n // 10], None, "m")
    clock.advance(timedelta(hours=1))
    second = _send(factory, clock, makers, CampaignChannel.SMS, cap=2)
    third = _send(factory, clock, makers, CampaignChannel.IN_APP, cap=2)
    best = float("inf")
    for _ in range(3):
        with factory() as s:
            t = time.perf_counter()
            funnel = campaigns.funnel(s, first["campaign"])
            best = min(best, time.perf_counter() - t)
    out = {
        "n": args.n, "world_s": round(world_s, 1),
        "send1_recipients_per_s": first["recipients_per_s"], "send1": first["totals"],
        "send1_cpu_ms_per_recipient": first["cpu_ms_per_recipient"],
        "send2_recipients_per_s": second["recipients_per_s"], "send2": second["totals"],
        "send3_recipients_per_s": third["recipients_per_s"], "send3": third["totals"],
        "funnel_ms": round(best * 1000, 2), "funnel": funnel,
    }  # fmt: skip
    for k, v in out.items():
        print(f"{k}: {v}")
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main()
