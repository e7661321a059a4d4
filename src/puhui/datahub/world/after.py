"""The world after the decision: the observable sources month by month through the outcome horizon.

``generate_world`` observes ``T`` months up to ``as_of`` and draws the 12-month default from the
latent health path ``h[i, T:T+H]`` (frame ``latent``). ``simulate_after(world)`` lets the same
enterprises go on living through those ``H`` months, driven by that same path, so post-loan
monitoring sees the deterioration that produces a default before the default month:

    sales       = level_i * season(k, m) * exp(sales_elasticity * (h - mu_i)) * LogNormal(0, sd)
                  level_i: the median over the last 12 filed months of sales / (season * exp(.))
    filed       ~ Bernoulli(sigmoid(a_f + b_f * h))            (params.filing_logit)
    headcount   = level_i * exp(headcount_elasticity * ema(h - mu_i)) * LogNormal(0, 0.02)
    housing fund: the observed contributor share of the headcount; paid ~ sigmoid(4.5 + 2 h)
    electricity = same month last year * exp(0.4 * (dev_t - dev_{t-12})) * LogNormal(0, 0.06)
    utilities paid on time ~ Bernoulli(sigmoid(4 + 2 h))
    tax grade   : re-graded each April on the past year's health and filings (as the generator);
                  D at once after three months without a return (非正常户) or a dishonest listing
    lawsuits    ~ Poisson(exp(a - b * h[t-3]) * size * industry)    (params.lawsuit_log_rate)
    enforcement : a pending lawsuit concludes and is enforced with P = sigmoid(-3 - 1.5 h)
    dishonest   : an unperformed enforcement is listed with P = sigmoid(-1.5 - 1.5 h) a month on
    abnormal    : monthly sigmoid(-5 - 1.4 h) / 12, four times that in July (annual reports)
    rep/holders : monthly 0.3 % / 0.4 %, plus 2 % / 1.5 % while h - mu < -1 (distress exits)
    bureau      : every open enterprise account continues its delinquency chain on h[t-2];
                  hard inquiries ~ Poisson(0.08 * size * exp(-0.7 h))
    our loan    : the default month (outcomes) is the end of a distress spell: the cash
                  runs out and the first instalment (due on the 20th) is never paid; the loan
                  is in default as the product defines it (90+ days past due, ``DEFAULT_DPD``)
                  90 days later -- at the earliest in the fourth month of a loan booked at the
                  decision; dpd at each month's end follows from it. Before it, a late payment left
                  open at the month's end with P = sigmoid(-6.5 - 1.5 h) (1-7 days), failed
                  auto-debits with P = sigmoid(-4.5 - 1.5 h), line utilisation
                  sigmoid(c_i - dev + noise), a third party repaying with P = sigmoid(-7.5 - h)

In a distress spell (``distress_path``) the health above falls and a cash strain s in [0, 1]
rises to the default; the liquidity channels (filed, housing fund and utilities paid, lawsuits,
the bureau, our loan's behaviour) read h - STRAIN_WEIGHT * s instead of h.

Fraud-driven defaults (shells, bursts, inflators) default early along no health decline, so
they give no warning: that is the honest floor of any early-warning recall; so do the sudden
health-driven defaults (``WorldParams.sudden_default_share``, no spell).

Everything draws from an independent child generator ``np.random.default_rng([seed, 14])``:
the pre-decision world (``generate_world``'s one generator) stays byte for byte what it was,
and the after-months are a pure function of the world. ``world_as_of(world, after, day)`` folds
the months up to ``day`` into a ``World`` whose sources answer as of that day: the sandbox
provider's ``as_of`` (``datahub/sandbox.py``) uses it for post-loan re-pulls.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

from puhui.datahub.world.context import F64, I64, last_observed_month, sigmoid
from puhui.datahub.world.model import World
from puhui.datahub.world.observe import _SEASON_AMPLITUDE
from puhui.datahub.world.vocab import SALES_SEASONALITY

STREAM = 14  # the child generator's key beside the world's seed (issue 14)
_SIZE_INDEX = {"micro": 0, "small": 1, "medium": 2, "large": 3}
_LAWSUIT_SIZE = np.array([0.6, 1.0, 2.0, 6.0])
_INQUIRY_SIZE = np.array([0.8, 1.0, 1.3, 1.8])
_GRADE_STEPS = (("D", -2.2), ("C", -1.2), ("B", 0.3))
DUE_DAY = 20  # instalments fall due on the 20th
DEFAULT_DPD = 90  # a default is 90+ days past due (the five-category 次级 line)
FALSE_SCARE_SHARE = 0.08  # non-defaulters living through a decline they recover from
STRAIN_WEIGHT = 2.5  # health units a full cash strain takes off the liquidity channels


@dataclass
class AfterWorld:
    """The ``H`` months after ``world.as_of``: dense ``(n, H)`` arrays by input name, the new
    dated events in the world's frame schemas, and the truth (default month index, -1 none)."""

    world: World
    months: list[date]
    dense: dict[str, npt.NDArray[Any]]
    judicial: pl.DataFrame
    registry_changes: pl.DataFrame
    abnormal_operations: pl.DataFrame
    bureau_inquiries: pl.DataFrame
    default_index: I64
    health: F64 = field(repr=False)  # (n, T + H)

    @property
    def horizon(self) -> int:
        return len(self.months)


