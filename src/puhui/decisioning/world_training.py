"""Training the SME scorecard on the synthetic world, with the decision's own feature function.

It lives in decisioning, not in the generic `scorecards` library below it, because it needs
decisioning's features; `puhui model train --world-enterprises` reaches it through the root CLI
(`scorecards.cli.use_world_trainer`).

`world_feature_frame(world)` asks the sandbox provider for every enterprise's seven payloads
(the legal representative's personal bureau report included) and runs
`puhui.decisioning.features.compute_features` on them - the very function a live decision runs on
the payloads it pulled - so training and decision time cannot drift apart. The target is the
world's 12-month default (`outcomes.default_12m`); core enterprises (size `large`) are left out,
as Puhui's products are for small and micro firms.

`train_world_scorecard(...)` fits `puhui.scorecards.scorecard.fit_scorecard` on those rows;
`train_world_challenger(...)` fits the LightGBM challenger (`puhui.scorecards.gbm.fit_gbm`) on the
same rows, with the business's monotone constraints (`WORLD_MONOTONE`: more days overdue,
lawsuits or inquiries never make a firm safer; a longer history never makes it riskier);
`evaluate_on_world(artifact, world)` scores another world (a seed not used for training) for the
out-of-sample AUC.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import numpy as np
import polars as pl

from puhui.datahub.payloads import (
    CreditBureauPayload,
    HousingFundPayload,
    JudicialPayload,
    RegistryPayload,
    SocialSecurityPayload,
    SourceName,
    TaxPayload,
    UtilitiesPayload,
)
from puhui.datahub.sandbox import SandboxProvider
from puhui.datahub.world import World
from puhui.decisioning.features import (
    CATEGORICAL_MODEL_FEATURES,
    FEATURE_SET_VERSION,
    MODEL_FEATURES,
    ApplicationFacts,
    Features,
    SourceBundle,
    compute_features,
)
from puhui.scorecards.artifact import ScorecardArtifact
from puhui.scorecards.gbm import GbmArtifact, GbmParams, fit_gbm
from puhui.scorecards.scorecard import TrainingParams, fit_scorecard
from puhui.scorecards.validation import auc as auc_score

TARGET = "default_12m"
DEFAULT_MODEL_ID = "sme-pd"
CHALLENGER_MODEL_ID = "sme-pd-challenger"
# +1: a higher value may only raise the risk; -1: may only lower it (the challenger's trees)
WORLD_MONOTONE: dict[str, int] = {
    **dict.fromkeys(
        (
            "filing_gaps_12m", "utilities_late_12m", "legal_rep_changes_12m",
            "lawsuits_defendant_12m", "enforcement_open", "bureau_overdue_now_enterprise",
            "bureau_overdue_now_legal_rep", "bureau_max_overdue_24m_enterprise",
            "bureau_max_overdue_24m_legal_rep", "bureau_max_overdue_6m", "inquiries_3m",
            "inquiries_6m",
        ),
        1,
    ),
    "filing_history_months": -1,
    "enterprise_age_months": -1,
}  # fmt: skip


def world_bundle(provider: SandboxProvider, index: int) -> tuple[SourceBundle, ApplicationFacts]:
    """The payloads of the world's enterprise `index`, as the hub would hand them over."""
    world = provider.world
    uscc = str(world.enterprises["uscc"][index])
    rep = int(world.enterprises["legal_rep_person_id"][index])
    resident_id = str(world.people["resident_id"][rep])
    declared = world.enterprises["declared_annual_revenue_fen"][index]
    fetch = provider.fetch
    bundle = SourceBundle(
        tax=_as(TaxPayload, fetch(SourceName.TAX, uscc)),
        social_security=_as(SocialSecurityPayload, fetch(SourceName.SOCIAL_SECURITY, uscc)),
        housing_fund=_as(HousingFundPayload, fetch(SourceName.HOUSING_FUND, uscc)),
        registry=_as(RegistryPayload, fetch(SourceName.REGISTRY, uscc)),
        judicial=_as(JudicialPayload, fetch(SourceName.JUDICIAL, uscc)),
        utilities=_as(UtilitiesPayload, fetch(SourceName.UTILITIES, uscc)),
        bureau_enterprise=_as(CreditBureauPayload, fetch(SourceName.CREDIT_BUREAU, uscc)),
        bureau_legal_rep=_as(CreditBureauPayload, fetch(SourceName.CREDIT_BUREAU, resident_id)),
    )
    facts = ApplicationFacts(
        declared_annual_revenue_fen=None if declared is None else int(declared)
    )
    return bundle, facts


