"""WorldParams: every knob of the synthetic SME world, with documented defaults.

docs/synthetic-world.md explains the equations each parameter enters.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

from puhui.datahub.world.vocab import INDUSTRIES


def _default_industry_mix() -> dict[str, float]:
    return {ind.section: ind.share for ind in INDUSTRIES}


class WorldParams(BaseModel):
    """Parameters of the generative model. Immutable; change with ``model_copy(update=...)``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    # --- population -------------------------------------------------------------------
    industry_mix: dict[str, float] = Field(default_factory=_default_industry_mix)
    size_mix: dict[str, float] = Field(
        default_factory=lambda: {"micro": 0.70, "small": 0.24, "medium": 0.06}
    )
    core_share: float = Field(0.002, ge=0, le=0.05, description="share of core enterprises")
    tier1_share: float = Field(0.06, ge=0, le=0.5, description="SMEs that supply a core firm")
    tier2_share: float = Field(0.04, ge=0, le=0.5, description="SMEs that supply a tier-1 firm")
    dealer_share: float = Field(0.05, ge=0, le=0.5, description="wholesale/retail SMEs as dealers")
    group_share: float = Field(
        0.04, ge=0, le=0.3, description="SMEs whose controller also controls another SME"
    )
    horizon_months: int = Field(12, ge=1, le=24, description="outcome window after as_of")

    # --- latent health process -------------------------------------------------------
    quality_sd: float = Field(0.45, gt=0, description="sd of the firm quality mu_i")
    ar_phi: float = Field(0.85, ge=0, lt=1, description="AR(1) persistence of x_it")
    ar_sd: float = Field(0.2, gt=0, description="innovation sd of x_it")
    cycle_phi: float = Field(0.9, ge=0, lt=1, description="AR(1) persistence of industry cycles")
    cycle_sd: float = Field(0.05, ge=0, description="innovation sd of industry cycles")
    chain_loading_tier1: float = Field(0.5, ge=0, le=1.5, description="core distress pass-through")
    chain_loading_tier2: float = Field(0.25, ge=0, le=1.5)
    group_loading: float = Field(0.5, ge=0, le=1.5, description="shared shock of SME groups")
    deterioration_hazard: float = Field(
        0.0030, ge=0, le=0.2, description="base monthly hazard of entering deterioration"
    )
    deterioration_quality_slope: float = Field(
        1.2, ge=0, description="hazard multiplier exp(-slope * mu_i)"
    )
    deterioration_speed: tuple[float, float] = Field(
        (0.06, 0.2), description="uniform range of the monthly health decline delta_i"
    )
    deterioration_max_depth: float = Field(3.5, gt=0, description="cap of the cumulative decline")
    deterioration_mean_months: float = Field(
        20.0, gt=0, description="mean length of a deterioration before recovery starts"
    )

    # --- observation model -------------------------------------------------------------
    sales_elasticity: float = Field(0.55, gt=0, description="d log sales / d health")
    growth_sd: float = Field(0.12, ge=0, description="sd of annual organic growth (log)")
    invoice_noise_sd: float = Field(0.10, ge=0, description="month noise of invoiced sales")
    headcount_elasticity: float = Field(0.35, ge=0)
    headcount_smoothing: float = Field(0.25, gt=0, le=1, description="EMA weight of health")
    electricity_noise_sd_manufacturing: float = Field(0.06, ge=0)
    electricity_noise_sd_other: float = Field(0.14, ge=0)
    filing_logit: tuple[float, float] = Field(
        (5.5, 1.6), description="P(filed) = sigmoid(a + b * h)"
    )
    overdue_entry_logit: tuple[float, float] = Field(
        (-6.0, 1.6), description="P(0 -> 1 month overdue) = sigmoid(a - b * h_{t-2})"
    )
    overdue_cure_logit: tuple[float, float] = Field(
        (0.3, 1.5), description="P(cure | overdue) = sigmoid(a + b * h_{t-2})"
    )
    lawsuit_log_rate: tuple[float, float] = Field(
        (-6.2, 1.1), description="monthly rate exp(a - b * h_{t-3}) x size factor"
    )

    # --- outcome -----------------------------------------------------------------------
    default_logit: tuple[float, float] = Field(
        (-8.1, 0.8), description="monthly default hazard sigmoid(a - b * h_t) in the horizon"
    )

    # --- the default as the end of a distress spell (issue 14: what monitoring can see) ----
    distress_spell_min: int = Field(
        4, ge=0, le=24, description="shortest distress spell (months from onset to the default)"
    )
    distress_spell_mean_extra: float = Field(
        2.0, ge=0, description="spell length = distress_spell_min + Poisson(this)"
    )
    sudden_default_share: float = Field(
        0.15, ge=0, le=1, description="health-driven defaults with no spell (no warning)"
    )

    # --- non-additive outcome (issue 22, item 4; docs/synthetic-world.md "What a better
    # model can find"): all of it acts through the monthly hazard sigmoid(a - b * h) or
    # through the health path itself, so defaults stay foreshadowed by health. ---------
    hazard_size_slope: tuple[float, float, float] = Field(
        (1.35, 1.0, 0.7), description="b multiplier by size (micro, small, medium): thin buffers"
    )
    leverage_sd: float = Field(0.8, ge=0, description="sd of log debt appetite (bureau loans)")
    hazard_leverage: tuple[float, float, float] = Field(
        (1.0, -0.5, -1.0),
        description="hazard logit per unit log leverage by size (micro, small, medium)",
    )
    hazard_capital: tuple[float, float] = Field(
        (2.5, 1.0),
        description="hazard logit per log of registered capital above the size-class median: "
        "(+ for young firms, - for established ones)",
    )
    hazard_capital_young_months: int = Field(36, ge=0)
    hazard_young_months: int = Field(30, ge=0, description="firms younger than this are young")
    hazard_young_slope: float = Field(
        1.5, gt=0, description="b multiplier of young firms (no track record to fall back on)"
    )
    hazard_cliff: tuple[float, float, float] = Field(
        (-1.3, 0.6, 0.15),
        description="(h*, jump, width): + jump * sigmoid((h* - h) / width), a liquidity cliff",
    )
    hazard_season_squeeze: float = Field(
        3.0, ge=0, description="off-season logit add-on of seasonal industries with weak health"
    )
    regime_shift_month: int = Field(
        4, description="months after the last observed month when the regime shift starts"
    )
    regime_shift_depth: float = Field(0.5, ge=0, description="health lost by shifted sections")
    regime_shift_sections: tuple[str, ...] = Field(
        ("E", "G"), description="industry sections hit by the regime shift"
    )
    shock_monthly_rate: float = Field(
        0.0012, ge=0, le=0.1, description="monthly rate of a rare, strong idiosyncratic shock"
    )
    shock_depth: tuple[float, float] = Field((1.2, 2.6), description="uniform shock depth range")
    shock_persistence: float = Field(0.93, ge=0, lt=1, description="monthly decay of a shock")
    core_shock_multiplier: float = Field(
        12.0, ge=0, description="core enterprises' shock rate multiple (passes down the chain)"
    )

    # --- fraud -------------------------------------------------------------------------
    revenue_inflation_rate: float = Field(0.010, ge=0, le=0.2)
    revenue_inflation_factor: tuple[float, float] = Field((1.8, 4.0))
    shell_rate: float = Field(0.005, ge=0, le=0.1, description="share of shell companies")
    burst_rate: float = Field(0.005, ge=0, le=0.1, description="share of firms in burst rings")
    shell_default_probability: float = Field(0.6, ge=0, le=1)
    burst_default_probability: float = Field(0.3, ge=0, le=1)
    inflation_extra_default_probability: float = Field(0.12, ge=0, le=1)

    # --- storage -----------------------------------------------------------------------
    keep_latent: bool = Field(True, description="keep the monthly health path (truth) frame")

    @model_validator(mode="after")
    def _check_mixes(self) -> WorldParams:
        known = {ind.section for ind in INDUSTRIES}
        unknown = set(self.industry_mix) - known
        if unknown:
            raise ValueError(f"unknown industry sections: {sorted(unknown)}")
        if set(self.size_mix) - {"micro", "small", "medium"}:
            raise ValueError("size_mix keys must be micro, small, medium")
        for name, mix in (("industry_mix", self.industry_mix), ("size_mix", self.size_mix)):
            if any(v < 0 for v in mix.values()) or sum(mix.values()) <= 0:
                raise ValueError(f"{name} needs non-negative weights with a positive sum")
        lo, hi = self.deterioration_speed
        if not 0 < lo <= hi:
            raise ValueError("deterioration_speed must be 0 < low <= high")
        unknown = set(self.regime_shift_sections) - known
        if unknown:
            raise ValueError(f"unknown regime_shift_sections: {sorted(unknown)}")
        lo, hi = self.shock_depth
        if not 0 <= lo <= hi:
            raise ValueError("shock_depth must be 0 <= low <= high")
        lo, hi = self.revenue_inflation_factor
        if not 1 < lo <= hi:
            raise ValueError("revenue_inflation_factor must be 1 < low <= high")
        return self