# ----------------------------------------------------------------------------- shared arrays


def _month_index(world: World, months: pl.Series) -> I64:
    first = np.datetime64(world.first_month, "M").astype(np.int64)
    return months.to_numpy().astype("datetime64[M]").astype(np.int64) - first


def dense_panel(world: World, column: str, fill: Any = 0) -> npt.NDArray[Any]:
    panel = world.panel
    out = np.full((world.n_enterprises, world.months), fill, dtype=panel[column].to_numpy().dtype)
    rows = panel["enterprise_id"].to_numpy().astype(np.int64)
    out[rows, _month_index(world, panel["month"])] = panel[column].to_numpy()
    return out


def health_path(world: World) -> F64:
    """(n, T + H) latent health from the ``latent`` frame (months before establishment: the first
    known value)."""
    if world.latent.height == 0:
        raise ValueError("the world was generated without its latent path (keep_latent=False)")
    total = world.months + world.params.horizon_months
    out = np.full((world.n_enterprises, total), np.nan)
    rows = world.latent["enterprise_id"].to_numpy().astype(np.int64)
    out[rows, _month_index(world, world.latent["month"])] = world.latent["health"].to_numpy()
    first = np.argmax(~np.isnan(out), axis=1)
    fill = out[np.arange(len(out)), first]
    return np.where(np.isnan(out), fill[:, None], out)


def _season(world: World, calendar: I64) -> F64:
    sectors = world.enterprises["industry"].to_list()
    amp = np.array([_SEASON_AMPLITUDE.get(s, 1.0) for s in sectors])
    base = np.asarray(SALES_SEASONALITY)[calendar]
    return 1.0 + amp[:, None] * (base[None, :] - 1.0)


def _horizon_months(world: World) -> list[date]:
    last = last_observed_month(world.as_of)
    return [(last + 1 + k).astype("datetime64[D]").item()
            for k in range(world.params.horizon_months)]  # fmt: skip


def _default_index(world: World) -> I64:
    out = world.outcomes
    first = (last_observed_month(world.as_of) + 1).astype("datetime64[M]").astype(np.int64)
    months = out["default_month"].to_numpy().astype("datetime64[M]")
    idx = np.where(np.isnat(months), -1, months.astype(np.int64) - first)
    return np.where(out["default_12m"].to_numpy(), idx, -1).astype(np.int64)


# ----------------------------------------------------------------------------- the simulation


def simulate_after(world: World) -> AfterWorld:
    """The world's ``H`` months after ``as_of`` (deterministic per world; the world untouched)."""
    rng = np.random.default_rng([world.seed, STREAM])
    T = world.months
    default_index = _default_index(world)
    distress, strain = distress_path(world, rng, default_index)
    h = health_path(world)
    h[:, T:] -= distress
    mu = world.outcomes["quality"].to_numpy()
    dev = h - mu[:, None]
    # The liquidity channels (paying bills, taxes, contributions and debits on time; seeking
    # credit; drawing the line) read the health less the cash strain of a spell.
    h_liq = h.copy()
    h_liq[:, T:] -= STRAIN_WEIGHT * strain
    dev_liq = h_liq - mu[:, None]
    dense: dict[str, npt.NDArray[Any]] = {}
    _tax(world, rng, h_liq, dev, dense)
    _employment(world, rng, h_liq, dev, dense)
    _utilities(world, rng, h_liq, dev, dense)
    _tax_grades(world, h, dense)
    judicial = _judicial(world, rng, h_liq, dense)
    changes, abnormal = _registry(world, rng, h, dev, dense)
    inquiries = _bureau(world, rng, h_liq, dense)
    _behaviour(world, rng, h_liq, dev_liq, default_index, dense)
    dense["_distress"] = distress
    dense["_strain"] = strain
    return AfterWorld(world, _horizon_months(world), dense, judicial, changes, abnormal,
                      inquiries, default_index, h)  # fmt: skip


