"""How early the warning rules see a default: ``puhui risk evaluate`` on a synthetic world.

No database. The steps:

1. **Book the loans.** The world's SMEs (core enterprises aside) apply; the seed credit policy
   (``decisioning/policies/default.json``: knock-outs, cross-checks, anti-fraud, PD grade) with
   the baseline scorecard decides on the payloads the sandbox gives at ``as_of``. Only the
   automatically *approved* are booked (referrals are left out: their review is a person's call).
2. **Let the world live on** (``datahub.world.after``): twelve months of sources, our own loan's
   behaviour (dpd from the world's default month), the truth of who defaults when.
3. **Monitor monthly.** On the 10th of each month of the horizon (``PULL_DAY``) the sources
   are pulled again, reading the month before (the first pull reads the decision's last month);
   the history of the last ``HISTORY_MONTHS`` months goes through ``signals.evaluate_signals``
   (with the rules document's parameters) and ``rules.evaluate_warning`` -> a level per loan and
   month. Related parties: a group member warned red/orange or 30+ days past due last month,
   or the core enterprise in default, is an input of the next month.
4. **Score the warnings** against the truth: the world's default month, the month a distress
   spell has used up the cash and that month's instalment (due on the 20th) is never paid
   (``missed_days``). For each defaulter the first red/orange warning pulled before that day
   gives the lead in days.
   The product's default day, 90 days past due (``default_days``), comes three months later;
   the same figures against it are printed beside (``*_before_90dpd``) -- a weak yardstick,
   since days past due alone flag a loan ~70 days before it:

   * ``recall_60d``: defaulters first flagged red/orange at least 60 days before their default;
   * ``median_lead_days``: the median lead of the defaulters flagged before default;
   * ``false_alert_rate``: non-defaulters ever flagged red/orange over the horizon;
   * ``alerts_per_100_loans_month``: alerts opened (any level; an alert stays open while the
     enterprise keeps a level) per 100 loan-months -- the workload;

   and the same for a baseline that looks only at days past due (1+ orange, 30+ red).

Fraud-driven defaults (shells, bursts, inflators that slipped through) give no warning by
construction, and payment stops in the first months can hardly be seen 60 days before the
missed payment by any monitoring that starts with the loan: both stay in the denominator.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from statistics import median
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

from puhui.datahub.world import World, generate_world
from puhui.datahub.world.after import DEFAULT_DPD, AfterWorld, dense_panel, simulate_after
from puhui.datahub.world.context import last_observed_month
from puhui.decisioning import policy as credit_policy
from puhui.decisioning.lifecycle import SEED_POLICY_PATH
from puhui.decisioning.scoring import baseline_artifact
from puhui.decisioning.world_training import lending_population, world_features
from puhui.risk.rules import (
    LEVEL_RANK,
    compile_rules,
    evaluate_warning,
    load_default_rules,
    signal_parameters,
)
from puhui.risk.signals import SIGNAL_SET_VERSION, MonthlyObservation, evaluate_signals

PULL_DAY = 10
DUE_DAY = 20
HISTORY_MONTHS = 27  # two years of same-month comparisons and a three-month window
SERIOUS = ("red", "orange")
Progress = Callable[[str], None]


# ----------------------------------------------------------------------------- 1. booking


def booked_enterprises(world: World, product_code: str = "weiyedai") -> npt.NDArray[np.int64]:
    """The enterprises the seed policy approves automatically at ``as_of``."""
    doc, issues = credit_policy.parse_document(SEED_POLICY_PATH.read_text(encoding="utf-8"))
    if doc is None:
        raise ValueError(f"the seed policy does not parse: {issues}")
    compiled = credit_policy.compile_policy(doc)
    scorecard = baseline_artifact()
    indices = lending_population(world)
    booked = []
    for i, features in zip(indices, world_features(world, indices), strict=True):
        score = scorecard.score(features)
        context = {**features, "pd": score.pd, "score_points": score.points,
                   "product_code": product_code}  # fmt: skip
        result = compiled.evaluate_graph(context)
        actions = [row.get("action") for stage in credit_policy.COLLECT_STAGES
                   for row in result.get(stage) or []]  # fmt: skip
        grading = result.get("grading") or {}
        actions.append(grading.get("action") if isinstance(grading, Mapping) else None)
        if "decline" not in actions and "refer" not in actions:
            booked.append(i)
    return np.array(booked, dtype=np.int64)


# ----------------------------------------------------------------------------- 2. observations


def _month_key(values: pl.Series) -> npt.NDArray[np.int64]:
    return values.to_numpy().astype("datetime64[M]").astype(np.int64)


def _by_month(
    world: World, ids: pl.Series, months: pl.Series, first: int, width: int
) -> npt.NDArray[np.int64]:
    """(n, width) counts of dated rows by month (columns from month key ``first``)."""
    grid = np.zeros((world.n_enterprises, width), dtype=np.int64)
    col = _month_key(months) - first
    keep = (col >= 0) & (col < width)
    np.add.at(grid, (ids.to_numpy().astype(np.int64)[keep], col[keep]), 1)
    return grid


def _listed(
    world: World, ids: pl.Series, listed: pl.Series, removed: pl.Series, first: int, width: int
) -> npt.NDArray[np.bool_]:
    """(n, width) flag: on the list at the end of each month (listed, not yet removed)."""
    grid = np.zeros((world.n_enterprises, width), dtype=bool)
    key = np.arange(first, first + width)
    never = np.iinfo(np.int64).max
    gone = np.where(
        removed.is_null().to_numpy(), never, _month_key(removed.fill_null(date(1970, 1, 1)))
    )
    rows = ids.to_numpy().astype(np.int64)
    for row, start, end in zip(rows, _month_key(listed), gone, strict=True):
        grid[row] |= (key >= start) & (key < end)
    return grid


@dataclass
class Panel:
    """Dense (n, P + H) inputs by name; None where not observed. Column j is month ``months[j]``."""

    months: list[date]
    values: dict[str, npt.NDArray[Any]]
    pre: int  # how many columns precede the decision


def observation_panel(world: World, after: AfterWorld, pre: int = HISTORY_MONTHS) -> Panel:
    """Every input of the signals, month by month, from ``pre`` months before the decision to
    the end of the horizon -- the same values ``signals.observation_from_payloads`` reads from
    the sandbox's payloads as of each month (tested)."""
    T, H, n = world.months, after.horizon, world.n_enterprises
    width = pre + H
    last = int(last_observed_month(world.as_of).astype("datetime64[M]").astype(np.int64))
    first = last - pre + 1
    v: dict[str, npt.NDArray[Any]] = {}

    def join(name: str, pre_values: npt.NDArray[Any]) -> None:
        v[name] = np.concatenate([pre_values[:, T - pre :], after.dense[name]], axis=1)

    join("invoiced_sales_fen", dense_panel(world, "invoiced_sales_fen"))
    v["tax_filed"] = np.concatenate([dense_panel(world, "filed", False)[:, T - pre :],
                                     after.dense["filed"]], axis=1)  # fmt: skip
    join("headcount", dense_panel(world, "headcount"))
    join("electricity_kwh", dense_panel(world, "electricity_kwh"))
    join("housing_fund_amount_fen", dense_panel(world, "housing_fund_amount_fen"))
    paid = (dense_panel(world, "housing_fund_contributors") > 0) | (
        dense_panel(world, "housing_fund_amount_fen") > 0
    )
    opened: npt.NDArray[np.bool_] = np.asarray(paid.any(axis=1))  # the payload's account_opened
    hf = np.repeat(opened[:, None], width, axis=1)
    v["housing_fund_amount_fen"] = np.where(
        hf, v["housing_fund_amount_fen"], np.array(None, dtype=object)
    )
    join("utilities_paid_on_time", dense_panel(world, "utilities_paid_on_time", False))
    grade_now = world.enterprises["tax_credit_grade"].to_numpy().astype(object)
    v["tax_grade"] = np.concatenate([np.repeat(grade_now[:, None], pre, axis=1),
                                     after.dense["tax_grade"]], axis=1)  # fmt: skip
    _events(world, after, v, first, pre)
    _bureau(world, after, v, first, pre)
    for name in ("dpd", "utilisation", "failed_auto_debits", "third_party_repayment"):
        before = np.full((n, pre), None, dtype=object)
        v[name] = np.concatenate([before, after.dense[name].astype(object)], axis=1)
    months = [date(1970 + (first + j) // 12, (first + j) % 12 + 1, 1) for j in range(width)]
    return Panel(months, v, pre)


def _events(world: World, after: AfterWorld, v: dict[str, Any], first: int, pre: int) -> None:
    width = pre + after.horizon
    jud = world.judicial
    suits = jud.filter((pl.col("kind") == "lawsuit") & (pl.col("role") == "defendant"))
    enf = jud.filter(pl.col("kind") == "enforcement")

    def cumulative(frame: pl.DataFrame, column: str, new: str) -> npt.NDArray[np.int64]:
        counts = _by_month(world, frame["enterprise_id"], frame[column], first, pre)
        before = _month_key(frame[column]) < first
        base = np.zeros(world.n_enterprises, dtype=np.int64)
        np.add.at(base, frame["enterprise_id"].to_numpy().astype(np.int64)[before], 1)
        grid = np.concatenate([counts, after.dense[new]], axis=1)
        return base[:, None] + np.cumsum(grid, axis=1)

    v["lawsuits_defendant"] = cumulative(suits, "filed_date", "lawsuits_new")
    v["enforcements"] = cumulative(enf, "filed_date", "enforcements_new")
    changes = world.registry_changes
    reps = changes.filter(pl.col("item") == "legal_representative")
    holders = changes.filter(pl.col("item") == "shareholder")
    v["legal_rep_changes"] = cumulative(reps, "change_date", "legal_rep_changes_new")
    v["shareholder_changes"] = cumulative(holders, "change_date", "shareholder_changes_new")
    dis = jud.filter(pl.col("kind") == "dishonest_debtor")
    pre_d = _listed(world, dis["enterprise_id"], dis["filed_date"], dis["concluded_date"], first,
                    width)  # fmt: skip
    v["dishonest_listed"] = pre_d | np.concatenate(
        [np.zeros((world.n_enterprises, pre), bool),
         np.cumsum(after.dense["dishonest_new"], axis=1) > 0], axis=1)  # fmt: skip
    ab = world.abnormal_operations
    pre_a = _listed(world, ab["enterprise_id"], ab["listed_date"], ab["removed_date"], first, width)
    v["abnormal_operation"] = pre_a | np.concatenate(
        [np.zeros((world.n_enterprises, pre), bool),
         np.cumsum(after.dense["abnormal_new"], axis=1) > 0], axis=1)  # fmt: skip


def _bureau(world: World, after: AfterWorld, v: dict[str, Any], first: int, pre: int) -> None:
    n = world.n_enterprises
    acc = world.bureau_accounts.filter(pl.col("subject_kind") == "enterprise")
    records = np.array([list(r) for r in acc["repayment_status_24m"].to_list()] or
                       np.empty((0, 24), dtype="<U1"))  # fmt: skip
    overdue = np.isin(records, list("1234567")).astype(np.int64)
    seen = min(pre, 24)  # the report's 24-month records; older months are unknown
    counts = np.zeros((n, seen), dtype=np.int64)
    np.add.at(counts, acc["subject_id"].to_numpy().astype(np.int64), overdue[:, 24 - seen :])
    grid = np.full((n, pre), None, dtype=object)
    grid[:, pre - seen :] = counts
    v["bureau_overdue_accounts"] = np.concatenate([grid, after.dense["bureau_overdue_accounts"]],
                                                  axis=1)  # fmt: skip
    inq = world.bureau_inquiries.filter(
        (pl.col("subject_kind") == "enterprise") & pl.col("reason").is_in(
            ["loan_approval", "credit_card_approval", "guarantee_review"])
    )  # fmt: skip
    counts = _by_month(world, inq["subject_id"], inq["inquiry_date"], first, pre)
    # the bureau keeps 12 months of inquiries: older months are unknown, not zero
    known = np.arange(pre) >= pre - 12
    pre_values = np.where(known[None, :], counts, np.array(None, dtype=object))
    v["bureau_inquiries"] = np.concatenate([pre_values, after.dense["bureau_inquiries"]], axis=1)


# ----------------------------------------------------------------------------- 3. monitoring


def _observations(panel: Panel, i: int) -> list[MonthlyObservation]:
    names = list(panel.values)
    columns = [panel.values[name][i] for name in names]
    out = []
    for j, month in enumerate(panel.months):
        values = {}
        for name, column in zip(names, columns, strict=True):
            value = column[j]
            if value is not None:
                values[name] = value.item() if hasattr(value, "item") else value
        out.append(MonthlyObservation(month, values))
    return out


def _related(world: World, booked: npt.NDArray[np.int64]) -> tuple[list[list[int]], list[int]]:
    """For each booked loan: the other booked members of its group; its core enterprise (-1)."""
    group = world.enterprises["group_id"].fill_null(-1).to_numpy()[booked]
    core = world.enterprises["core_enterprise_id"].fill_null(-1).to_numpy()[booked]
    members: dict[int, list[int]] = {}
    for slot, g in enumerate(group.tolist()):
        if g >= 0:
            members.setdefault(g, []).append(slot)
    peers = [[s for s in members.get(g, []) if s != slot] if g >= 0 else []
             for slot, g in enumerate(group.tolist())]  # fmt: skip
    return peers, core.astype(int).tolist()


def monitor(
    world: World,
    after: AfterWorld,
    booked: npt.NDArray[np.int64],
    rules_doc: Mapping[str, Any],
    progress: Progress | None = None,
) -> npt.NDArray[np.int8]:
    """(booked, H) warning level by month of data: 0 none, 1 yellow, 2 orange, 3 red."""
    panel = observation_panel(world, after)
    params = signal_parameters(rules_doc)
    compiled = compile_rules(rules_doc)  # once: fails early on a broken document
    peers, cores = _related(world, booked)
    histories = [_observations(panel, int(i)) for i in booked]
    H, pre = after.horizon, panel.pre
    dpd = after.dense["dpd"][booked]
    levels = np.zeros((len(booked), H), dtype=np.int8)
    for j in range(H):  # the pull on the 10th of after-month j reads data through month j - 1
        for slot, history in enumerate(histories):
            window = history[pre + j - HISTORY_MONTHS : pre + j]
            related = {}
            if j and any(levels[p, j - 1] >= 2 or (j >= 2 and dpd[p, j - 2] >= 30)
                         for p in peers[slot]):  # fmt: skip
                related["group_member_warned"] = True
            core = cores[slot]
            if core >= 0 and 0 <= after.default_index[core] < j - 1:
                related["core_overdue"] = True
            if related:
                last = window[-1]
                window = [*window[:-1], MonthlyObservation(last.month, {**last.values, **related})]
            hits = evaluate_signals(window, params)
            if hits:
                level = evaluate_warning(compiled, hits).level
                levels[slot, j] = LEVEL_RANK[level] if level else 0
        if progress is not None:
            progress(f"pull {pull_dates(after)[j]:%Y-%m-%d}")
    return levels


def dpd_levels(after: AfterWorld, booked: npt.NDArray[np.int64]) -> npt.NDArray[np.int8]:
    """The baseline: days past due only (30+ red, 1+ orange), as each pull sees it."""
    dpd = after.dense["dpd"][booked]
    seen = np.concatenate([np.zeros((len(booked), 1), dtype=dpd.dtype), dpd[:, :-1]], axis=1)
    return np.where(seen >= 30, 3, np.where(seen >= 1, 2, 0)).astype(np.int8)


# ----------------------------------------------------------------------------- 4. scoring


def pull_dates(after: AfterWorld) -> list[date]:
    """The monitoring pulls: the 10th of each after-month (reading the month before)."""
    return [m.replace(day=PULL_DAY) for m in after.months]


def default_days(after: AfterWorld, booked: npt.NDArray[np.int64]) -> list[date | None]:
    """Each loan's default day: 90 days past due (``DEFAULT_DPD``) counted from the due date of
    the first instalment never paid (None: no default)."""
    out: list[date | None] = []
    for k in after.default_index[booked].tolist():
        if k < 0:
            out.append(None)
            continue
        m = after.months[k]
        out.append(date(m.year, m.month, DUE_DAY) + timedelta(days=DEFAULT_DPD))
    return out


def missed_days(after: AfterWorld, booked: npt.NDArray[np.int64]) -> list[date | None]:
    """Each loan's first missed due date (None: none) -- the stricter yardstick."""
    out: list[date | None] = []
    for k in after.default_index[booked].tolist():
        m = after.months[k] if k >= 0 else None
        out.append(date(m.year, m.month, DUE_DAY) if m is not None else None)
    return out


def score(
    after: AfterWorld,
    booked: npt.NDArray[np.int64],
    levels: npt.NDArray[np.int8],
    events: list[date | None] | None = None,
) -> dict[str, Any]:
    """The figures against ``events`` (default: each loan's 90-days-past-due day; the evaluation
    passes ``missed_days``, the world's default month)."""
    pulls = pull_dates(after)
    events = default_days(after, booked) if events is None else events
    defaulters = np.array([e is not None for e in events], dtype=bool)
    leads: list[int] = []
    early = 0
    for slot in np.flatnonzero(defaulters):
        due = events[slot]
        assert due is not None
        flagged = [
            pulls[k] for k in range(after.horizon) if levels[slot, k] >= 2 and pulls[k] < due
        ]
        if flagged:
            lead = (due - flagged[0]).days
            leads.append(lead)
            early += lead >= 60
    clean = ~defaulters
    false_alerts = int((levels[clean] >= 2).any(axis=1).sum())
    opened = (levels > 0) & np.concatenate([np.ones((len(booked), 1), bool), levels[:, :-1] == 0],
                                           axis=1)  # fmt: skip
    loan_months = len(booked) * after.horizon
    return {
        "recall_60d": round(early / max(int(defaulters.sum()), 1), 4),
        "median_lead_days": float(median(leads)) if leads else None,
        "false_alert_rate": round(false_alerts / max(int(clean.sum()), 1), 4),
        "alerts_per_100_loans_month": round(100.0 * int(opened.sum()) / max(loan_months, 1), 3),
    }


@dataclass
class Evaluation:
    figures: dict[str, Any]
    levels: npt.NDArray[np.int8]
    booked: npt.NDArray[np.int64]

    def json_line(self) -> str:
        return json.dumps(self.figures, ensure_ascii=False, sort_keys=False)


def evaluate_world(
    seed: int,
    enterprises: int,
    rules_doc: Mapping[str, Any] | None = None,
    progress: Progress | None = None,
) -> Evaluation:
    """Book, live on, monitor and score one world (see the module docstring)."""
    rules_doc = rules_doc or load_default_rules()
    world = generate_world(enterprises, seed)
    booked = booked_enterprises(world)
    if progress is not None:
        progress(f"booked {len(booked)} of {enterprises}")
    after = simulate_after(world)
    levels = monitor(world, after, booked, rules_doc, progress)
    baseline = dpd_levels(after, booked)
    missed = missed_days(after, booked)
    # The yardstick is the world's default month (the instalment never paid); the figures
    # against the product's 90-days-past-due default day are printed beside them.
    ours, base = score(after, booked, levels, missed), score(after, booked, baseline, missed)
    late = score(after, booked, levels)
    late_base = score(after, booked, baseline)
    fraud = world.outcomes["is_fraud"].to_numpy()[booked]
    defaulters = after.default_index[booked] >= 0
    figures: dict[str, Any] = {
        "world_seed": seed,
        "enterprises": enterprises,
        "booked_loans": len(booked),
        "defaulters": int(defaulters.sum()),
        "fraud_defaulters": int((defaulters & fraud).sum()),
        "first_payment_defaults": int((after.default_index[booked] == 0).sum()),
        # defaulters whose default has no distress spell before it (sudden or fraud-driven)
        "no_warning_defaulters": int(
            (
                defaulters & world.outcomes["distress_spell_months"].is_null().to_numpy()[booked]
            ).sum()
        ),
        "missed_payment_first_3m": int(
            ((after.default_index[booked] >= 0) & (after.default_index[booked] < 3)).sum()
        ),
        "rules": f"{rules_doc.get('name')} v{rules_doc.get('version')}",
        "signal_set": SIGNAL_SET_VERSION,
        **ours,
        "dpd_recall_60d": base["recall_60d"],
        "dpd_median_lead_days": base["median_lead_days"],
        "dpd_false_alert_rate": base["false_alert_rate"],
        "dpd_alerts_per_100_loans_month": base["alerts_per_100_loans_month"],
        "recall_60d_before_90dpd": late["recall_60d"],
        "median_lead_days_before_90dpd": late["median_lead_days"],
        "dpd_recall_60d_before_90dpd": late_base["recall_60d"],
    }
    return Evaluation(figures, levels, booked)
