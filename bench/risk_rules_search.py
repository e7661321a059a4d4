"""How the warning points of `risk/rules/default.json` were fitted (docs/risk.md, "Warning rules").

    uv run python bench/risk_rules_search.py --seeds 1 2 3 --enterprises 3000 --cap 0.075

Not a benchmark: the offline coordinate search behind the seed document's weights, kept so the
fit can be repeated. For each tuning world it books the loans, lets the world live on and caches
every signal hit per loan and monthly pull (signal thresholds loosened so that the search can
choose a value tier); then it searches integer weights 0-7 per (signal, tier), from the
document's current weights, for the most defaulters first flagged orange or red 60+ days before
their first missed payment, with at most `--cap` of the non-defaulters ever flagged on every
tuning world (the related-party rules are left out: they add false alerts of their own). Orange
is `--threshold` points or the document's fixed orange rules (10+ dpd, enforcement, dishonest).
Report held-out seeds with `puhui risk evaluate`, never with this script. Last line: JSON.
"""

from __future__ import annotations

import argparse
import json
import re
from collections.abc import Sequence
from typing import Any

import numpy as np

from puhui.datahub.world import generate_world
from puhui.datahub.world.after import simulate_after
from puhui.risk import evaluate as ev
from puhui.risk.rules import load_default_rules, signal_parameters
from puhui.risk.signals import SIGNALS, evaluate_signals

LOOSE = {
    "utilities_arrears": {"min_late": 1},
    "inquiry_burst": {"min_inquiries": 1},
    "failed_auto_debits": {"min_failures": 1},
    "activity_decline": {"drop": 0.1},
    "sales_drop": {"drop": 0.2},
    "utilities_drop": {"drop": 0.2},
    "headcount_drop": {"drop": 0.1, "min_people": 1},
}
TIERS: dict[str, list[float]] = {
    "sales_drop": [0.2, 0.35, 0.5],
    "activity_decline": [0.1, 0.2, 0.3, 0.4],
    "utilities_drop": [0.2, 0.3, 0.45],
    "utilities_arrears": [1, 2, 3],
    "inquiry_burst": [1, 2, 3, 4],
    "failed_auto_debits": [1, 2, 3],
    "days_past_due": [1],
    "headcount_drop": [0.1, 0.2, 0.3],
    "filing_missed": [1, 2],
}
CODES = list(SIGNALS)
FEATURES = [(c, t) for c in CODES if c not in ("group_member_warned", "core_overdue")
            for t in TIERS.get(c, [None])]  # fmt: skip


def cached_hits(seed: int, enterprises: int) -> dict[str, Any]:
    """(loans, H, signals) values of every hit (NaN: silent) and the scoring truth of a world."""
    world = generate_world(enterprises, seed)
    booked = ev.booked_enterprises(world)
    after = simulate_after(world)
    panel = ev.observation_panel(world, after)
    params = signal_parameters(load_default_rules())
    params = {k: {**params.get(k, {}), **LOOSE.get(k, {})} for k in set(params) | set(LOOSE)}
    values = np.full((len(booked), after.horizon, len(CODES)), np.nan)
    for slot, i in enumerate(booked):
        history = ev._observations(panel, int(i))
        for j in range(after.horizon):
            window = history[panel.pre + j - ev.HISTORY_MONTHS : panel.pre + j]
            for hit in evaluate_signals(window, params):
                values[slot, j, CODES.index(hit.code)] = 1.0 if hit.value is None else hit.value
    missed = ev.missed_days(after, booked)
    pulls = ev.pull_dates(after)
    defaulted = np.array([m is not None for m in missed])
    early = np.zeros(values.shape[:2], dtype=bool)
    for slot in np.flatnonzero(defaulted):
        due = missed[slot]
        assert due is not None
        early[slot] = [(due - pull).days >= 60 for pull in pulls]
    fired = []
    for code, tier in FEATURES:
        x = values[:, :, CODES.index(code)]
        fired.append(~np.isnan(x) & (True if tier is None else np.nan_to_num(x) >= tier))
    dpd = np.nan_to_num(values[:, :, CODES.index("days_past_due")])
    hard = (dpd >= 10) | ~np.isnan(values[:, :, CODES.index("enforcement_new")])
    hard |= ~np.isnan(values[:, :, CODES.index("dishonest_listed")])
    return {"x": np.stack(fired, axis=2).astype(np.int16), "hard": hard, "early": early,
            "defaulted": defaulted}  # fmt: skip


def figures(w: np.ndarray, worlds: Sequence[dict[str, Any]], threshold: int) -> list[tuple]:
    out = []
    for d in worlds:
        serious = (d["x"] @ w >= threshold) | d["hard"]
        flagged = serious.any(axis=1)
        first = serious.argmax(axis=1)
        caught = flagged & d["early"][np.arange(len(first)), first]
        out.append((float(caught[d["defaulted"]].mean()), float(flagged[~d["defaulted"]].mean())))
    return out


def current_weights() -> np.ndarray:
    """The seed document's points, read from its orange expression."""
    doc = load_default_rules()
    rules = [r for n in doc["graph"]["nodes"] for r in n.get("content", {}).get("rules", [])]
    expr = next(r["t_warnings_in_0"] for r in rules if r["_id"] == "w_points_orange")
    w = np.zeros(len(FEATURES), dtype=np.int16)
    for code, value, points in re.findall(r"\((\w+)(?: and \w+ >= ([\d.]+))? \? (\d+) : 0\)",
                                          expr):  # fmt: skip
        tier = float(value) if value else None
        if (code, tier) in FEATURES:
            w[FEATURES.index((code, tier))] = int(points)
    return w


def search(worlds: Sequence[dict[str, Any]], cap: float, threshold: int) -> np.ndarray:
    def objective(w: np.ndarray) -> float:
        got = figures(w, worlds, threshold)
        recall, far = float(np.mean([r for r, _ in got])), max(f for _, f in got)
        return recall - (10 * (far - cap) if far > cap else 0.0)

    w = current_weights()
    best = objective(w)
    for _ in range(6):
        improved = False
        for k in range(len(FEATURES)):
            for value in range(8):
                trial = w.copy()
                trial[k] = value
                score = objective(trial)
                if score > best + 1e-9:
                    best, w, improved = score, trial, True
        if not improved:
            break
    return w


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--enterprises", type=int, default=3000)
    parser.add_argument("--cap", type=float, default=0.075)
    parser.add_argument("--threshold", type=int, default=4)
    args = parser.parse_args()
    worlds = [cached_hits(seed, args.enterprises) for seed in args.seeds]
    start = current_weights()
    w = search(worlds, args.cap, args.threshold)
    weights = {f"{c}>={t}" if t is not None else c: int(x)
               for (c, t), x in zip(FEATURES, w, strict=True) if x}  # fmt: skip
    before, after = figures(start, worlds, args.threshold), figures(w, worlds, args.threshold)
    for seed, (r0, f0), (r1, f1) in zip(args.seeds, before, after, strict=True):
        print(f"seed {seed}: document recall {r0:.3f} far {f0:.3f} -> fitted {r1:.3f} far {f1:.3f}")
    print(json.dumps({"seeds": args.seeds, "cap": args.cap, "threshold": args.threshold,
                      "weights": weights}))  # fmt: skip


if __name__ == "__main__":
    main()