def distress_path(world: World, rng: np.random.Generator, default_index: I64) -> tuple[F64, F64]:
    """(n, H) business decline subtracted from the health the sources show after the decision,
    and (n, H) cash strain in [0, 1] (the liquidity channels read ``STRAIN_WEIGHT`` x it more).

    The world's default (``outcomes``) is the end of a distress spell of
    ``distress_spell_months`` (``WorldParams.distress_spell_min`` + Poisson): from its onset
    the business falls by ``U(1, 2.5)`` health units over the first half of the spell (a lost
    customer, a collapsed order book, a debtor's default) and the cash strain rises month by
    month to 1 at the default month, when the cash is gone and the instalment is never paid.
    Sudden defaults (``sudden_default_share``, no spell) and fraud-driven defaults have neither:
    they give no warning. Firms that do not default live through the same kind of decline and
    recover (``FALSE_SCARE_SHARE`` of them, starting anywhere in the horizon, ``U(0.7, 2)``
    deep, with a cash strain of at most ``U(0, 0.6)``: they had the buffer to ride it out) --
    the noise a warning must live with, beside the health path's own ups and downs.
    """
    n, H = world.n_enterprises, world.params.horizon_months
    spell = world.outcomes["distress_spell_months"].fill_null(0).to_numpy().astype(np.int64)
    depth = rng.uniform(1.0, 2.5, size=n)
    scare = rng.random(n) < FALSE_SCARE_SHARE
    scare_start = rng.integers(0, H, size=n)
    scare_len = 2 + rng.poisson(3.0, size=n)
    scare_depth = rng.uniform(0.7, 2.0, size=n)
    scare_strain = rng.uniform(0.0, 0.6, size=n)
    k = np.arange(H)[None, :]
    in_spell = (default_index >= 0) & (spell > 0)
    onset = (default_index - spell)[:, None]
    into = (k - onset + 1).astype(np.float64)  # 1 in the onset month
    half = np.maximum(np.ceil(spell / 2.0), 1.0)[:, None]
    ramp = depth[:, None] * np.clip(into / half, 0.0, 1.0)
    cash = np.clip(into / np.maximum(spell, 1)[:, None], 0.0, 1.0)
    since = k - scare_start[:, None]
    down = np.clip(since / scare_len[:, None], 0.0, 1.0)
    up = np.clip((since - scare_len[:, None]) / scare_len[:, None], 0.0, 1.0)
    episode = np.where(since < 0, 0.0, down - up)
    scared = ((default_index < 0) & scare)[:, None]
    decline = np.where(in_spell[:, None], ramp, np.where(scared, scare_depth[:, None] * episode, 0))
    strain = np.where(in_spell[:, None], cash, np.where(scared, scare_strain[:, None] * episode, 0))
    return decline, strain


def _tax(world: World, rng: np.random.Generator, h: F64, dev: F64, out: dict[str, Any]) -> None:
    T, H, n = world.months, world.params.horizon_months, world.n_enterprises
    month0 = np.datetime64(world.first_month, "M")
    calendar = ((month0 + np.arange(T + H)).astype(np.int64) % 12).astype(np.int64)
    season = _season(world, calendar)
    el = world.params.sales_elasticity
    sales = dense_panel(world, "invoiced_sales_fen").astype(np.float64)
    filed = dense_panel(world, "filed", False)
    last = slice(T - 12, T)
    ratio = sales[:, last] / (season[:, last] * np.exp(el * dev[:, last]))
    ratio = np.where(filed[:, last] & (sales[:, last] > 0), ratio, np.nan)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # firms that never filed: level 0
        level = np.nan_to_num(np.nanmedian(ratio, axis=1), nan=0.0)
        vat_rate = np.nan_to_num(
            dense_panel(world, "vat_paid_fen")[:, last].sum(axis=1) / sales[:, last].sum(axis=1)
        )
    shells = (world.outcomes["fraud_type"] == "shell_company").fill_null(False).to_numpy()
    sd = np.where(shells, 0.7, world.params.invoice_noise_sd)[:, None]
    future = slice(T, T + H)
    noise = np.exp(rng.normal(-0.5 * sd * sd, sd, size=(n, H)))
    invoiced = level[:, None] * season[:, future] * np.exp(el * dev[:, future]) * noise
    a_f, b_f = world.params.filing_logit
    filed_after = rng.random((n, H)) < sigmoid(a_f + b_f * h[:, future])
    out["filed"] = filed_after
    out["invoiced_sales_fen"] = np.where(filed_after, np.rint(invoiced), 0).astype(np.int64)
    out["vat_paid_fen"] = np.rint(out["invoiced_sales_fen"] * vat_rate[:, None]).astype(np.int64)


def _ema(dev: F64, alpha: float) -> F64:
    out = np.empty_like(dev)
    prev = dev[:, 0]
    for t in range(dev.shape[1]):
        prev = (1.0 - alpha) * prev + alpha * dev[:, t]
        out[:, t] = prev
    return out


