"""A synthetic supply-chain world and a realistic, valid stream of signed statements.

Used by tests, the benchmark and demos. Deterministic for a seed (keys included: they are
derived from the seed, so never use them outside tests and demos).

Each business day, certificates maturing that day are paid and cleared (a few go overdue first
and are paid the next day), then new certificates are issued by the core enterprises to tier-1
suppliers, accepted (a few rejected), split, partly transferred to tier-2 suppliers (sometimes
on to another tier-2 supplier, sometimes refused), and partly financed with a bank.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from puhui.receivables.chain import EntrySink, ReceivablesChain
from puhui.receivables.keys import KeyRing, SigningKey
from puhui.receivables.state import Rules, discount_price
from puhui.receivables.statements import sign_statement, statement

ORIGIN = "puhui.example/receivables/v1"


@dataclass
class World:
    origin: str
    log_key: SigningKey
    platform: SigningKey
    banks: list[SigningKey]
    cores: list[SigningKey]
    tier1: list[SigningKey]
    tier2: list[SigningKey]
    keys: KeyRing
    rules: Rules
    by_party: dict[str, SigningKey] = field(default_factory=dict)


def _key(seed: int, party: str) -> SigningKey:
    return SigningKey.from_seed(
        party, hashlib.sha256(f"puhui-synthetic/{seed}/{party}".encode()).digest()
    )


def make_world(
    seed: int = 7, *, cores: int = 3, tier1: int = 12, tier2: int = 24, banks: int = 2
) -> World:
    platform = _key(seed, "PLATFORM")
    bank_keys = [_key(seed, f"BANK-{i:02d}") for i in range(1, banks + 1)]
    core_keys = [_key(seed, f"CORE-{i:02d}") for i in range(1, cores + 1)]
    t1 = [_key(seed, f"T1-{i:03d}") for i in range(1, tier1 + 1)]
    t2 = [_key(seed, f"T2-{i:03d}") for i in range(1, tier2 + 1)]
    keys = KeyRing()
    by_party: dict[str, SigningKey] = {}
    for key in [platform, *bank_keys, *core_keys, *t1, *t2]:
        keys.register(key, valid_from="2020-01-01T00:00:00Z")
        by_party[key.party] = key
    rules = Rules(platform=platform.party, financiers=frozenset(k.party for k in bank_keys))
    return World(
        origin=ORIGIN,
        log_key=_key(seed, "LOG"),
        platform=platform,
        banks=bank_keys,
        cores=core_keys,
        tier1=t1,
        tier2=t2,
        keys=keys,
        rules=rules,
        by_party=by_party,
    )


Op = tuple[SigningKey, str, str, dict[str, Any]]
"""(signer, op, at, fields)."""


@dataclass
class _Cert:
    id: str
    core: SigningKey
    face: int
    maturity: date
    live: list[tuple[str, str]]  # (part id, holder party)
    amounts: dict[str, int]


class _Clock:
    def __init__(self, start: datetime) -> None:
        self.start = start
        self.seconds = 0

    def tick(self) -> str:
        self.seconds += 1
        return (self.start + timedelta(seconds=self.seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")


def operations(
    world: World, *, seed: int = 7, start: date = date(2026, 1, 5), certs_per_day: int = 400
) -> Iterator[Op]:
    """An endless, valid stream of operations (the caller numbers and signs them)."""
    rnd = random.Random(seed)
    day = start
    due: dict[date, list[tuple[str, _Cert]]] = {}
    counter = 0
    limit_fen = 2_000_000_000_000  # 200 亿元 per core enterprise
    platform = world.platform
    while True:
        clock = _Clock(datetime(day.year, day.month, day.day, tzinfo=UTC))  # 08:00 in Shanghai
        at = clock.tick

        if day == start or day.day == 1:  # monthly limit review
            for core in world.cores:
                yield platform, "limit", at(), {"party": core.party, "limit_fen": limit_fen}

        for kind, cert in due.pop(day, []):
            yield from _settle(platform, kind, cert, at)

        for _ in range(certs_per_day):
            counter += 1
            yield from _certificate(world, rnd, at, day, f"EC{counter:08d}", counter, due)
        day += timedelta(days=1)


def _settle(platform: SigningKey, kind: str, cert: _Cert, at: Callable[[], str]) -> Iterator[Op]:
    """A certificate due today: overdue first if so, then paid and cleared to every holder."""
    if kind == "overdue":
        yield platform, "overdue", at(), {"cert": cert.id}
    if kind in ("pay", "overdue"):
        yield cert.core, "pay", at(), {"cert": cert.id, "amount_fen": cert.face}
        for part_id, holder in cert.live:
            fields = {
                "cert": cert.id,
                "part": part_id,
                "to": holder,
                "amount_fen": cert.amounts[part_id],
            }
            yield platform, "clear", at(), fields


def _certificate(
    world: World,
    rnd: random.Random,
    at: Callable[[], str],
    day: date,
    cert_id: str,
    counter: int,
    due: dict[date, list[tuple[str, _Cert]]],
) -> Iterator[Op]:
    """One certificate's life up to maturity: issued, accepted (or rejected), split in 2 or 3,
    part 1 to tier 2, part 2 financed, part 3 kept; then scheduled in ``due``."""
    core = rnd.choice(world.cores)
    t1 = rnd.choice(world.tier1)
    face = rnd.randrange(50_000, 2_000_000) * 100  # 5 万 to 200 万元, whole yuan
    tenor = rnd.choice((30, 60, 90, 180))
    maturity = day + timedelta(days=tenor)
    invoice_amount = face + rnd.choice((0, rnd.randrange(1, 500_000) * 100))
    yield (
        core,
        "issue",
        at(),
        {
            "cert": cert_id,
            "to": t1.party,
            "amount_fen": face,
            "maturity_date": maturity.isoformat(),
            "invoice": f"INV-{counter:08d}",
            "invoice_amount_fen": invoice_amount,
        },
    )
    if rnd.random() < 0.03:
        yield t1, "reject", at(), {"cert": cert_id}
        return
    yield t1, "accept", at(), {"cert": cert_id}
    cert = _Cert(cert_id, core, face, maturity, [], {cert_id: face})
    ids = yield from _split(rnd, at, t1, cert)
    # part 1 goes to a tier-2 supplier (sometimes refused, sometimes passed on)
    cert.live.append((yield from _pass_on(world, rnd, at, t1, cert, ids[0])))
    # part 2 is financed by a bank the same day
    cert.live.append((yield from _finance(world, rnd, at, t1, cert, ids[1], tenor)))
    # part 3, if any, stays with the tier-1 supplier
    if len(ids) == 3:
        cert.live.append((ids[2], t1.party))
    if rnd.random() < 0.02:
        due.setdefault(maturity + timedelta(days=1), []).append(("overdue", cert))
    else:
        due.setdefault(maturity, []).append(("pay", cert))


def _split(
    rnd: random.Random, at: Callable[[], str], t1: SigningKey, cert: _Cert
) -> Generator[Op, None, list[str]]:
    """Split into 2 or 3 parts, whole yuan, each >= 1 万元; the part ids."""
    face, cert_id = cert.face, cert.id
    n = rnd.choice((2, 3))
    cuts = sorted(rnd.sample(range(100, face // 100 - 99, 100), n - 1))
    bounds = [0, *cuts, face // 100]
    amounts = [(bounds[i + 1] - bounds[i]) * 100 for i in range(n)]
    ids = [f"{cert_id}-{i + 1}" for i in range(n)]
    yield (
        t1,
        "split",
        at(),
        {
            "cert": cert_id,
            "part": cert_id,
            "parts": [{"part": p, "amount_fen": a} for p, a in zip(ids, amounts, strict=True)],
        },
    )
    for p, a in zip(ids, amounts, strict=True):
        cert.amounts[p] = a
    return ids


def _pass_on(
    world: World,
    rnd: random.Random,
    at: Callable[[], str],
    t1: SigningKey,
    cert: _Cert,
    p1: str,
) -> Generator[Op, None, tuple[str, str]]:
    """Part 1 offered to a tier-2 supplier, sometimes refused, sometimes passed on once more;
    (part id, holder party) at the end."""
    cert_id = cert.id
    holder1 = t1
    t2 = rnd.choice(world.tier2)
    yield t1, "transfer", at(), {"cert": cert_id, "part": p1, "to": t2.party}
    if rnd.random() < 0.05:
        yield t2, "reject_transfer", at(), {"cert": cert_id, "part": p1}
        return p1, holder1.party
    new = f"{p1}a"
    yield t2, "accept_transfer", at(), {"cert": cert_id, "part": p1, "new_part": new}
    cert.amounts[new] = cert.amounts[p1]
    p1, holder1 = new, t2
    if rnd.random() < 0.2:
        t3 = rnd.choice([k for k in world.tier2 if k is not t2])
        yield t2, "transfer", at(), {"cert": cert_id, "part": p1, "to": t3.party}
        new = f"{p1}b"
        yield (
            t3,
            "accept_transfer",
            at(),
            {"cert": cert_id, "part": p1, "new_part": new},
        )
        cert.amounts[new] = cert.amounts[p1]
        p1, holder1 = new, t3
    return p1, holder1.party


def _finance(
    world: World,
    rnd: random.Random,
    at: Callable[[], str],
    t1: SigningKey,
    cert: _Cert,
    p2: str,
    tenor: int,
) -> Generator[Op, None, tuple[str, str]]:
    """Part 2 transferred to a bank and financed at a discount; (financed part id, bank)."""
    cert_id = cert.id
    bank = rnd.choice(world.banks)
    yield t1, "transfer", at(), {"cert": cert_id, "part": p2, "to": bank.party}
    rate = rnd.choice((280, 310, 345, 385, 420))
    amount = cert.amounts[p2]
    price = discount_price(amount, rate, tenor)
    fin = f"{p2}f"
    yield (
        bank,
        "finance",
        at(),
        {
            "cert": cert_id,
            "part": p2,
            "new_part": fin,
            "rate_bp": rate,
            "days": tenor,
            "price_fen": price,
        },
    )
    cert.amounts[fin] = amount
    return fin, bank.party


def build_chain(
    world: World,
    leaves: int,
    *,
    seed: int = 7,
    sink: EntrySink | None = None,
    checkpoint_every: int = 10_000,
    certs_per_day: int = 400,
    verify_signatures: bool = False,
) -> ReceivablesChain:
    """Sign and append ``leaves`` statements, with a checkpoint every ``checkpoint_every``
    leaves and one at the end."""
    chain = ReceivablesChain(
        origin=world.origin,
        log_key=world.log_key,
        rules=world.rules,
        keys=world.keys,
        sink=sink,
        verify_signatures=verify_signatures,
    )
    last_at = ""
    stream = operations(world, seed=seed, certs_per_day=certs_per_day)
    for signer, op, at, fields in stream:
        if chain.next_seq >= leaves:
            break
        stmt = statement(op, seq=chain.next_seq, actor=signer.party, at=at, **fields)
        chain.submit(sign_statement(stmt, signer))
        last_at = at
        if checkpoint_every and chain.next_seq % checkpoint_every == 0:
            chain.checkpoint(at)
    if not chain.checkpoints or chain.checkpoints[-1].size != chain.tree.size:
        chain.checkpoint(last_at or "2026-01-05T00:00:00Z")
    return chain