def _as(model: type[Any], payload: Any) -> Any:
    if not isinstance(payload, model):
        raise TypeError(f"expected {model.__name__}, got {type(payload).__name__}")
    return payload


def world_features(
    world: World,
    indices: list[int] | None = None,
    *,
    provider: SandboxProvider | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[Features]:
    """Features of the given enterprises (default: all), one dict per enterprise."""
    provider = provider or SandboxProvider(world)
    chosen = list(range(world.n_enterprises)) if indices is None else indices
    rows: list[Features] = []
    for k, i in enumerate(chosen):
        bundle, facts = world_bundle(provider, i)
        rows.append(compute_features(bundle, facts))
        if progress is not None and (k + 1) % 500 == 0:
            progress(k + 1, len(chosen))
    return rows


def lending_population(world: World) -> list[int]:
    """Indices of the enterprises Puhui lends to: every one but the core enterprises."""
    sizes = world.enterprises["size_class"].to_list()
    return [i for i, s in enumerate(sizes) if s != "large"]


def world_feature_frame(
    world: World,
    *,
    progress: Callable[[int, int], None] | None = None,
) -> pl.DataFrame:
    """One row per lending-population enterprise: the model features, `enterprise_index`, target."""
    indices = lending_population(world)
    rows = world_features(world, indices, progress=progress)
    target = world.outcomes[TARGET].to_numpy()[indices].astype(np.int64)
    data: dict[str, Any] = {"enterprise_index": indices}
    for name in MODEL_FEATURES:
        values = [r[name] for r in rows]
        if name in CATEGORICAL_MODEL_FEATURES:
            data[name] = pl.Series(name, [None if v is None else str(v) for v in values])
        else:
            data[name] = pl.Series(
                name, [None if v is None else float(v) for v in values], dtype=pl.Float64
            )
    data[TARGET] = target
    return pl.DataFrame(data)


def train_world_scorecard(
    frame: pl.DataFrame,
    *,
    seed: int,
    created_at: datetime,
    model_id: str = DEFAULT_MODEL_ID,
    version: str = "1",
    params: TrainingParams | None = None,
    description: str = "",
) -> ScorecardArtifact:
    """Fit the scorecard on a world feature frame (see `world_feature_frame`)."""
    fitted = fit_scorecard(
        frame,
        TARGET,
        list(MODEL_FEATURES),
        categorical=list(CATEGORICAL_MODEL_FEATURES),
        seed=seed,
        created_at=created_at,
        model_id=model_id,
        version=version,
        params=params,
        description=description or f"synthetic world, feature set {FEATURE_SET_VERSION}",
    )
    artifact = fitted.artifact
    training = dict(artifact.training)
    training["feature_set_version"] = FEATURE_SET_VERSION
    return ScorecardArtifact(
        model_id=artifact.model_id,
        version=artifact.version,
        created_at=artifact.created_at,
        target=artifact.target,
        scaling=artifact.scaling,
        intercept=artifact.intercept,
        base_points=artifact.base_points,
        calibration=artifact.calibration,
        features=artifact.features,
        training=training,
        description=artifact.description,
    )


def train_world_challenger(
    frame: pl.DataFrame,
    *,
    seed: int,
    created_at: datetime,
    model_id: str = CHALLENGER_MODEL_ID,
    version: str = "1",
    params: GbmParams | None = None,
) -> GbmArtifact:
    """Fit the LightGBM challenger on a world feature frame (see `world_feature_frame`);
    `params` default to `GbmParams(monotone=WORLD_MONOTONE)`."""
    fitted = fit_gbm(
        frame,
        TARGET,
        list(MODEL_FEATURES),
        categorical=list(CATEGORICAL_MODEL_FEATURES),
        seed=seed,
        created_at=created_at,
        model_id=model_id,
        version=version,
        params=params or GbmParams(monotone=WORLD_MONOTONE),
        description=f"challenger (LightGBM), synthetic world, feature set {FEATURE_SET_VERSION}",
    )
    artifact = fitted.artifact
    training = {**artifact.training, "feature_set_version": FEATURE_SET_VERSION}
    return replace(artifact, training=training)


def frame_auc(artifact: ScorecardArtifact | GbmArtifact, frame: pl.DataFrame) -> float:
    """AUC of the artifact's PD on a feature frame (higher PD = riskier)."""
    if isinstance(artifact, GbmArtifact):
        return auc_score(frame[TARGET].to_numpy(), artifact.predict_pd(frame))
    scores = artifact.score_frame(frame)
    return auc_score(frame[TARGET].to_numpy(), scores.pd)


def evaluate_on_world(artifact: ScorecardArtifact, world: World) -> tuple[float, pl.DataFrame]:
    frame = world_feature_frame(world)
    return frame_auc(artifact, frame), frame


@dataclass(frozen=True)
class WorldTrainingResult:
    artifact: ScorecardArtifact | GbmArtifact
    report: Any  # ValidationReport on the held-out world (None for the challenger)
    train_rows: int
    holdout_rows: int
    holdout_seed: int
    holdout_auc: float = 0.0


def train_on_world(
    n_enterprises: int,
    seed: int,
    *,
    created_at: datetime,
    holdout_enterprises: int | None = None,
    holdout_seed: int | None = None,
    model_id: str = DEFAULT_MODEL_ID,
    version: str = "1",
    params: TrainingParams | None = None,
    progress: Callable[[str], None] | None = None,
    challenger: bool = False,
) -> WorldTrainingResult:
    """Train on the world `seed` and validate on another world (a seed not used for training):
    the out-of-sample figures of the validation report are honest. `challenger=True` trains
    the LightGBM challenger instead (`train_world_challenger`; no validation report yet, its
    held-out AUC in `holdout_auc`)."""
    from puhui.datahub.world import generate_world
    from puhui.scorecards.validation import build_validation_report

    say = progress or (lambda _msg: None)
    holdout_seed = seed + 1 if holdout_seed is None else holdout_seed
    if holdout_seed == seed:
        raise ValueError("the holdout world needs a seed not used for training")
    say(f"generating the training world ({n_enterprises} enterprises, seed {seed})")
    train = world_feature_frame(generate_world(n_enterprises, seed))
    say(f"fitting on {train.height} enterprises")
    n_holdout = holdout_enterprises or max(n_enterprises // 2, 2_000)
    if challenger:
        gbm = train_world_challenger(train, seed=seed, created_at=created_at,
                                     model_id=model_id, version=version)  # fmt: skip
        say(f"validating on another world ({n_holdout} enterprises, seed {holdout_seed})")
        holdout = world_feature_frame(generate_world(n_holdout, holdout_seed))
        return WorldTrainingResult(gbm, None, train.height, holdout.height, holdout_seed,
                                   frame_auc(gbm, holdout))  # fmt: skip
    artifact = train_world_scorecard(
        train,
        seed=seed,
        created_at=created_at,
        model_id=model_id,
        version=version,
        params=params,
        description=(
            f"synthetic world: {n_enterprises} enterprises, seed {seed}; "
            f"feature set {FEATURE_SET_VERSION}"
        ),
    )
    say(f"validating on another world ({n_holdout} enterprises, seed {holdout_seed})")
    holdout = world_feature_frame(generate_world(n_holdout, holdout_seed))
    report = build_validation_report(
        artifact,
        holdout,
        holdout[TARGET].to_numpy(),
        dataset=(
            f"synthetic world seed {holdout_seed}, {holdout.height} enterprises "
            "(not used for training)"
        ),
        created_at=created_at,
        reference_data=train,
        reference_name=f"training world seed {seed}",
        extra={"train_seed": seed, "holdout_seed": holdout_seed},
    )
    auc = frame_auc(artifact, holdout)
    return WorldTrainingResult(artifact, report, train.height, holdout.height, holdout_seed, auc)


# --------------------------------------------------------------------------- segment models

SEGMENT_COLUMNS = ("segment_industry", "segment_size", "segment_returning")
MIN_SEGMENT_ROWS = 400
MIN_SEGMENT_BADS = 30


def with_segments(frame: pl.DataFrame, world: World) -> pl.DataFrame:
    """`frame` (see `world_feature_frame`) with each row's segment: the registry's industry
    section, the size class a decision would derive (`model_choice.size_class`), not returning
    (a world's applicants are all new to Puhui)."""
    from puhui.decisioning.model_choice import size_class

    industry = world.enterprises["industry"].to_numpy()[frame["enterprise_index"].to_numpy()]
    sizes = [
        size_class(h, s)
        for h, s in zip(
            frame["headcount_now"].to_list(), frame["sales_12m_fen"].to_list(), strict=True
        )
    ]
    return frame.with_columns(
        pl.Series("segment_industry", industry, dtype=pl.String),
        pl.Series("segment_size", sizes, dtype=pl.String),
        pl.lit(False).alias("segment_returning"),
    )


@dataclass(frozen=True)
class SegmentTraining:
    """One segment rule's model: trained on its own rows, or skipped (the fallback decides)."""

    rule: Any  # model_choice.SegmentRule
    rows: int
    bads: int
    artifact: ScorecardArtifact | None
    skipped: str = ""  # why no model was trained

    @property
    def cv_auc(self) -> float | None:
        return None if self.artifact is None else self.artifact.training.get("cv_auc")


def train_segment_models(
    frame: pl.DataFrame,
    rules: Any,  # Sequence[model_choice.SegmentRule]
    *,
    seed: int,
    created_at: datetime,
    version: str = "1",
    min_rows: int = MIN_SEGMENT_ROWS,
    min_bads: int = MIN_SEGMENT_BADS,
) -> list[SegmentTraining]:
    """A scorecard per segment rule on the rows the rule matches (`with_segments` columns),
    each with its own honest CV; a segment with fewer than `min_rows` rows or `min_bads` bads
    gets no model (its applicants stay with the fallback)."""
    from puhui.decisioning.model_choice import Segment

    segments = [
        Segment(industry=i, size=s, returning=bool(r))
        for i, s, r in zip(*(frame[c].to_list() for c in SEGMENT_COLUMNS), strict=True)
    ]
    out: list[SegmentTraining] = []
    for rule in rules:
        mask = pl.Series([rule.matches(seg) for seg in segments])
        rows = frame.filter(mask)
        bads = int(rows[TARGET].sum()) if rows.height else 0
        if rows.height < min_rows or bads < min_bads:
            why = f"{rows.height} rows, {bads} bads (needs {min_rows} and {min_bads})"
            out.append(SegmentTraining(rule, rows.height, bads, None, why))
            continue
        artifact = train_world_scorecard(
            rows.drop(list(SEGMENT_COLUMNS)), seed=seed, created_at=created_at,
            model_id=rule.model_id, version=version,
            description=f"segment {rule.name}: {rows.height} rows, feature set "
            f"{FEATURE_SET_VERSION}",
        )  # fmt: skip
        out.append(SegmentTraining(rule, rows.height, bads, artifact))
    return out