def _employment(
    world: World, rng: np.random.Generator, h: F64, dev: F64, out: dict[str, Any]
) -> None:
    T, H, n = world.months, world.params.horizon_months, world.n_enterprises
    p = world.params
    ema = _ema(dev, p.headcount_smoothing)
    insured = dense_panel(world, "headcount").astype(np.float64)
    recent = slice(T - 6, T)
    level = np.median(insured[:, recent] / np.exp(p.headcount_elasticity * ema[:, recent]), axis=1)
    future = slice(T, T + H)
    staff = level[:, None] * np.exp(p.headcount_elasticity * ema[:, future])
    staff *= np.exp(rng.normal(0.0, 0.02, size=(n, H)))
    headcount = np.rint(staff).astype(np.int32)
    contributors = dense_panel(world, "housing_fund_contributors")[:, T - 12 :]
    has_hf = contributors.sum(axis=1) > 0
    share = contributors.sum(axis=1) / np.maximum(insured[:, T - 12 :].sum(axis=1), 1.0)
    hf_people = np.where(has_hf[:, None], np.rint(headcount * share[:, None]), 0)
    hf_people = np.where(has_hf[:, None] & (headcount >= 1), np.maximum(hf_people, 1), 0)
    ent = world.enterprises
    per_person = (ent["housing_fund_base_fen"].to_numpy() * ent["housing_fund_rate_bp"].to_numpy()
                  * 2 // 10_000)  # fmt: skip
    paid = rng.random((n, H)) < sigmoid(4.5 + 2.0 * h[:, future])
    out["headcount"] = headcount
    out["housing_fund_contributors"] = hf_people.astype(np.int32)
    out["housing_fund_amount_fen"] = np.where(paid, hf_people * per_person[:, None], 0).astype(
        np.int64
    )
    out["housing_fund_account"] = np.repeat(has_hf[:, None], H, axis=1)


def _utilities(
    world: World, rng: np.random.Generator, h: F64, dev: F64, out: dict[str, Any]
) -> None:
    T, H, n = world.months, world.params.horizon_months, world.n_enterprises
    kwh = np.concatenate([dense_panel(world, "electricity_kwh").astype(np.float64),
                          np.zeros((n, H))], axis=1)  # fmt: skip
    water = np.concatenate([dense_panel(world, "water_m3").astype(np.float64),
                            np.zeros((n, H))], axis=1)  # fmt: skip
    for t in range(T, T + H):
        change = dev[:, t] - dev[:, t - 12]
        kwh[:, t] = kwh[:, t - 12] * np.exp(0.4 * change + rng.normal(0.0, 0.06, size=n))
        water[:, t] = water[:, t - 12] * np.exp(0.3 * change + rng.normal(0.0, 0.08, size=n))
    out["electricity_kwh"] = np.rint(kwh[:, T:]).astype(np.int64)
    out["water_m3"] = np.rint(water[:, T:]).astype(np.int64)
    out["utilities_paid_on_time"] = rng.random((n, H)) < sigmoid(4.0 + 2.0 * h[:, T:])


def _tax_grades(world: World, h: F64, out: dict[str, Any]) -> None:
    """The grade known in each after-month: April re-grades on the past calendar year."""
    T, H = world.months, world.params.horizon_months
    n = world.n_enterprises
    grade = world.enterprises["tax_credit_grade"].to_numpy().astype(object)
    months = _horizon_months(world)
    filed_all = np.concatenate([dense_panel(world, "filed", False), out["filed"]], axis=1)
    grades = np.empty((n, H), dtype=object)
    run = np.zeros(n, dtype=np.int64)
    for k, month in enumerate(months):
        if month.month == 4:
            cols = np.arange(T + k - 15, T + k - 3)  # January..December of the past year
            rate = filed_all[:, cols].mean(axis=1)
            score = h[:, cols].mean(axis=1) + 1.5 * (rate - 1.0)
            new = np.full(n, "A", dtype=object)
            for letter, below in reversed(_GRADE_STEPS):
                new = np.where(score < below, letter, new)
            grade = np.where(grade == "M", "M", new)
        run = np.where(out["filed"][:, k], 0, run + 1)
        grade = np.where(run >= 3, "D", grade)
        grades[:, k] = grade
    out["tax_grade"] = grades


def _month_date(world: World, index: I64, day: I64) -> npt.NDArray[np.datetime64]:
    month0 = np.datetime64(world.first_month, "M")
    return (month0 + index).astype("datetime64[D]") + day.astype("timedelta64[D]")


def _events_frame(world: World, rows: dict[str, Any]) -> pl.DataFrame:
    """New judicial rows in the world's schema (``event_id`` continues the world's)."""
    k = len(rows["enterprise_id"])
    ent = world.enterprises
    eid = rows["enterprise_id"]
    region = ent["region_code"].to_numpy()[eid]
    court = (ent["region_name"].to_numpy().astype(object)[eid] + "人民法院").astype(str)
    year = rows["filed_date"].astype("datetime64[Y]").astype(np.int64) + 1970
    base = world.judicial.height
    triples = zip(year, region, rows["code"], strict=True)
    case = [
        f"({y}){r % 10000:04d}{kind}{80_000 + base + i}号" for i, (y, r, kind) in enumerate(triples)
    ]
    frame = pl.DataFrame(
        {
            "event_id": pl.Series(np.arange(base, base + k), dtype=pl.Int32),
            "enterprise_id": pl.Series(eid, dtype=pl.Int32),
            "kind": pl.Series(rows["kind"], dtype=pl.String),
            "role": pl.Series(rows["role"], dtype=pl.String),
            "case_number": pl.Series(case, dtype=pl.String),
            "court": pl.Series(court, dtype=pl.String),
            "cause": pl.Series(rows["cause"], dtype=pl.String),
            "filed_date": pl.Series(rows["filed_date"], dtype=pl.Date),
            "amount_fen": pl.Series(rows["amount_fen"], dtype=pl.Int64),
            "status": pl.Series(rows["status"], dtype=pl.String),
            "concluded_date": pl.Series(np.full(k, np.datetime64("NaT"), "datetime64[D]"),
                                        dtype=pl.Date),
            "related_case_number": pl.Series([None] * k, dtype=pl.String),
        }
    )  # fmt: skip
    return frame.select(world.judicial.columns).cast(world.judicial.schema)


def _judicial(world: World, rng: np.random.Generator, h: F64, out: dict[str, Any]) -> pl.DataFrame:
    T, H, n = world.months, world.params.horizon_months, world.n_enterprises
    ent = world.enterprises
    size = np.array([_SIZE_INDEX[s] for s in ent["size_class"].to_list()])
    industry = ent["industry"].to_numpy()
    factor = _LAWSUIT_SIZE[size] * np.where(industry == "E", 2.0, np.where(industry == "F", 1.2, 1))
    a, b = world.params.lawsuit_log_rate
    counts = rng.poisson(np.exp(a - b * h[:, T - 3 : T + H - 3]) * factor[:, None])
    firm_l, k_l = np.nonzero(counts)
    reps = counts[firm_l, k_l]
    firm_l, month_l = np.repeat(firm_l, reps), T + np.repeat(k_l, reps)
    # Pending defendant lawsuits (before and after the decision) conclude; some are enforced.
    old = world.judicial.filter(
        (pl.col("kind") == "lawsuit")
        & (pl.col("role") == "defendant")
        & (pl.col("status") == "pending")
    )
    old_firm = old["enterprise_id"].to_numpy().astype(np.int64)
    old_month = _month_index(world, old["filed_date"])
    p_firm = np.concatenate([old_firm, firm_l])
    concluded = np.concatenate([old_month, month_l]) + 3 + rng.poisson(4.0, size=len(p_firm))
    concluded = np.maximum(concluded, T)
    enf_month = concluded + rng.integers(1, 4, size=len(p_firm))
    in_h = enf_month < T + H
    p_enf = sigmoid(-3.0 - 1.5 * h[p_firm, np.minimum(concluded, T + H - 1)])
    enforced = in_h & (rng.random(len(p_firm)) < p_enf)
    firm_e, month_e = p_firm[enforced], enf_month[enforced]
    # Unperformed enforcement cases (old pending and new) list the firm as a dishonest debtor.
    old_e = world.judicial.filter(
        (pl.col("kind") == "enforcement") & (pl.col("status") == "pending")
    )
    e_firm = np.concatenate([old_e["enterprise_id"].to_numpy().astype(np.int64), firm_e])
    e_month = np.concatenate([_month_index(world, old_e["filed_date"]), month_e])
    list_month = np.maximum(e_month + rng.integers(2, 6, size=len(e_firm)), T)
    p_dis = sigmoid(-1.5 - 1.5 * h[e_firm, np.minimum(list_month, T + H - 1)])
    listed = (list_month < T + H) & (rng.random(len(e_firm)) < p_dis)
    already = np.zeros(n, bool)
    already[
        world.judicial.filter(pl.col("kind") == "dishonest_debtor")["enterprise_id"].to_numpy()
    ] = True
    listed &= ~already[e_firm]
    firm_d, month_d = e_firm[listed], list_month[listed]
    for name, firms, months in (
        ("lawsuits_new", firm_l, month_l),
        ("enforcements_new", firm_e, month_e),
        ("dishonest_new", firm_d, month_d),
    ):
        grid = np.zeros((n, H), dtype=np.int64)
        np.add.at(grid, (firms, months - T), 1)
        out[name] = grid
    listed_now = np.cumsum(out["dishonest_new"], axis=1) > 0
    out["tax_grade"] = np.where(listed_now, "D", out["tax_grade"])
    return _judicial_rows(world, rng, (firm_l, month_l), (firm_e, month_e), (firm_d, month_d))


def _judicial_rows(
    world: World, rng: np.random.Generator, *groups: tuple[I64, I64]
) -> pl.DataFrame:
    kinds = (
        ("lawsuit", "defendant", "民初", "买卖合同纠纷"),
        ("enforcement", "respondent", "执", "买卖合同纠纷"),
        ("dishonest_debtor", "respondent", "执", "有履行能力而拒不履行生效法律文书确定义务"),
    )
    declared = world.enterprises["declared_annual_revenue_fen"].to_numpy().astype(np.float64)
    cols: dict[str, list[Any]] = {
        k: []
        for k in (
            "enterprise_id",
            "kind",
            "role",
            "code",
            "cause",
            "filed_date",
            "amount_fen",
            "status",
        )
    }
    for (firms, months), (kind, role, code, cause) in zip(groups, kinds, strict=True):
        k = len(firms)
        cols["enterprise_id"].append(firms)
        cols["kind"].append(np.full(k, kind))
        cols["role"].append(np.full(k, role))
        cols["code"].append(np.full(k, code))
        cols["cause"].append(np.full(k, cause))
        cols["filed_date"].append(_month_date(world, months, rng.integers(0, 28, size=k)))
        scale = declared[firms] * np.exp(rng.normal(np.log(0.02), 0.9, size=k))
        cols["amount_fen"].append(np.maximum(np.rint(scale / 100) * 100, 500_000).astype(np.int64))
        cols["status"].append(
            np.full(k, "unperformed" if kind == "dishonest_debtor" else "pending")
        )
    rows = {name: np.concatenate(parts) for name, parts in cols.items()}
    rows["enterprise_id"] = rows["enterprise_id"].astype(np.int64)
    rows["filed_date"] = rows["filed_date"].astype("datetime64[D]")
    frame = _events_frame(world, rows)
    return frame.sort(["enterprise_id", "filed_date", "kind", "case_number"], maintain_order=True)


def _registry(
    world: World, rng: np.random.Generator, h: F64, dev: F64, out: dict[str, Any]
) -> tuple[pl.DataFrame, pl.DataFrame]:
    T, H, n = world.months, world.params.horizon_months, world.n_enterprises
    future = slice(T, T + H)
    distress = dev[:, future] < -1.0
    rep = rng.random((n, H)) < 0.003 + np.where(distress, 0.02, 0.0)
    holders = rng.random((n, H)) < 0.004 + np.where(distress, 0.015, 0.0)
    calendar = np.array([m.month for m in _horizon_months(world)])
    p_ab = sigmoid(-5.0 - 1.4 * h[:, future]) / 12.0 * np.where(calendar == 7, 4.0, 1.0)
    listed_before = np.zeros(n, bool)
    ab = world.abnormal_operations.filter(pl.col("removed_date").is_null())
    listed_before[ab["enterprise_id"].to_numpy()] = True
    abnormal = (rng.random((n, H)) < p_ab) & ~listed_before[:, None]
    abnormal &= np.cumsum(abnormal, axis=1) == 1  # listed once; stays listed
    out["legal_rep_changes_new"] = rep.astype(np.int64)
    out["shareholder_changes_new"] = holders.astype(np.int64)
    out["abnormal_new"] = abnormal.astype(np.int64)
    names = world.people["name"].to_numpy().astype(object)
    parts = []
    for item, grid in (("legal_representative", rep), ("shareholder", holders)):
        firms, k = np.nonzero(grid)
        day = rng.integers(0, 28, size=len(firms))
        parts.append(pl.DataFrame({
            "enterprise_id": pl.Series(firms, dtype=pl.Int32),
            "change_date": pl.Series(_month_date(world, T + k, day), dtype=pl.Date),
            "item": np.full(len(firms), item),
            "before": pl.Series(names[rng.integers(0, len(names), len(firms))], dtype=pl.String),
            "after": pl.Series(names[rng.integers(0, len(names), len(firms))], dtype=pl.String),
        }))  # fmt: skip
    changes = pl.concat(parts).cast(world.registry_changes.schema)
    changes = changes.sort(["enterprise_id", "change_date", "item"], maintain_order=True)
    firms, k = np.nonzero(abnormal)
    region = world.enterprises["region_name"].to_numpy().astype(object)[firms]
    listings = pl.DataFrame({
        "enterprise_id": pl.Series(firms, dtype=pl.Int32),
        "listed_date": pl.Series(_month_date(world, T + k, rng.integers(0, 28, len(firms))),
                                 dtype=pl.Date),
        "reason": np.where(calendar[k] == 7, "未按照规定期限公示年度报告",
                           "通过登记的住所或者经营场所无法联系"),
        "listing_authority": pl.Series(region + "市场监督管理局", dtype=pl.String),
        "removed_date": pl.Series([None] * len(firms), dtype=pl.Date),
    })  # fmt: skip
    return changes, listings.cast(world.abnormal_operations.schema)


def _bureau(world: World, rng: np.random.Generator, h: F64, out: dict[str, Any]) -> pl.DataFrame:
    """Open enterprise accounts go on through their delinquency chain; new hard inquiries."""
    T, H, n = world.months, world.params.horizon_months, world.n_enterprises
    acc = world.bureau_accounts.filter(
        (pl.col("subject_kind") == "enterprise") & (pl.col("account_status") != "closed")
    )
    firm = acc["subject_id"].to_numpy().astype(np.int64)
    d = acc["overdue_periods"].to_numpy().astype(np.int64)
    a_in, b_in = world.params.overdue_entry_logit
    a_cure, b_cure = world.params.overdue_cure_logit
    overdue = np.zeros((n, H), dtype=np.int64)
    periods = np.zeros((len(firm), H), dtype=np.int64)
    for k in range(H):
        hh = h[firm, T + k - 2]
        u = rng.random(len(firm))
        enter = (d == 0) & (u < sigmoid(a_in - b_in * hh))
        cure = (d > 0) & (u < sigmoid(a_cure + b_cure * hh))
        d = np.where(enter, 1, np.where(cure, 0, np.where(d > 0, np.minimum(d + 1, 7), 0)))
        periods[:, k] = d
        np.add.at(overdue[:, k], firm, (d > 0).astype(np.int64))
    out["bureau_overdue_accounts"] = overdue
    out["_account_periods"] = periods  # by open enterprise account, for world_as_of
    size = np.array([_SIZE_INDEX[s] for s in world.enterprises["size_class"].to_list()])
    lam = 0.08 * _INQUIRY_SIZE[size][:, None] * np.exp(-0.7 * h[:, T : T + H])
    counts = rng.poisson(lam)
    out["bureau_inquiries"] = counts
    firms, when = np.nonzero(counts)
    reps = counts[firms, when]
    firms, when = np.repeat(firms, reps), np.repeat(when, reps)
    lenders = world.bureau_accounts["lender"].unique(maintain_order=True).to_numpy()
    return pl.DataFrame({
        "subject_kind": np.full(len(firms), "enterprise"),
        "subject_id": pl.Series(firms, dtype=pl.Int32),
        "inquiry_date": pl.Series(_month_date(world, T + when, rng.integers(0, 28, len(firms))),
                                  dtype=pl.Date),
        "institution": lenders[rng.integers(0, len(lenders), size=len(firms))],
        "reason": np.where(rng.random(len(firms)) < 0.9, "loan_approval", "guarantee_review"),
    }).cast(world.bureau_inquiries.schema)  # fmt: skip


def _behaviour(
    world: World, rng: np.random.Generator, h: F64, dev: F64, default_index: I64,
    out: dict[str, Any],
) -> None:  # fmt: skip
    """Our own loan, drawn at the decision: dpd, failed debits, utilisation, third parties."""
    T, H, n = world.months, world.params.horizon_months, world.n_enterprises
    future = slice(T, T + H)
    k = np.arange(H)[None, :]
    months = _horizon_months(world)
    month_end = np.array([(_month_end(m) - m).days + 1 for m in months])
    defaulted = (default_index[:, None] >= 0) & (k >= default_index[:, None])
    days_in = np.cumsum(np.concatenate([[0], month_end[:-1]]))  # day offset of each month start
    start = days_in[np.maximum(default_index, 0)] + DUE_DAY - 1
    dpd_default = np.where(defaulted, (days_in + month_end)[None, :] - start[:, None], 0)
    late = rng.random((n, H)) < sigmoid(-6.5 - 1.5 * h[:, future])
    dpd_late = np.where(late, rng.integers(1, 8, size=(n, H)), 0)
    out["dpd"] = np.where(defaulted, dpd_default, dpd_late).astype(np.int64)
    p_fail = sigmoid(-4.5 - 1.5 * h[:, future])
    fails = (rng.random((n, H)) < p_fail).astype(np.int64) * rng.integers(1, 3, size=(n, H))
    out["failed_auto_debits"] = np.where(defaulted, 2, fails)
    c = rng.normal(-0.3, 0.8, size=n)
    util = sigmoid(c[:, None] - dev[:, future] + rng.normal(0.0, 0.3, size=(n, H)))
    util = np.where(defaulted, np.maximum.accumulate(util, axis=1), util)
    out["utilisation"] = np.round(util, 4)
    third = rng.random((n, H)) < sigmoid(-7.5 - h[:, future])
    out["third_party_repayment"] = third & ~defaulted


def _month_end(month: date) -> date:
    nxt = date(month.year + (month.month == 12), month.month % 12 + 1, 1)
    return nxt - timedelta(days=1)


# ----------------------------------------------------------------------------- as of a day

_PANEL_FROM_DENSE = (
    "invoiced_sales_fen", "vat_paid_fen", "filed", "headcount", "housing_fund_contributors",
    "housing_fund_amount_fen", "electricity_kwh", "water_m3", "utilities_paid_on_time",
)  # fmt: skip


def months_seen(world: World, day: date) -> int:
    """How many after-months are complete on ``day`` (0 .. H)."""
    gap = int((last_observed_month(day) - last_observed_month(world.as_of)).astype(np.int64))
    return max(0, min(gap, world.params.horizon_months))


def world_as_of(world: World, after: AfterWorld, day: date) -> World:
    """The world as its sources read on ``day`` (on or after ``world.as_of``): the panel extended
    by the complete after-months, the dated events up to ``day``, the bureau accounts moved on,
    the tax grade of that month. Outcomes and the latent path are the same truth."""
    if day < world.as_of:
        raise ValueError("as_of a day before the world's own as_of: use the world itself")
    k = months_seen(world, day)
    end = np.datetime64(day, "D")
    panel = world.panel
    if k:
        n = world.n_enterprises
        months = np.array(after.months[:k], dtype="datetime64[D]")
        extra = {"enterprise_id": pl.Series(np.repeat(np.arange(n), k), dtype=pl.Int32),
                 "month": pl.Series(np.tile(months, n), dtype=pl.Date)}  # fmt: skip
        for name in _PANEL_FROM_DENSE:
            extra[name] = pl.Series(after.dense[name][:, :k].ravel())
        panel = pl.concat([panel, pl.DataFrame(extra).cast(panel.schema)])
        panel = panel.sort(["enterprise_id", "month"], maintain_order=True)

    def upto(name: str, column: str, by: list[str], **sort: Any) -> pl.DataFrame:
        new = getattr(after, name).filter(pl.col(column) <= end)
        return pl.concat([getattr(world, name), new]).sort(by, maintain_order=True, **sort)

    return replace(
        world,
        months=world.months + k,
        as_of=day,
        enterprises=_enterprises_as_of(world, after, k),
        panel=panel,
        judicial=upto("judicial", "filed_date", ["enterprise_id", "filed_date", "kind",
                                                  "case_number"]),
        registry_changes=upto("registry_changes", "change_date",
                              ["enterprise_id", "change_date", "item"]),
        abnormal_operations=upto("abnormal_operations", "listed_date",
                                 ["enterprise_id", "listed_date"]),
        bureau_accounts=_accounts_as_of(world, after, k),
        bureau_inquiries=upto("bureau_inquiries", "inquiry_date",
                              ["subject_kind", "subject_id", "inquiry_date", "institution"],
                              descending=[False, False, True, False]),
        _fingerprint=None,
    )  # fmt: skip


def _enterprises_as_of(world: World, after: AfterWorld, k: int) -> pl.DataFrame:
    if k == 0:
        return world.enterprises
    regraded = any(m.month == 4 for m in after.months[:k])
    year = world.enterprises["tax_credit_grade_year"] + (1 if regraded else 0)
    return world.enterprises.with_columns(
        pl.Series("tax_credit_grade", after.dense["tax_grade"][:, k - 1].astype(str)),
        year.alias("tax_credit_grade_year"),
    )


def _accounts_as_of(world: World, after: AfterWorld, k: int) -> pl.DataFrame:
    """Open enterprise accounts with ``k`` more months on their 24-month record."""
    accounts = world.bureau_accounts
    if k == 0:
        return accounts
    is_open = (pl.col("subject_kind") == "enterprise") & (pl.col("account_status") != "closed")
    open_rows = np.flatnonzero(accounts.select(is_open).to_series().to_numpy())
    periods = after.dense["_account_periods"][:, :k]
    chars = np.frombuffer(b"N1234567", dtype=np.uint8)[np.minimum(periods, 7)]
    tail = chars.view(f"S{k}").ravel().astype(f"U{k}")
    records = accounts["repayment_status_24m"].to_numpy().astype(object)
    records[open_rows] = [old[k:] + new for old, new in zip(records[open_rows], tail, strict=True)]
    d = periods[:, -1]
    overdue_now = accounts["overdue_periods"].to_numpy().astype(np.int64)
    overdue_now[open_rows] = d
    max24 = np.array([max((int(c) for c in r if c.isdigit()), default=0) for r in records])
    outstanding = accounts["outstanding_fen"].to_numpy()
    amount = accounts["overdue_amount_fen"].to_numpy().copy()
    owed = outstanding[open_rows]
    amount[open_rows] = np.where(d > 0, np.minimum(owed, owed // 12 * d), 0)
    status = accounts["account_status"].to_numpy().astype(object)
    status[open_rows] = np.where(d > 0, "overdue", "normal")
    return accounts.with_columns(
        pl.Series("repayment_status_24m", records.astype(str)),
        pl.Series("overdue_periods", overdue_now).cast(accounts["overdue_periods"].dtype),
        pl.Series("max_overdue_periods_24m", max24).cast(accounts["max_overdue_periods_24m"].dtype),
        pl.Series("overdue_amount_fen", amount).cast(pl.Int64),
        pl.Series("account_status", status.astype(str)),
    )
